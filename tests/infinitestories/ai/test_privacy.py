"""infinitestories.ai.privacy and the name filter: what vendors may know of a family."""

import hashlib
import hmac

import pytest

from infinitestories.ai import chain, moderation
from infinitestories.ai.errors import FamilyTextFlagged
from infinitestories.ai.local_stories import TITLES, write_story
from infinitestories.ai.privacy import (
    PLACEHOLDERS,
    Cast,
    Pseudonym,
    hide_names,
    safety_identifier,
)
from infinitestories.ai.safety import name_check
from tests.heroes.factories import HeroFactory
from usage.models import UsageMetric

# --- hide -------------------------------------------------------------------------------------


def test_hiding_replaces_the_name_in_any_case_and_its_german_genitive():
    pseudonym = Pseudonym.choose("Alice")

    hidden = pseudonym.hide("Alice's cat. ALICE laughs; alice sings. Alices Zimmer. Malice stays.")

    assert hidden == "Tavi's cat. Tavi laughs; Tavi sings. Tavis Zimmer. Malice stays."


def test_hiding_covers_the_whole_name_and_each_part_but_not_particles():
    pseudonym = Pseudonym.choose("Juan de la Cruz")

    hidden = pseudonym.hide("Juan de la Cruz goes to Cruz's house de la playa; Juan waves.")

    assert hidden == "Tavi goes to Tavi's house de la playa; Tavi waves."


@pytest.mark.parametrize(
    ("name", "text", "hidden"),
    [
        # a dotted capital I: lower-casing it gives two characters, which once hid nothing
        ("İlayda", "İlayda has black hair; ILAYDA, ilayda.", "Tavi has black hair; Tavi, Tavi."),
        # a first name that is also a particle elsewhere ("Ben" as in "Omar ben Ali")
        ("Ben Carter", "Ben has a red cap, like Carter.", "Tavi has a red cap, like Tavi."),
        ("Omar ben Ali", "Omar ben Ali and ben", "Tavi and ben"),
        # typed without its accent, or one part of a hyphenated name
        ("Zoë", "Zoe and Zoë", "Tavi and Tavi"),
        ("Anne-Marie", "Anne-Marie, or Anne, or Marie", "Tavi, or Tavi, or Tavi"),
    ],
)
def test_names_are_hidden_however_they_are_written(name, text, hidden):
    assert Pseudonym.choose(name).hide(text) == hidden


def test_a_short_name_is_hidden_only_as_a_name_is_written():
    hidden = Pseudonym.choose("Al").hide("Al va al parque con AL.")

    assert hidden == "Tavi va al parque con Tavi."


def test_the_placeholder_is_never_one_the_text_already_uses():
    pseudonym = Pseudonym.choose("Alice", texts=["Alice plays with her friend Tavi."])

    assert pseudonym.placeholder == PLACEHOLDERS[1]
    assert pseudonym.reveal(pseudonym.hide("Alice and Tavi")) == "Alice and Tavi"


def test_a_hero_called_like_a_placeholder_gets_another_one():
    assert Pseudonym.choose("Tavi").placeholder == PLACEHOLDERS[1]


