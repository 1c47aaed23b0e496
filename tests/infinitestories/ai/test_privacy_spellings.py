"""infinitestories.ai.privacy: the child's name is hidden however the family spells it, and the
placeholders never run out, whatever the number of heroes or the words of the text."""

import itertools
import unicodedata

import pytest

from infinitestories.ai.privacy import PLACEHOLDERS, Cast, Pseudonym, hide_names, placeholders
from tests.heroes.factories import HeroFactory

NFD = unicodedata.normalize("NFD", "Zoë")
ZERO_WIDTH = "Otti\u200blie"
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in "Ottilie")


@pytest.mark.parametrize(
    ("name", "text", "hidden"),
    [
        # decomposed Unicode in otherwise normal text (and a name typed decomposed)
        (
            "Zoë",
            f"{NFD} has a red kite; {NFD}'s kite flies.",
            "Tavi has a red kite; Tavi's kite flies.",
        ),
        (NFD, "Zoë and ZOË and zoe", "Tavi and Tavi and Tavi"),
        # a Chinese name inside Chinese text, and a given name of a three-character name
        ("小明", "小明喜欢猫。", "Tavi喜欢猫。"),
        ("王小明", "小明和妈妈", "Tavi和妈妈"),
        # Japanese and Korean, with particles attached
        ("さくら", "さくらはねこがすき", "Taviはねこがすき"),
        ("민준", "민준이는 고양이를 좋아해요", "Tavi이는 고양이를 좋아해요"),
        # a short name in lower case
        ("Jo", "jo and her dog; JO laughs", "Tavi and her dog; Tavi laughs"),
        # a diminutive the family uses, and the long form for a short-named hero
        ("Alexander", "Alex builds a boat with Sasha.", "Tavi builds a boat with Tavi."),
        ("Max", "Maximilian, called Max", "Tavi, called Tavi"),
        # a hyphenated name joined, spaced, lower case
        ("Anne-Marie", "AnneMarie, Anne Marie, annemarie", "Tavi, Tavi, Tavi"),
        # a zero-width character or a soft hyphen inside the name
        ("Ottilie", f"{ZERO_WIDTH} and Otti\u00adlie", "Tavi and Tavi"),
        # full-width letters
        ("Ottilie", f"{FULL_WIDTH} sings", "Tavi sings"),
        # capitals of a name with ß, and ß for ss
        ("Strauß", "STRAUSS and Strauss and strauß", "Tavi and Tavi and Tavi"),
        # a name next to CJK text, or between underscores and digits
        ("Tom", "Tom喜欢猫, _Tom_ and Tom2", "Tavi喜欢猫, _Tavi_ and Tavi2"),
    ],
)
def test_the_name_is_hidden_in_every_spelling(name, text, hidden):
    assert Pseudonym.choose(name).hide(text) == hidden


def test_words_that_are_diminutives_stay_words_in_lower_case():
    # "will" for William, "al" for Al: only a capital makes them names
    assert Pseudonym.choose("William").hide("Will, I will.") == "Tavi, I will."
    assert Pseudonym.choose("Al").hide("al parque con Al") == "al parque con Tavi"


def test_the_name_comes_back_inside_cjk_text():
    pseudonym = Pseudonym.choose("小明")

    assert pseudonym.reveal("Tavi喜欢猫。Tavi睡觉了。") == "小明喜欢猫。小明睡觉了。"


def test_the_text_sent_keeps_its_own_letters_around_the_names():
    # only the mentions change: accents, capitals and the rest of the text stay as written
    text = f"Ça va? {NFD} dit «Bonjour» à l'ÉCOLE."

    assert Pseudonym.choose("Zoë").hide(text) == "Ça va? Tavi dit «Bonjour» à l'ÉCOLE."


# --- the placeholders never run out ------------------------------------------------------------


def test_placeholders_never_run_out_and_never_repeat():
    first = list(itertools.islice(placeholders(), 2000))

    assert first[:12] == list(PLACEHOLDERS)
    assert len({p.lower() for p in first}) == 2000
    assert first[12] == "Tavitavi"


@pytest.mark.parametrize("heroes", [13, 30, 100])
def test_a_family_of_many_heroes_hides_and_brings_back_each(heroes):
    names = [f"Kid{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(heroes)]
    text = " and ".join(names) + " play."

    cast = Cast.choose(names[0], others=names[1:], texts=[text])
    hidden = cast.hide(text)

    placeholders_used = [cast.hero.placeholder, *(p.placeholder for p in cast.others)]
    assert len(set(placeholders_used)) == heroes
    assert not any(name.lower() in hidden.lower() for name in names)
    assert cast.reveal(hidden) == text
    assert hide_names(text, names=names) == hidden


def test_a_text_with_every_placeholder_name_still_gets_free_ones():
    text = "Friends: " + ", ".join(PLACEHOLDERS) + ". Alice and Bruno play."

    cast = Cast.choose("Alice", others=["Bruno"], texts=[text])

    chosen = {cast.hero.placeholder, cast.others[0].placeholder}
    assert chosen.isdisjoint(PLACEHOLDERS)
    hidden = cast.hide(text)
    assert "Alice" not in hidden and "Bruno" not in hidden
    assert cast.reveal(hidden) == text


def test_a_placeholder_is_never_another_heros_name():
    # a sibling called like the first placeholders: revealing one name never turns into another
    cast = Cast.choose("Alice", others=["Tavi", "Kiri"])

    assert {cast.hero.placeholder, *(p.placeholder for p in cast.others)}.isdisjoint(
        {"Tavi", "Kiri"}
    )
    assert cast.reveal(cast.hide("Alice, Tavi and Kiri")) == "Alice, Tavi and Kiri"


# --- through the API: no 500 for big families or texts full of placeholder names --------------


def test_a_family_with_thirteen_heroes_writes_stories_and_edits_heroes(
    openai_provider, auth_client, user, settings
):
    # given a family with 13 heroes and a hero whose words use every placeholder name
    settings.RATE_LIMITS = "hero_create=100/m,hero_update=100/m"
    for n in range(12):
        HeroFactory(user=user, name=f"Kid{chr(97 + n)}")
    created = auth_client.post(
        "/api/heroes",
        {
            "name": "Ottilie",
            "age": 6,
            "traits": ["brave"],
            "appearance": "Ottilie's friends are " + ", ".join(PLACEHOLDERS),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    hero_id = created.json()["hero"]["id"]

    # when the family edits the hero and asks for a story
    edited = auth_client.patch(
        f"/api/heroes/{hero_id}", {"abilities": ["Ottilie whistles"]}, format="json"
    )
    story = auth_client.post(
        "/api/stories",
        {"heroId": hero_id, "eventType": "bedtime", "generateAudio": False},
        format="json",
    )
    avatar = auth_client.post(
        f"/api/heroes/{hero_id}/avatar", {"customPrompt": "Ottilie with Kida"}, format="json"
    )

    # then everything works (each answered 500 before) and the name went nowhere
    assert (edited.status_code, story.status_code) == (200, 201), story.json()
    assert avatar.status_code == 200, avatar.json()
    assert "Ottilie" in story.json()["story"]["content"]
    assert [r.path for r in openai_provider.requests if b"ottilie" in r.raw.lower()] == []
