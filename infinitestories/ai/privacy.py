"""What the AI vendors may know: never the child's name, never who the family is.

Pseudonym: the hero's name (usually the child's own) is swapped for a placeholder name before a
prompt or a moderation input leaves us, and put back into what the model wrote before it is
stored or narrated. The placeholder is a made-up, gender-neutral name that starts with a
consonant, so models decline it like a name (English "Tavi's", German "Tavis"), never elide
before it (French "de Tavi") and never translate it; putting the real name back fixes what
depends on the name itself: French elision before a vowel ("d'Inès"), the German genitive of a
name ending in a hiss sound ("Max'"), capitals (a name typed in lower case, a title in capitals).

safety_identifier: a keyed hash of the user id (HMAC-SHA256, AI_SAFETY_IDENTIFIER_KEY) that
vendors get for abuse tracking: stable per user, meaningless without our key, never the e-mail
or the database id.
"""

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings

# Made-up names, not words in English, Spanish, French, German or Italian; the first one absent
# from the texts being sent is used, so a hero (or a friend in the story) called Tavi is safe.
# Twelve: one text may name the hero and a family's other heroes (each hidden with its own).
PLACEHOLDERS = ("Tavi", "Kiri", "Zelu", "Nobi", "Pemu", "Rilo", "Vemi", "Sabu", "Dovi", "Kelu")
PLACEHOLDERS += ("Mozi", "Quen")
# Name parts too common as words to hide on their own ("Juan de la Cruz": not every "de"), when
# they stand inside a name in lower case: "Ben Carter" and "Del" are names, and hidden.
_PARTICLES = {"de", "del", "della", "di", "da", "do", "dos", "das", "du", "des", "la", "le"}
_PARTICLES |= {"van", "von", "der", "den", "ten", "ter", "y", "e", "el", "al", "bin", "ben"}
# Short names are hidden only as names are written (capitalised, as typed, in capitals): "Al"
# is a hero, "al" in "al parque" is Spanish.
_SHORT = 3
_VOWELS = "aeiouyàâäéèêëîïôöùûüÿæœh"
_FRENCH_ELIDING = {"de": "d'", "que": "qu'", "jusque": "jusqu'", "lorsque": "lorsqu'"}
_FRENCH_ELIDING |= {"puisque": "puisqu'"}