def test_a_text_naming_ten_heroes_of_a_family_hides_each():
    names = ["Alice", "Bruno", "Chloe", "Dario", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas"]

    hidden = hide_names(" and ".join(names) + " play.", names=names)

    assert not any(name in hidden for name in names)
    assert hidden == " and ".join(PLACEHOLDERS[:10]) + " play."


def test_a_cast_sends_every_family_name_under_its_own_placeholder_and_brings_each_back():
    cast = Cast.choose("Bartholomew", others=["Ottilie", "Bartholomew", ""], language="fr")

    hidden = cast.hide("Bartholomew, le frère d'Ottilie")

    assert hidden == "Tavi, le frère d'Kiri"
    assert (
        cast.reveal("Tavi joue avec la sœur de Kiri.") == "Bartholomew joue avec la sœur d'Ottilie."
    )
    assert [p.placeholder for p in cast.others] == ["Kiri"]


def test_every_hero_name_is_hidden_from_moderation_input():
    text = "Alice and Bob visit Alba. Alba's dog."

    assert hide_names(text, names=["Alice", "Bob", "Alba"]) == (
        "Tavi and Kiri visit Zelu. Zelu's dog."
    )


# --- reveal -------------------------------------------------------------------------------------


def reveal(name: str, language: str, text: str) -> str:
    return Pseudonym(name=name, language=language).reveal(text)


@pytest.mark.parametrize(
    ("name", "language", "written", "read"),
    [
        (
            "Alice",
            "en",
            "Tavi's gentle journey. Tavi smiled.",
            "Alice's gentle journey. Alice smiled.",
        ),
        ("Max", "de", "Tavis sanfte Reise. Tavi lächelte.", "Max' sanfte Reise. Max lächelte."),
        ("Hans", "de", "Tavis Drache", "Hans' Drache"),
        ("Alice", "de", "Tavis sanfte Reise", "Alices sanfte Reise"),
        ("Inès", "fr", "Le voyage de Tavi. Tavi sourit.", "Le voyage d'Inès. Inès sourit."),
        ("Hugo", "fr", "De Tavi, et lorsque Tavi dort", "D'Hugo, et lorsqu'Hugo dort"),
        ("Léa", "fr", "Le voyage de Tavi", "Le voyage de Léa"),
        ("Elena", "es", "El viaje de Tavi", "El viaje de Elena"),
        ("Anna", "it", "Il viaggio di Tavi", "Il viaggio di Anna"),
        ("alice", "en", "Tavi slept.", "Alice slept."),
        ("Alice", "en", "THE STORY OF TAVI", "THE STORY OF ALICE"),
    ],
)
def test_the_real_name_reads_naturally_in_each_language(name, language, written, read):
    assert reveal(name, language, written) == read


@pytest.mark.parametrize("language", ["en", "es", "fr", "de", "it"])
@pytest.mark.parametrize("name", ["Alice", "Max", "Inès", "Ugo"])
def test_a_story_written_for_the_placeholder_reads_as_one_written_for_the_name(language, name):
    # given the offline storyteller's story (hand-written templates in each language) written
    # for the real name, and the same story written for the placeholder with the name put back
    def story(hero_name: str) -> str:
        _, content = write_story(
            language=language, name=hero_name, age=6, traits=[], abilities=[], event="a birthday"
        )
        titles = [title.format(name=hero_name) for title in TITLES[language]]
        return "\n".join([*titles, content])

    pseudonym = Pseudonym.choose(name, language=language)

    revealed = pseudonym.reveal(story(pseudonym.placeholder))

    # then they read the same, except where the name changes its neighbours, which the plain
    # templates get wrong and the pseudonym gets right (German "Max' Reise", French "d'Inès")
    expected = story(name)
    if language == "de" and name[-1] in "sx":
        expected = expected.replace(f"{name}s ", f"{name}' ")
    if language == "fr" and name[0] in "AIU":
        expected = expected.replace(f"de {name}", f"d'{name}")
    assert revealed == expected
    assert pseudonym.placeholder not in revealed


# --- the name filter ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "hit"),
    [
        ("Killer Joe", "en:killer"),
        ("Cabrón", "es:cabrón"),
        ("cabron", "es:cabrón"),
        ("Petit Couteau", "fr:couteau"),
        ("Mörder", "de:mörder"),
        ("MORDER", "de:mörder"),
        ("Stronzo", "it:stronzo"),
    ],
)
def test_unsafe_names_are_caught_in_five_languages_with_or_without_accents(name, hit):
    assert name_check(name) == [hit]


@pytest.mark.parametrize("name", ["Nazia", "Dickens", "Alice", "Mia Rose", "Con", "Sang-woo"])
def test_real_names_are_not_refused(name):
    assert name_check(name) == []


def test_a_flagged_name_is_refused_by_our_filter_without_calling_any_vendor(user):
    ctx = chain.CallContext(operation="moderation", user_id=user.pk)
    hero = HeroFactory.build(user=user, name="Killer", appearance="", traits=[], abilities=[])

    with pytest.raises(FamilyTextFlagged) as refused:
        moderation.family_text_check(ctx=ctx, hero=hero)

    assert refused.value.fields == ["hero.name"]
    assert UsageMetric.objects.count() == 0


# --- safety identifier --------------------------------------------------------------------------


def test_the_safety_identifier_is_a_keyed_hash_of_the_user(settings, user, other_user):
    settings.AI_SAFETY_IDENTIFIER_KEY = "k" * 32

    mine = safety_identifier(user.pk)

    expected = hmac.new(b"k" * 32, f"user:{user.pk}".encode(), hashlib.sha256).hexdigest()
    assert mine == expected and len(mine) == 64
    assert user.pk not in mine and user.email not in mine
    assert safety_identifier(user.pk) == mine  # stable
    assert safety_identifier(other_user.pk) != mine
    settings.AI_SAFETY_IDENTIFIER_KEY = "another key"
    assert safety_identifier(user.pk) != mine  # meaningless without our key
    assert safety_identifier(None) == ""
