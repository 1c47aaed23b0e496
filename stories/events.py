"""Built-in story event types (GET /api/story-events), with titles in the app's five languages.

The id is what a story stores in event_type (and what POST /api/stories accepts).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class StoryEvent:
    id: str
    emoji: str
    category: str
    titles: dict[str, str]


STORY_EVENTS: tuple[StoryEvent, ...] = (
    StoryEvent(
        "bedtime",
        "🌙",
        "daily",
        {
            "en": "Bedtime",
            "es": "Hora de dormir",
            "fr": "L'heure du coucher",
            "de": "Schlafenszeit",
            "it": "Ora della nanna",
        },
    ),
    StoryEvent(
        "adventure",
        "🗺️",
        "imagination",
        {
            "en": "Adventure",
            "es": "Aventura",
            "fr": "Aventure",
            "de": "Abenteuer",
            "it": "Avventura",
        },
    ),
    StoryEvent(
        "birthday",
        "🎂",
        "celebration",
        {
            "en": "Birthday",
            "es": "Cumpleaños",
            "fr": "Anniversaire",
            "de": "Geburtstag",
            "it": "Compleanno",
        },
    ),
    StoryEvent(
        "first_day_of_school",
        "🎒",
        "milestone",
        {
            "en": "First day of school",
            "es": "Primer día de colegio",
            "fr": "Premier jour d'école",
            "de": "Erster Schultag",
            "it": "Primo giorno di scuola",
        },
    ),
    StoryEvent(
        "lost_tooth",
        "🦷",
        "milestone",
        {
            "en": "Lost tooth",
            "es": "Diente caído",
            "fr": "Dent de lait tombée",
            "de": "Wackelzahn",
            "it": "Dentino caduto",
        },
    ),
    StoryEvent(
        "new_sibling",
        "👶",
        "family",
        {
            "en": "New baby sibling",
            "es": "Nuevo hermanito",
            "fr": "Un petit frère ou une petite sœur",
            "de": "Neues Geschwisterchen",
            "it": "Un fratellino in arrivo",
        },
    ),
    StoryEvent(
        "doctor_visit",
        "🩺",
        "feelings",
        {
            "en": "Visit to the doctor",
            "es": "Visita al médico",
            "fr": "Visite chez le médecin",
            "de": "Besuch beim Arzt",
            "it": "Visita dal dottore",
        },
    ),
    StoryEvent(
        "moving_house",
        "🏠",
        "family",
        {
            "en": "Moving house",
            "es": "Mudanza",
            "fr": "Déménagement",
            "de": "Umzug",
            "it": "Trasloco",
        },
    ),
    StoryEvent(
        "holiday",
        "🎄",
        "celebration",
        {
            "en": "Holiday",
            "es": "Fiestas",
            "fr": "Fêtes",
            "de": "Feiertage",
            "it": "Festività",
        },
    ),
    StoryEvent(
        "friendship",
        "🤝",
        "feelings",
        {
            "en": "Making friends",
            "es": "Hacer amigos",
            "fr": "Se faire des amis",
            "de": "Freunde finden",
            "it": "Fare amicizia",
        },
    ),
    StoryEvent(
        "nature",
        "🌳",
        "imagination",
        {
            "en": "In nature",
            "es": "En la naturaleza",
            "fr": "Dans la nature",
            "de": "In der Natur",
            "it": "Nella natura",
        },
    ),
)

STORY_EVENT_IDS = frozenset(event.id for event in STORY_EVENTS)


def story_event_list(*, language: str) -> list[dict]:
    """Every built-in event with its title in `language` and all its titles."""
    return [
        {
            "id": event.id,
            "emoji": event.emoji,
            "category": event.category,
            "title": event.titles[language],
            "titles": dict(event.titles),
        }
        for event in STORY_EVENTS
    ]
