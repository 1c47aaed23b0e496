"""What the AI vendors may know: never the child's name, never who the family is.

Pseudonym: the hero's name (usually the child's own) is swapped for a placeholder name before a
prompt or a moderation input leaves us, and put back into what the model wrote before it is
stored or narrated. The placeholder is a made-up, gender-neutral name that starts with a
consonant, so models decline it like a name (English "Tavi's", German "Tavis"), never elide
before it (French "de Tavi") and never translate it; putting the real name back fixes what
depends on the name itself: French elision before a vowel ("d'Inès"), the German genitive of a
name ending in a hiss sound ("Max'"), capitals (a name typed in lower case, a title in capitals).

How a name is found, whatever its spelling (docs/privacy.md lists the rules):
- names and text are compared folded: NFKC (full-width letters, ligatures), case-folded ("ß" is
  "ss", so "STRAUSS" is "Strauß"), without accents or other marks (NFD "Zoë" is "zoe"), without
  zero-width and other format characters; the text sent keeps its own letters, only the
  mentions found are replaced;
- a name, each of its parts (not particles such as "de"), and the parts joined however they are
  ("Anne-Marie", "Anne Marie", "AnneMarie");
- names in scripts written without spaces (Chinese, Japanese, Korean, Thai...) anywhere in the
  text, and for such a name of three or more characters its first and last two or more
  characters too (the given name, the family name);
- short names (under three letters) in any case, except those that are also a short word of
  English, Spanish, French, German or Italian ("al", "de", "ed"): those only as names are
  written, with a capital;
- the name's usual short forms and long forms from a small table (DIMINUTIVES: "Alex" for
  Alexander), written with a capital (so "will" stays a word when William is the hero).

The placeholders never run out: after the twelve names come their joined pairs ("Tavikiri"),
then triples; each is one that neither the texts about to be sent nor any of the family's names
use, so every placeholder in an answer is the pseudonym's.

safety_identifier: a keyed hash of the user id (HMAC-SHA256, AI_SAFETY_IDENTIFIER_KEY) that
vendors get for abuse tracking: stable per user, meaningless without our key, never the e-mail
or the database id.
"""

import bisect
import hashlib
import hmac
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings

