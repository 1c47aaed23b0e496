"""Story library writes: update, delete, listen, illustrations, custom events.

Writing a new story, its narration and its pictures: stories/generation.py.
"""

import copy

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from infinitestories.ai.chain import CallContext
from infinitestories.ai.moderation import family_text_check
from infinitestories.api.errors import NotFoundError
from infinitestories.services import model_update
from media.services import media_delete_on_commit

from . import generation
from .models import CustomStoryEvent, GenerationJob, Story, StoryIllustration

CUSTOM_EVENT_FIELDS = (
    "title",
    "description",
    "prompt_seed",
    "keywords",
    "category",
    "age_range",
    "tone",
    "pictogram_emoji",
    "is_favorite",
)


@transaction.atomic
def story_update(
    *,
    story: Story,
    title: str | None = None,
    content: str | None = None,
    is_favorite: bool | None = None,
    keep_audio: bool = False,
) -> tuple[Story, bool]:
    """Update the editable fields; return the story and whether its content changed.

    New content makes the narration stale: audio is marked not generated, and the old file is
    deleted after commit (PRD 6.3: "Old audio file marked for deletion") unless `keep_audio`:
    when new narration is queued, the old file stays until the new one is saved.
    """
    changed: dict = {}
    if title is not None and title != story.title:
        changed["title"] = title
    if is_favorite is not None and is_favorite != story.is_favorite:
        changed["is_favorite"] = is_favorite
    content_changed = content is not None and content != story.content
    if content_changed:
        changed |= {"content": content, "audio_generated": False}
        if not keep_audio:
            changed |= {"audio_key": "", "audio_duration": None, "audio_generated_at": None}
            media_delete_on_commit(keys=[story.audio_key])
    model_update(instance=story, fields=changed, data=changed)
    return story, content_changed


def story_edit(
    *,
    user,
    story: Story,
    title: str | None = None,
    content: str | None = None,
    is_favorite: bool | None = None,
    regenerate_audio: bool = False,
) -> tuple[Story, GenerationJob | None]:
    """PATCH /api/stories/{storyId}.

    1. Moderate the text the family changed (400 CONTENT_REJECTED) before anything is written.
    2. Save the fields; new content makes the narration stale (story_update).
    3. When the content changed and regenerateAudio is set, queue narration of the new text
       (enqueued after commit). Returns the story and that job, if any.
    """
    new_title = title if title is not None and title != story.title else None
    new_content = content if content is not None and content != story.content else None
    if new_title is not None or new_content is not None:
        generation.story_edit_check(user=user, story=story, title=new_title, content=new_content)
    with transaction.atomic():
        story, content_changed = story_update(
            story=story,
            title=title,
            content=content,
            is_favorite=is_favorite,
            keep_audio=regenerate_audio,
        )
        job = generation.story_audio_after_edit(
            user=user,
            story=story,
            content_changed=content_changed,
            regenerate_audio=regenerate_audio,
        )
    return story, job


@transaction.atomic
def story_delete(*, story: Story) -> None:
    """Delete the story and its illustrations; their files go after commit."""
    keys = [story.audio_key, *story.illustrations.values_list("image_key", flat=True)]
    story.delete()
    media_delete_on_commit(keys=keys)


def story_listen(*, story: Story) -> Story:
    """Count one listen atomically in the database (concurrent listens all count)."""
    now = timezone.now()
    counted = Story.objects.filter(pk=story.pk).update(
        listen_count=F("listen_count") + 1, last_listened_at=now
    )
    if not counted:  # deleted meanwhile
        raise NotFoundError("Story not found.")
    story.refresh_from_db(fields=["listen_count", "last_listened_at"])
    return story


@transaction.atomic
def illustration_delete(*, illustration: StoryIllustration) -> None:
    """Delete one illustration and close the gap: the rest keep their order, numbered 0..n-1."""
    story_id, key = illustration.story_id, illustration.image_key
    # Lock the story's illustrations so two deletions do not renumber over each other.
    remaining = list(
        StoryIllustration.objects.select_for_update()
        .filter(story_id=story_id)
        .exclude(pk=illustration.pk)
        .order_by("display_order", "created_at")
    )
    illustration.delete()
    for position, item in enumerate(remaining):
        if item.display_order != position:
            item.display_order = position
            item.save(update_fields=["display_order", "updated_at"])
    media_delete_on_commit(keys=[key])


def custom_event_create(*, user, **fields) -> CustomStoryEvent:
    """Save a family's event once moderation has passed its text (400 CONTENT_REJECTED)."""
    values = {name: fields[name] for name in CUSTOM_EVENT_FIELDS if name in fields}
    event = CustomStoryEvent(user=user, **values)
    _moderate(event=event)
    event.save(force_insert=True)
    return event


def custom_event_update(*, event: CustomStoryEvent, **fields) -> CustomStoryEvent:
    edited = copy.copy(event)
    for name in CUSTOM_EVENT_FIELDS:
        if name in fields:
            setattr(edited, name, fields[name])
    _moderate(event=edited)
    return model_update(instance=event, fields=CUSTOM_EVENT_FIELDS, data=fields)


def _moderate(*, event: CustomStoryEvent) -> None:
    ctx = CallContext(operation="moderation", user_id=event.user_id)
    family_text_check(ctx=ctx, custom_event=event, what="the story idea")


@transaction.atomic
def custom_event_delete(*, event: CustomStoryEvent) -> None:
    """Delete the event; stories made from it keep their text (their custom event becomes null)."""
    key = event.pictogram_key
    event.delete()
    media_delete_on_commit(keys=[key])
