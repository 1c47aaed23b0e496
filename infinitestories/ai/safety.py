"""The PRD's term filter (section 9): words that make an image model draw something unsettling
are replaced by gentle ones, in five languages, as whole words, in any case. Every hit is logged.
"""

import logging
import re
import unicodedata
from functools import cache

logger = logging.getLogger("infinitestories.safety")

TERMS: dict[str, dict[str, str]] = {
    "en": {
        "alone": "with friends",
        "isolated": "exploring",
        "abandoned": "on an adventure",
        "lost": "discovering",
        "scared": "excited",
        "frightened": "curious",
        "violence": "challenge",
        "weapon": "tool",
        "weapons": "tools",
        "hurt": "helped",
        "danger": "excitement",
        "dangerous": "exciting",
        "nightmare": "dream",
        "monster": "friendly creature",
        "dark": "softly lit",
        "crying": "smiling",
    },
    "es": {
        "solo": "con amigos",
        "sola": "con amigos",
        "abandonado": "en una aventura",
        "abandonada": "en una aventura",
        "perdido": "descubriendo",
        "perdida": "descubriendo",
        "asustado": "emocionado",
        "asustada": "emocionada",
        "violencia": "desafío",
        "arma": "herramienta",
        "peligro": "emoción",
        "pesadilla": "sueño",
        "monstruo": "criatura amable",
    },
    "fr": {
        "seul": "avec des amis",
        "seule": "avec des amis",
        "abandonné": "en aventure",
        "abandonnée": "en aventure",
        "perdu": "en train de découvrir",
        "perdue": "en train de découvrir",
        "effrayé": "enthousiaste",
        "effrayée": "enthousiaste",
        "violence": "défi",
        "arme": "outil",
        "danger": "aventure",
        "cauchemar": "rêve",
        "monstre": "créature gentille",
    },
    "de": {
        "allein": "mit Freunden",
        "verlassen": "auf einem Abenteuer",
        "verloren": "auf Entdeckungsreise",
        "verängstigt": "aufgeregt",
        "ängstlich": "neugierig",
        "gewalt": "Herausforderung",
        "waffe": "Werkzeug",
        "verletzt": "versorgt",
        "gefahr": "Spannung",
        "albtraum": "Traum",
        "monster": "freundliches Wesen",
    },
    "it": {
        "solo": "con gli amici",
        "sola": "con gli amici",
        "abbandonato": "in avventura",
        "abbandonata": "in avventura",
        "perso": "alla scoperta",
        "persa": "alla scoperta",
        "spaventato": "emozionato",
        "spaventata": "emozionata",
        "violenza": "sfida",
        "arma": "strumento",
        "pericolo": "emozione",
        "incubo": "sogno",
        "mostro": "creatura gentile",
    },
}


@cache
def _pattern(language: str) -> tuple[re.Pattern, dict[str, str]]:
    terms = {k.lower(): v for k, v in TERMS[language].items()}
    words = sorted(terms, key=len, reverse=True)
    # \b is Unicode-aware for str patterns, so "abandonné" and "ängstlich" match whole.
    return re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE), terms


def filter_prompt(
    text: str, *, languages: list[str] | None = None, context: str = ""
) -> tuple[str, list[str]]:
    """Replace unsafe terms in an image prompt. Prompts mix English instructions with story text in
    the story's language, so by default every language's list is applied. Returns (text, hits)."""
    hits: list[str] = []
    for language in languages or list(TERMS):
        pattern, terms = _pattern(language)

        def replace(match: re.Match, terms=terms, language=language) -> str:
            hits.append(f"{language}:{match.group(0)}")
            return terms[match.group(0).lower()]

        text = pattern.sub(replace, text)
    if hits:
        logger.info("Safety filter replaced %s in %s", ", ".join(hits), context or "a prompt")
    return text, hits


# Words a hero may not be called, in five languages: the name never goes to the vendor's
# moderation (it would be the child's own name), so it is checked here. Whole words, any case,
# accents optional; deliberately no substrings, so real names that contain one ("Nazia",
# "Dickens") are not refused.
NAME_TERMS: dict[str, set[str]] = {
    "en": {
        "kill", "killer", "murder", "murderer", "blood", "bloody", "gun", "knife", "bomb",
        "terrorist", "rape", "rapist", "suicide", "sex", "sexy", "porn", "naked", "nude", "penis",
        "vagina", "boobs", "cocaine", "heroin", "fuck", "fucker", "shit", "bitch", "dick", "cock",
        "pussy", "cunt", "asshole", "bastard", "slut", "whore", "nazi", "hitler",
    },
    "es": {
        "matar", "asesino", "asesina", "sangre", "pistola", "cuchillo", "bomba", "violador",
        "suicidio", "sexo", "porno", "desnudo", "desnuda", "droga", "cocaína", "mierda", "puta",
        "puto", "cabrón", "coño", "polla", "joder", "pendejo", "gilipollas",
    },
    "fr": {
        "tuer", "tueur", "meurtre", "meurtrier", "assassin", "pistolet", "couteau", "bombe",
        "violeur", "sexe", "porno", "drogue", "cocaïne", "merde", "putain", "pute", "salope",
        "connard", "connasse", "bite", "enculé",
    },
    "de": {
        "töten", "mörder", "mord", "blut", "pistole", "messer", "waffe", "bombe", "vergewaltiger",
        "selbstmord", "porno", "nackt", "droge", "drogen", "kokain", "scheiße", "scheisse",
        "arsch", "arschloch", "fotze", "hure", "schlampe", "ficken", "wichser",
    },
    "it": {
        "uccidere", "assassino", "assassina", "sangue", "pistola", "coltello", "bomba",
        "stupratore", "suicidio", "sesso", "porno", "nudo", "nuda", "droga", "cocaina", "merda",
        "cazzo", "puttana", "stronzo", "stronza", "vaffanculo", "troia",
    },
}  # fmt: skip


def _plain(word: str) -> str:
    """Lower case without accents: "Cabrón" and "cabron" are the same word here."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _name_terms() -> dict[str, str]:
    return {
        _plain(term): f"{language}:{term}"
        for language, terms in NAME_TERMS.items()
        for term in terms
    }


def name_check(name: str) -> list[str]:
    """The unsafe words a hero's name contains, as "language:word" (empty when it is fine)."""
    terms = _name_terms()
    return sorted({terms[w] for w in re.findall(r"\w+", _plain(name)) if w in terms})