# Made-up names, not words in English, Spanish, French, German or Italian; the first one absent
# from the texts being sent is used, so a hero (or a friend in the story) called Tavi is safe.
# After these twelve come their joined pairs and triples (placeholders()): never exhausted.
PLACEHOLDERS = ("Tavi", "Kiri", "Zelu", "Nobi", "Pemu", "Rilo", "Vemi", "Sabu", "Dovi", "Kelu")
PLACEHOLDERS += ("Mozi", "Quen")
# Name parts too common as words to hide on their own ("Juan de la Cruz": not every "de"), when
# they stand inside a name in lower case: "Ben Carter" and "Del" are names, and hidden.
_PARTICLES = {"de", "del", "della", "di", "da", "do", "dos", "das", "du", "des", "la", "le"}
_PARTICLES |= {"van", "von", "der", "den", "ten", "ter", "y", "e", "el", "al", "bin", "ben"}
# Short names (under three letters) are hidden in any case ("jo", "Jo", "JO"), except these short
# words of the five story languages, hidden only as names are written (with a capital): "Al" is a
# hero, "al" in "al parque" is Spanish.
_SHORT = 3
_SHORT_WORDS_LIST = (
    "a e i o u y à è é ì ò ù ad ah al am an as at au be by ce ci da de di do du ed eh el en er "
    "es et eu go ha he hi ho id if il im in io is it ja je la le li lo ma me mi mo my ne ni no "
    "ob oh ok on or os ou pa pi qu sa se si so su ta te ti to tu tú un up us va vi vo we wo ya "
    "ye yo zu"
)
_SHORT_WORDS = set(_SHORT_WORDS_LIST.split())
# Usual short and long forms of common names in the five languages: a hero called any of a
# group is hidden under every name of it, where written with a capital. Small on purpose: the
# forms a family writes for a child's given name, not every nickname there is.
DIMINUTIVES = [
    "alexander alexandra alessandro alessandra alejandro alejandra alexandre alex alexa alexis "
    "sasha sascha xander sandro",
    "maximilian maximiliano massimiliano maxime max maxi",
    "benjamin beniamino benjamín ben benji benny",
    "samuel samuele sam sammy",
    "william wilhelm guillermo guillaume guglielmo will willy bill billy liam",
    "elizabeth elisabeth elisabetta isabel isabella isabelle elisa eliza liz lizzie lisa "
    "lise beth betty bella isa sabel",
    "katharina katherine catherine caterina catalina kathrin kate katie kathy cathy katja kat "
    "kitty rina",
    "margaret margarete margherita margarita marguerite maggie meg greta gretchen rita marga",
    "johannes johann john jonathan giovanni juan jean jan hans hannes jack johnny jonny gianni "
    "nino",
    "jonas jonah",
    "joseph josef giuseppe josé josep joe joey beppe pepe sepp",
    "josephine joséphine giuseppina josefina josie fifi",
    "francesco francesca francisco francisca françois françoise franziska franz frank "
    "frankie fran paco pancho franco cesco",
    "nicholas nicolas nikolaus nicola nicolás niccolò nick nicky niko klaus claus nico",
    "christopher christophe cristoforo cristóbal christoph chris kit",
    "christian cristian christiane christina christine cristina chris chrissy tina",
    "michael michele michel miguel michaela michelle mike mikey micha miki",
    "daniel daniele daniela danielle dani danny dan",
    "gabriel gabriele gabriela gabrielle gabi gaby gabe",
    "matthew matthias mattia mateo matteo mathieu matthieu matt matti teo",
    "thomas tomás tommaso tom tommy tomi",
    "andrew andreas andrea andrés andré andy drew dre",
    "anthony antonio antoine anton antonia antonella tony toni toño",
    "robert roberto roberta robin rob robbie bob bobby bert",
    "richard riccardo ricardo rick ricky dick",
    "edward eduardo edoardo édouard eduard ed eddie ted teddy edu",
    "frederick friedrich federico frédéric fred freddie fritz fede",
    "victoria vittoria viktoria vicky tori",
    "valentina valentin valentino vale tina",
    "eleanor eleonora éléonore leonor ellie nora elli leni",
    "helena helene hélène elena elaine ellen lena leni nell",
    "alexia alessia",
    "stephanie stéphanie stefania stefanie steffi steph",
    "stephen steven stefan stéphane stefano esteban steve stevie",
    "susanna susanne suzanne susana susan sue susi suzy",
    "rebecca rebekka becca becky",
    "patricia patrizia patricio patrick patrizio paddy pat patty",
    "teresa theresa thérèse tessa tess resi",
    "dorothea dorothy dora dolly thea",
    "emily emilia emilie émilie emma emmy milly",
    "charlotte carlotta carlota charlie lotte lotta lottie",
    "charles carlos carlo karl carl charlie carli",
    "henry heinrich enrico enrique henri harry hank heinz kike",
    "louis luis luigi ludwig lewis lou gigi lutz",
    "louise luisa louisa lisa lulu",
    "giacomo jacopo jacob jakob jacques jaime james jamie jim jimmy jake",
    "pietro peter pierre pedro piero pete",
    "antonietta antonietta toni",
    "manuel emanuele emmanuel manu manolo",
    "guadalupe lupe lupita",
    "dolores lola",
    "concepción concha conchita",
    "ignacio nacho",
    "jesús chucho chuy",
    "rosario charo",
    "mercedes merche",
    "raffaele raphael rafael raphaël rafa raffa",
    "leonardo leonard léonard leon leo",
    "lorenzo laurent lawrence lorenz renzo larry",
    "giulia giulio julia julie julian julien juliette jules giuli",
    "sophia sofia sophie sofie fifi",
    "ottilie ottilia tilly tilda",
    "mathilde matilda matilde tilda tilly",
    "wolfgang wolf",
    "gottfried friedel",
    "jürgen jörg",
]
_VOWELS = "aeiouyàâäéèêëîïôöùûüÿæœh"
_FRENCH_ELIDING = {"de": "d'", "que": "qu'", "jusque": "jusqu'", "lorsque": "lorsqu'"}
_FRENCH_ELIDING |= {"puisque": "puisqu'"}

