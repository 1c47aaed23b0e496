"""A family's own story occasions: create, edit, delete (their text is moderated when saved)."""

from django.db import transaction

from heroes.selectors import hero_names
from infinitestories.ai.base import Operation
from infinitestories.ai.chain import CallContext
from infinitestories.ai.moderation import family_text_check
from infinitestories.services import model_update
from media.services import media_delete_on_commit
from usage.services import ai_consent_check

from ..models import CustomStoryEvent


def _moderate(event: CustomStoryEvent) -> None:
    """Moderate the event's text, with the family's hero names hidden from the vendor (an event
    is often the hero's own: "Alice's first lost tooth")."""
    ai_consent_check(user=event.user)
    ctx = CallContext(operation=Operation.MODERATION, user_id=event.user_id)
    family_text_check(
        ctx=ctx, custom_event=event, what="story_idea", names=hero_names(user=event.user)
    )


def custom_event_create(*, user, **fields) -> CustomStoryEvent:
    """Save a family's event once moderation has passed its text (400 CONTENT_REJECTED)."""
    values = {name: fields[name] for name in CustomStoryEvent.FAMILY_FIELDS if name in fields}
    event = CustomStoryEvent(user=user, **values)
    _moderate(event)
    event.save(force_insert=True)
    return event


def custom_event_update(*, event: CustomStoryEvent, **fields) -> CustomStoryEvent:
    return model_update(
        instance=event, fields=CustomStoryEvent.FAMILY_FIELDS, data=fields, check=_moderate
    )


@transaction.atomic
def custom_event_delete(*, event: CustomStoryEvent) -> None:
    """Delete the event; stories made from it keep their text (their custom event becomes null)."""
    key = event.pictogram_key
    event.delete()
    media_delete_on_commit(keys=[key])