def _unaccented(word: str) -> str:
    """The word as a family may also type it: "Zoë" as "Zoe", "Léa" as "Lea"."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _display(name: str) -> str:
    """The name as a story should print it: a name typed all in lower case gets its capitals."""
    name = " ".join(name.split())
    return name.title() if name == name.lower() else name


@dataclass(frozen=True)
class Pseudonym:
    """The hero's name on its way out (hide) and back in (reveal), in one story language."""

    name: str
    placeholder: str = PLACEHOLDERS[0]
    language: str = "en"

    @classmethod
    def choose(cls, name: str, *, language: str = "en", texts: Iterable[str] = ()) -> "Pseudonym":
        """The pseudonym for `name` whose placeholder appears nowhere in `texts` (what is about
        to be sent) nor in the name: then every placeholder in the answer is the hero."""
        seen = " ".join([name, *texts]).lower()
        for placeholder in PLACEHOLDERS:
            if not re.search(rf"(?<!\w){placeholder.lower()}", seen):
                return cls(name=name, placeholder=placeholder, language=language)
        raise ValueError("Every placeholder name already appears in the text.")

    # --- out -----------------------------------------------------------------------------------
    @cached_property
    def _forms(self) -> tuple[set[str], set[str]]:
        """The written forms to hide: (case-insensitive ones, exact ones). The whole name and its
        parts (split at spaces and hyphens: "Anne" of "Anne-Marie"), each also without accents;
        short parts only as names are written (capitalised, as typed, in capitals). Forms keep
        their own letters (matched case-insensitively): lower-casing "İlayda" gives 7 letters."""
        whole = " ".join(self.name.split())
        words = re.split(r"[\s\-\u2010]+", whole)
        parts = [
            word
            for n, word in enumerate(words)
            if not (n > 0 and word.islower() and word.lower() in _PARTICLES)
        ]
        loose: set[str] = set()
        exact: set[str] = set()
        for word in {whole, *parts, *map(_unaccented, [whole, *parts])} - {""}:
            if len(word) < _SHORT:
                exact |= {word, word[:1].upper() + word[1:], word.upper()}
            else:
                loose.add(word)
        return loose, exact

    def _alternatives(self, genitive: str) -> str:
        loose, exact = self._forms
        # Longest first, so "Mary Jane" is hidden whole before "Mary".
        forms = [f"(?i:{re.escape(w)}{genitive})" for w in sorted(loose, key=len, reverse=True)]
        forms += [re.escape(w) for w in sorted(exact, key=len, reverse=True)]
        return "|".join(forms)

    @cached_property
    def _hide_pattern(self) -> re.Pattern | None:
        # A long form may carry an "s": the German genitive ("Alices Zimmer") is the name too.
        alternatives = self._alternatives("s?")
        if not alternatives:
            return None
        return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)")

    @cached_property
    def _name_pattern(self) -> re.Pattern:
        """A form of the name exactly, without a genitive "s"."""
        return re.compile("(?:" + self._alternatives("") + ")")

    def hide(self, text: str) -> str:
        """`text` with every mention of the hero's name replaced by the placeholder.

        It errs on the side of hiding: a name that is also a word ("Rose") is hidden as the word
        too, so that the name's letters never leave us, whatever the family wrote."""
        if not text or self._hide_pattern is None:
            return text
        return self._hide_pattern.sub(self._placeholder_for, text)

    def _placeholder_for(self, match: re.Match) -> str:
        written = match.group(0)
        if self._name_pattern.fullmatch(written):
            return self.placeholder
        return self.placeholder + written[-1]  # the genitive "s", kept for the model to read

    # --- back in -------------------------------------------------------------------------------
    @cached_property
    def _reveal_pattern(self) -> re.Pattern:
        eliding = "|".join(_FRENCH_ELIDING)
        return re.compile(
            rf"(?:(?<!\w)(?P<elide>(?i:{eliding}))(?P<space>\s+))?"
            rf"(?<!\w)(?P<name>(?i:{re.escape(self.placeholder)}))"
            r"(?P<genitive>s|['\u2019]s)?(?!\w)"
        )

    def reveal(self, text: str) -> str:
        """`text` with the real name back wherever the model wrote the placeholder."""
        if not text or not self.name.strip():  # a story whose hero was deleted: nothing to hide
            return text
        return self._reveal_pattern.sub(self._put_back, text)

    def _put_back(self, match: re.Match) -> str:
        name = _display(self.name)
        written = match.group("name")
        if written.isupper() and not self.placeholder.isupper():
            name = name.upper()
        genitive = match.group("genitive") or ""
        if genitive and self.language == "de" and re.search(r"(s|ß|x|z)$", name, re.I):
            genitive = "'"  # Max' Reise, Hans' Drache
        elide = match.group("elide")
        if elide is None:
            return name + genitive
        if self.language == "fr" and name[:1].lower() in _VOWELS:
            elided = _FRENCH_ELIDING[elide.lower()]
            if elide[:1].isupper():
                elided = elided[:1].upper() + elided[1:]
            return f"{elided}{name}{genitive}"
        return f"{elide}{match.group('space')}{name}{genitive}"


@dataclass(frozen=True)
class Cast:
    """The hero's pseudonym and one for each other name the family's words may hold (a brother
    in the hero's description): every name hidden on the way out, each put back where the model
    wrote its placeholder."""

    hero: Pseudonym
    others: tuple[Pseudonym, ...] = ()

    @classmethod
    def choose(
        cls,
        name: str,
        *,
        others: Iterable[str] = (),
        language: str = "en",
        texts: Iterable[str] = (),
    ) -> "Cast":
        texts = list(texts)
        hero = Pseudonym.choose(name, language=language, texts=texts)
        taken, chosen = [hero.placeholder], []
        for other in dict.fromkeys(n for n in others if n and n.strip()):
            if other.casefold() == name.casefold():
                continue
            pseudonym = Pseudonym.choose(other, language=language, texts=[*texts, *taken])
            taken.append(pseudonym.placeholder)
            chosen.append(pseudonym)
        return cls(hero=hero, others=tuple(chosen))

    @property
    def placeholder(self) -> str:
        return self.hero.placeholder

    def hide(self, text: str) -> str:
        for pseudonym in (self.hero, *self.others):
            text = pseudonym.hide(text)
        return text

    def reveal(self, text: str) -> str:
        for pseudonym in (self.hero, *self.others):
            text = pseudonym.reveal(text)
        return text


def hide_names(text: str, *, names: Iterable[str]) -> str:
    """`text` with every one of `names` hidden: for what goes out and never comes back
    (moderation input). Each name gets its own pseudonym's placeholder."""
    for name in names:
        if name and name.strip():
            text = Pseudonym.choose(name, texts=[text]).hide(text)
    return text


def safety_identifier(user_id: str | None) -> str:
    """The vendor's per-user abuse-tracking id: HMAC-SHA256 of our user id (64 hex characters,
    OpenAI takes up to 128). Empty for work done for nobody in particular."""
    if not user_id:
        return ""
    key = settings.AI_SAFETY_IDENTIFIER_KEY.encode()
    return hmac.new(key, f"user:{user_id}".encode(), hashlib.sha256).hexdigest()