# Scripts written without spaces between words: a name there is found inside the text.
_NO_SPACES = (
    "\u0e00-\u0eff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u3040-\u30ff\u3130-\u318f"
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
_NO_SPACES_CHAR = re.compile(f"[{_NO_SPACES}]")
# A letter of a script that separates its words with spaces: a name must not touch one. Digits,
# "_" and punctuation are boundaries ("_Alice_", "Alice2").
_LETTER = f"[^\\W\\d_{_NO_SPACES}]"
# What may stand between the parts of a name: nothing ("AnneMarie"), spaces, hyphens and dashes.
_JOIN = "[\\s\\-\\u2010-\\u2015]*"


def _folded_chunk(chunk: str) -> str:
    """One letter and its marks as matching compares them: NFKC, case-folded, no marks or format
    characters. A full-width "Z" is "z", "ë" (either way written) is "e", "ß" is "ss", a
    zero-width space is nothing."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", chunk).casefold())
    text = "".join(c for c in text if unicodedata.category(c)[0] != "M" and not _invisible(c))
    return unicodedata.normalize("NFC", text)


def _invisible(char: str) -> bool:
    # Format characters (zero-width space and joiners, soft hyphen, BOM, bidi marks) and the
    # variation selectors: invisible, so a name may hide a few.
    return unicodedata.category(char) == "Cf" or "\ufe00" <= char <= "\ufe0f"


def _continues(char: str) -> bool:
    """Whether `char` belongs to the letter before it: a combining mark, or a decomposed Hangul
    vowel or final consonant."""
    return unicodedata.category(char)[0] == "M" or "\u1160" <= char <= "\u11ff"


@dataclass(frozen=True)
class Folded:
    """A text folded for matching, with where each folded character came from in the text."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> "Folded":
        folded, starts, ends = [], [], []
        begin = 0
        for at in range(1, len(text) + 1):
            if at < len(text) and _continues(text[at]) and not _invisible(text[at - 1]):
                continue
            chunk = _folded_chunk(text[begin:at])
            folded.append(chunk)
            starts += [begin] * len(chunk)
            ends += [at] * len(chunk)
            begin = at
        return cls("".join(folded), tuple(starts), tuple(ends))

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original text's span of folded characters start..end."""
        return self.starts[start], self.ends[end - 1]


def fold(text: str) -> str:
    """`text` as names are compared: see Folded."""
    return Folded.of(text).text


def _diminutive_groups() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for line in DIMINUTIVES:
        names = {fold(name) for name in line.split()}
        for name in names:
            groups.setdefault(name, set()).update(names)
    return {name: frozenset(group) for name, group in groups.items()}


_GROUPS = _diminutive_groups()


def placeholders() -> Iterator[str]:
    """Every placeholder, in the order they are tried: the twelve names, then their joined pairs
    ("Tavikiri") and triples, and so on; made of made-up names, so never a word."""
    yield from PLACEHOLDERS
    for length in itertools.count(2):
        for names in itertools.product(PLACEHOLDERS, repeat=length):
            yield names[0] + "".join(name.lower() for name in names[1:])


class _Seen:
    """The words (folded) of what is about to be sent and of the family's names: a placeholder
    is free when no word begins with it."""

    def __init__(self, texts: Iterable[str]):
        words = set()
        for text in texts:
            words.update(re.findall(r"[^\W\d_]+", fold(text)))
        self.words = sorted(words)

    def uses(self, placeholder: str) -> bool:
        prefix = placeholder.lower()
        at = bisect.bisect_left(self.words, prefix)
        return at < len(self.words) and self.words[at].startswith(prefix)


def _display(name: str) -> str:
    """The name as a story should print it: a name typed all in lower case gets its capitals."""
    name = " ".join(name.split())
    return name.title() if name == name.lower() else name


# How a form may be written to be hidden.
_ANY, _WRITTEN, _CAPITAL = "any", "written", "capital"


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
        return Cast.choose(name, language=language, texts=texts).hero

    # --- out -----------------------------------------------------------------------------------
    @cached_property
    def _forms(self) -> dict[str, str]:
        """Folded form -> how it must be written to be hidden (_ANY, _WRITTEN, _CAPITAL)."""
        whole = " ".join(unicodedata.normalize("NFKC", self.name).split())
        words = [w for w in re.split(r"[\s\-\u2010-\u2015]+", whole) if fold(w)]
        parts = [
            word
            for n, word in enumerate(words)
            if not (n > 0 and word.islower() and fold(word) in _PARTICLES)
        ]
        forms: dict[str, str] = {}
        for word in parts:
            folded = fold(word)
            for other in _GROUPS.get(folded, ()):
                forms.setdefault(other, _CAPITAL)
            if _NO_SPACES_CHAR.search(folded) and len(folded) >= 3:
                for size in range(2, len(folded)):
                    forms[folded[:size]] = forms[folded[-size:]] = _ANY
        for word in parts:
            folded = fold(word)
            short = len(folded) < _SHORT and not _NO_SPACES_CHAR.search(folded)
            forms[folded] = _WRITTEN if short and folded in _SHORT_WORDS else _ANY
        if len(words) > 1:
            forms[_JOIN.join(map(re.escape, map(fold, words)))] = _ANY
        return forms

    @cached_property
    def hide_pattern(self) -> re.Pattern | None:
        """Every form, longest first, in the folded text: a form in a spaced script stands
        between non-letters and may carry a German genitive "s" ("Alices Zimmer")."""
        if not self._forms:
            return None
        spaced, unspaced = [], []
        for form in sorted(self._forms, key=len, reverse=True):
            joined = form if _JOIN in form else re.escape(form)
            (unspaced if _NO_SPACES_CHAR.search(form) else spaced).append(joined)
        alternatives = []
        if spaced:
            alternatives.append(
                f"(?<!{_LETTER})(?:{'|'.join(spaced)})(?P<genitive>s)?(?!{_LETTER})"
            )
        if unspaced:
            alternatives.append(f"(?:{'|'.join(unspaced)})")
        return re.compile("|".join(alternatives))

    def how_written(self, folded: str) -> str:
        return self._forms.get(re.sub(_JOIN, "", folded), _ANY)

    def hide(self, text: str) -> str:
        """`text` with every mention of the hero's name replaced by the placeholder.

        It errs on the side of hiding: a name that is also a word ("Rose") is hidden as the word
        too, so that the name's letters never leave us, whatever the family wrote."""
        return Cast(hero=self).hide(text)

    # --- back in -------------------------------------------------------------------------------
    def reveal(self, text: str) -> str:
        """`text` with the real name back wherever the model wrote the placeholder."""
        return Cast(hero=self).reveal(text)

    def put_back(self, match: re.Match) -> str:
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


def _written_as(original: str, how: str) -> bool:
    """Whether a mention written `original` is one to hide, for a form hidden only as names are
    written (_WRITTEN: not all lower case) or with a capital (_CAPITAL)."""
    letters = [c for c in unicodedata.normalize("NFKC", original) if c.isalpha()]
    if how == _WRITTEN:
        return not all(c.islower() for c in letters)
    if how == _CAPITAL:
        return bool(letters) and letters[0].isupper()
    return True


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
        """A pseudonym for `name` and each of `others` (the same name once), each with its own
        placeholder that no text, no name and no other placeholder uses."""
        names = [name]
        folded = {fold(name)}
        for other in others:
            if other and other.strip() and fold(other) not in folded:
                names.append(other)
                folded.add(fold(other))
        # the diminutives too: a placeholder must not be a form any name is hidden under
        forms = [f for n in names for f in Pseudonym(name=n)._forms if _JOIN not in f]
        seen = _Seen([*texts, *names, *forms])
        free = (p for p in placeholders() if not seen.uses(p))
        chosen = [Pseudonym(name=n, placeholder=next(free), language=language) for n in names]
        return cls(hero=chosen[0], others=tuple(chosen[1:]))

    @property
    def placeholder(self) -> str:
        return self.hero.placeholder

    @property
    def _everyone(self) -> tuple[Pseudonym, ...]:
        return (self.hero, *self.others)

    def hide(self, text: str) -> str:
        """`text` with every mention of every name replaced by its placeholder, in one pass over
        the folded text: the first and longest mention wins where two overlap."""
        if not text:
            return text
        folded = Folded.of(text)
        found = []
        for pseudonym in self._everyone:
            if pseudonym.hide_pattern is None:
                continue
            for match in pseudonym.hide_pattern.finditer(folded.text):
                found.append((match.start(), -match.end(), pseudonym, match))
        found.sort(key=lambda hit: (hit[0], hit[1]))
        pieces, at = [], 0
        for start, negative_end, pseudonym, match in found:
            end = -negative_end
            genitive = match.groupdict().get("genitive")
            name_end = end - 1 if genitive else end
            first, last = folded.span(start, name_end)
            if (
                first < at
                or not _written_as(  # `at`: where the last mention ended
                    text[first:last], pseudonym.how_written(folded.text[start:name_end])
                )
            ):
                continue
            pieces += [text[at:first], pseudonym.placeholder]
            at = last
            if genitive:
                pieces.append(text[last : folded.span(start, end)[1]])
                at = folded.span(start, end)[1]
        return "".join([*pieces, text[at:]])

    @cached_property
    def _reveal_pattern(self) -> re.Pattern:
        eliding = "|".join(_FRENCH_ELIDING)
        names = "|".join(
            re.escape(p.placeholder)
            for p in sorted(self._everyone, key=lambda p: len(p.placeholder), reverse=True)
        )
        return re.compile(
            rf"(?:(?<!\w)(?P<elide>(?i:{eliding}))(?P<space>\s+))?"
            rf"(?<!{_LETTER})(?P<name>(?i:{names}))"
            rf"(?P<genitive>s|['\u2019]s)?(?!{_LETTER})"
        )

    def reveal(self, text: str) -> str:
        """`text` with each real name back wherever the model wrote its placeholder (one pass:
        a name put back is never read as another's placeholder)."""
        if not text:
            return text
        by_placeholder = {p.placeholder.lower(): p for p in self._everyone if p.name.strip()}
        if not by_placeholder:  # a story whose hero was deleted: nothing to put back
            return text

        def put_back(match: re.Match) -> str:
            pseudonym = by_placeholder.get(match.group("name").lower())
            return match.group(0) if pseudonym is None else pseudonym.put_back(match)

        return self._reveal_pattern.sub(put_back, text)


def hide_names(text: str, *, names: Iterable[str]) -> str:
    """`text` with every one of `names` hidden: for what goes out and never comes back
    (moderation input). Each name gets its own pseudonym's placeholder."""
    names = [name for name in names if name and name.strip()]
    if not names or not text:
        return text
    return Cast.choose(names[0], others=names[1:], texts=[text]).hide(text)


def safety_identifier(user_id: str | None) -> str:
    """The vendor's per-user abuse-tracking id: HMAC-SHA256 of our user id (64 hex characters,
    OpenAI takes up to 128). Empty for work done for nobody in particular."""
    if not user_id:
        return ""
    key = settings.AI_SAFETY_IDENTIFIER_KEY.encode()
    return hmac.new(key, f"user:{user_id}".encode(), hashlib.sha256).hexdigest()
