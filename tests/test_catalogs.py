"""The gettext catalogs in locale/ are complete and current, so no family meets an English sentence
in the middle of its own language, and a deploy has nothing to build.

- every message of the code and the templates is in each catalog, and nothing else is: a message
  added or changed without `make messages` fails here;
- every one is translated (no empty or fuzzy entry), with the placeholders of the original;
- the compiled .mo says exactly what the .po says (`make messages` compiles them).

Read with babel, so this runs where GNU gettext is not installed. Finding the messages: Python
files as xgettext reads them, with Django's keywords; templates turned into Python by Django's own
templatize, as `makemessages` does.
"""

import io
import os
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils.translation.template import templatize

BASE_DIR = Path(settings.BASE_DIR)
TRANSLATED = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# The gettext functions makemessages reads, with where their message, plural and context are.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
# What `make messages` leaves out (the Makefile's --ignore list; hidden folders too).
NOT_SCANNED = {".venv", "tests", "bench", "scripts", "docs", "var", "staticfiles", "build"}


@cache
def messages_in_sources() -> frozenset[tuple]:
    """(context, message) of every translatable text; message is a (singular, plural) pair for
    plurals, as babel reads catalogs."""
    found = set()
    for root, dirs, files in os.walk(BASE_DIR):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in NOT_SCANNED]
        for name in files:
            path = Path(root) / name
            if path.suffix == ".py":
                source = path.read_bytes()
            elif path.suffix in (".html", ".txt"):
                text = path.read_text(encoding="utf-8")
                source = templatize(text, origin=str(path)).encode()
            else:
                continue
            for _, message, _, context in extract("python", io.BytesIO(source), keywords=KEYWORDS):
                found.add((context, message))
    return frozenset(found)


def catalog(language: str):
    with open(BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po", "rb") as po:
        return read_po(po, locale=language)


PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def entries(messages) -> dict:
    """(context, message) -> translation; plurals as tuples, however the reader gave them."""

    def whole(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {(m.context, whole(m.id)): whole(m.string) for m in messages if m.id}


def test_the_code_has_messages_to_translate():
    # a scan that finds nothing would make the next test pass for nothing
    assert (None, "Hero not found.") in messages_in_sources()
    assert (None, "Sweet dreams,") in messages_in_sources()


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalog_holds_exactly_the_messages_of_the_code(language):
    in_code = messages_in_sources()
    in_catalog = set(entries(catalog(language)))

    assert sorted(in_code - in_catalog, key=str) == [], "new messages: run `make messages`"
    assert sorted(in_catalog - in_code, key=str) == [], "messages gone: run `make messages`"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders(language):
    po = catalog(language)

    untranslated = [
        m.id
        for m in po
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert untranslated == []
    assert list(po.obsolete) == []
    # babel's checks: python-format placeholders of the right type, one form per plural form
    assert [(m.id, errors) for m, errors in po.check()] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_name_the_placeholders_of_the_original(language):
    wrong = []
    for (_, original), translation in entries(catalog(language)).items():
        if isinstance(original, tuple):  # a plural form may leave out the number ("one story")
            allowed = placeholders(original[0]) | placeholders(original[1])
            extra = any(not placeholders(form) <= allowed for form in translation)
            if extra or placeholders(translation[-1]) != placeholders(original[1]):
                wrong.append(original)
        elif placeholders(translation) != placeholders(original):
            wrong.append(original)

    assert wrong == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_says_what_the_po_says(language):
    with open(BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        compiled = read_mo(mo)

    assert entries(compiled) == entries(catalog(language)), "run `make messages` to compile"
