"""What the usage e-mails say. The family's in its preferred language (en, es, fr, de, it)."""

from datetime import date
from decimal import Decimal

STORIES = {
    "en": {
        "near_limit": (
            "You have used {used} of your {limit} stories this month",
            "Hello,\n\nYou have made {used} of the {limit} stories your plan includes this month. "
            "New stories unlock on the 1st.\n\nSweet dreams,\nInfiniteStories",
        ),
        "at_limit": (
            "You have used all {limit} stories this month",
            "Hello,\n\nYou have made all {limit} stories your plan includes this month. Your "
            "library is still there to listen to, and new stories unlock on the 1st.\n\n"
            "Sweet dreams,\nInfiniteStories",
        ),
    },
    "es": {
        "near_limit": (
            "Has usado {used} de tus {limit} cuentos este mes",
            "Hola:\n\nHas creado {used} de los {limit} cuentos que incluye tu plan este mes. "
            "Los nuevos cuentos se desbloquean el día 1.\n\nDulces sueños,\nInfiniteStories",
        ),
        "at_limit": (
            "Has usado tus {limit} cuentos de este mes",
            "Hola:\n\nHas creado los {limit} cuentos que incluye tu plan este mes. Tu biblioteca "
            "sigue disponible y los nuevos cuentos se desbloquean el día 1.\n\n"
            "Dulces sueños,\nInfiniteStories",
        ),
    },
    "fr": {
        "near_limit": (
            "Vous avez utilisé {used} de vos {limit} histoires ce mois-ci",
            "Bonjour,\n\nVous avez créé {used} des {limit} histoires comprises dans votre "
            "formule ce mois-ci. De nouvelles histoires seront disponibles le 1er.\n\n"
            "Faites de beaux rêves,\nInfiniteStories",
        ),
        "at_limit": (
            "Vous avez utilisé vos {limit} histoires ce mois-ci",
            "Bonjour,\n\nVous avez créé les {limit} histoires comprises dans votre formule ce "
            "mois-ci. Votre bibliothèque reste disponible et de nouvelles histoires seront "
            "disponibles le 1er.\n\nFaites de beaux rêves,\nInfiniteStories",
        ),
    },
    "de": {
        "near_limit": (
            "Du hast {used} von {limit} Geschichten in diesem Monat genutzt",
            "Hallo,\n\nDu hast {used} der {limit} Geschichten erstellt, die dein Tarif in diesem "
            "Monat enthält. Neue Geschichten gibt es am 1.\n\nSüße Träume,\nInfiniteStories",
        ),
        "at_limit": (
            "Du hast alle {limit} Geschichten in diesem Monat genutzt",
            "Hallo,\n\nDu hast alle {limit} Geschichten erstellt, die dein Tarif in diesem Monat "
            "enthält. Deine Bibliothek bleibt verfügbar, neue Geschichten gibt es am 1.\n\n"
            "Süße Träume,\nInfiniteStories",
        ),
    },
    "it": {
        "near_limit": (
            "Hai usato {used} delle tue {limit} storie questo mese",
            "Ciao,\n\nHai creato {used} delle {limit} storie incluse nel tuo piano questo mese. "
            "Le nuove storie si sbloccano il giorno 1.\n\nSogni d'oro,\nInfiniteStories",
        ),
        "at_limit": (
            "Hai usato tutte le {limit} storie di questo mese",
            "Ciao,\n\nHai creato tutte le {limit} storie incluse nel tuo piano questo mese. La "
            "tua biblioteca resta disponibile e le nuove storie si sbloccano il giorno 1.\n\n"
            "Sogni d'oro,\nInfiniteStories",
        ),
    },
}


def stories_alert(*, language: str, kind: str, used: int, limit: int) -> tuple[str, str]:
    subject, body = STORIES.get(language, STORIES["en"])[kind]
    return subject.format(used=used, limit=limit), body.format(used=used, limit=limit)


def budget_alert(
    *, month: date, threshold: int, spent: Decimal, budget: Decimal
) -> tuple[str, str]:
    subject = f"[InfiniteStories] AI spend at {threshold}% of the {month:%B %Y} budget"
    body = (
        f"AI spend this month is ${spent:.2f} of the ${budget:.2f} budget ({threshold}% reached).\n"
    )
    if threshold >= 100:
        body += (
            "New AI work is now refused (503 AI_BUDGET_EXHAUSTED) until the budget is raised in "
            "the admin (Runtime switches and budget) or the month turns.\n"
        )
    return subject, body
