"""Stories: write one for a hero (in the request), edit, delete, count a listen."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from heroes.errors import HERO_NOT_FOUND
from heroes.models import Hero
from heroes.selectors import hero_names
from infinitestories.ai import chain, moderation, story_text
from infinitestories.ai.base import Operation
from infinitestories.api.errors import NotFoundError
from infinitestories.ids import new_id
from infinitestories.services import model_update
from media.services import media_delete_on_commit
from usage.services import (
    AIWork,
    Piece,
    ai_consent_check,
    ai_work_abandon,
    ai_work_running,
    ai_works_admit,
    story_quota_charge,
)

from ..errors import CUSTOM_EVENT_NOT_FOUND, STORY_NOT_FOUND
from ..models import CustomStoryEvent, GenerationJob, Story
from ..selectors import story_names_hidden
from . import illustrations, jobs, narration

Job = GenerationJob


def story_create(
    *,
    user,
    hero,
    language: str,
    event_type: str = "",
    custom_event: CustomStoryEvent | None = None,
    generate_audio: bool = True,
    generate_illustrations: bool = False,
    illustration_count: int = 3,
    voice: str = "",
    priority: str = Job.Priority.NORMAL,
) -> tuple[Story, dict[str, GenerationJob]]:
    """Write a story for `hero` and save it, charging one story of the monthly quota.

    1. Admit all the work asked for at once, before any AI call (usage.ai_works_admit: the
       story, and the narration and pictures that will follow, so a story is never written and
       then refused for its narration or pictures); a refusal admits none of it.
    2. Moderate the family's text (hero, custom event): 400 CONTENT_REJECTED if flagged.
    3. Write the story (moderated; rewritten once if flagged, else the request fails).
    4. In one transaction: take one story of the quota with a conditional UPDATE (so ten parallel
       requests with one story left save exactly one), save the story, count the custom event's
       use, create the audio / illustration jobs (enqueued on commit, holding their work).
    5. The story's own work ends whatever happened (usage.ai_work_running); the narration's and
       pictures' are given back if the story was not saved (their jobs end them otherwise).
    """
    story_work, follow_up = story_work_admit(
        user=user,
        generate_audio=generate_audio,
        generate_illustrations=generate_illustrations,
        illustration_count=illustration_count,
        voice=voice,
        priority=priority,
    )
    try:
        with ai_work_running(work=story_work):
            return story_write_and_save(
                user=user,
                hero=hero,
                language=language,
                event_type=event_type,
                custom_event=custom_event,
                illustration_count=illustration_count,
                voice=voice,
                priority=priority,
                follow_up=follow_up,
            )
    except BaseException:
        for work in follow_up.values():
            ai_work_abandon(work=work)
        raise


def story_work_admit(
    *,
    user,
    generate_audio: bool,
    generate_illustrations: bool,
    illustration_count: int,
    voice: str,
    priority: str,
) -> tuple[AIWork, dict[str, AIWork]]:
    """Admit a new story and the narration and pictures asked with it, all or none, before any
    AI call. Returns (the story's work, the follow-ups' by name) (story_create, and
    stories.background for a story written by a worker)."""
    pieces = [Piece(operation=Operation.STORY_GENERATION)]
    if generate_audio:
        pieces.append(Piece(operation=Operation.AUDIO_SYNTHESIS, voice=voice))
    if generate_illustrations:
        pieces.append(Piece(operation=Operation.IMAGE_GENERATION, units=illustration_count))
    story_work, *rest = ai_works_admit(user=user, pieces=pieces, priority=priority)
    follow_up = {}
    if generate_audio:
        follow_up["audio"] = rest.pop(0)
    if generate_illustrations:
        follow_up["illustrations"] = rest.pop(0)
    return story_work, follow_up


def story_write_and_save(
    *,
    user,
    hero,
    language: str,
    event_type: str,
    custom_event: CustomStoryEvent | None,
    illustration_count: int,
    voice: str,
    priority: str,
    follow_up: dict,
    story_id: str = "",
) -> tuple[Story, dict[str, GenerationJob]]:
    """Steps 2 to 4 of story_create, for admitted work (`follow_up`: the narration's and pictures'
    work, handed over to their jobs). `story_id`: the id to save it under (a worker's re-run
    finds it written)."""
    story_id = story_id or new_id("story")
    ctx = chain.CallContext(
        operation=Operation.MODERATION, user_id=user.pk, story_id=story_id, hero_id=hero.pk
    )
    family = hero_names(user=user)  # a brother or sister may be named: hidden everywhere
    moderation.family_text_check(ctx=ctx, hero=hero, custom_event=custom_event, names=family)
    draft = story_text.story_write(
        ctx=ctx,
        hero=hero,
        language=language,
        event_type=event_type,
        custom_event=custom_event,
        other_names=family,
    )

    with transaction.atomic():
        story_quota_charge(user=user)
        # Writing took seconds: the family may have deleted the hero or the event meanwhile.
        # Lock them so they stay until the story is saved; gone means 404, nothing charged.
        if not Hero.objects.select_for_update().filter(pk=hero.pk, user=user).exists():
            raise NotFoundError(HERO_NOT_FOUND)
        if custom_event is not None and not (
            CustomStoryEvent.objects.select_for_update()
            .filter(pk=custom_event.pk, user=user)
            .exists()
        ):
            raise NotFoundError(CUSTOM_EVENT_NOT_FOUND)
        story = Story.objects.create(
            id=story_id,
            user=user,
            hero=hero,
            hero_name=hero.name,
            title=draft.title,
            content=draft.content,
            language=language,
            event_type=event_type,
            custom_event=custom_event,
            custom_event_prompt=custom_event.prompt_seed if custom_event is not None else "",
            prompt_version=draft.prompt_version,
        )
        if custom_event is not None:
            CustomStoryEvent.objects.filter(pk=custom_event.pk).update(
                usage_count=F("usage_count") + 1, last_used_at=timezone.now()
            )
        created: dict[str, GenerationJob] = {}
        if "audio" in follow_up:
            created["audio_generation"] = narration.audio_request(
                user=user, story=story, voice=voice, priority=priority, work=follow_up["audio"]
            )
        if "illustrations" in follow_up:
            created["illustration_generation"] = illustrations.illustrations_request(
                user=user,
                story=story,
                count=illustration_count,
                priority=priority,
                work=follow_up["illustrations"],
            )
    return story, created


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

    1. Moderate the text the family changed (400 CONTENT_REJECTED) before anything is written;
       moderation is AI work, so it needs the parent's consent (ai_consent_check).
    2. Save the fields. New content makes the narration stale: the story stops claiming
       narrated audio at once (the old file would not match the text).
    3. New content or title with regenerateAudio: queue narration of the new text (the title is
       spoken too; enqueued after commit); the old file stays until the new one is saved
       (narration.audio_generate). New content without it: the old file is deleted after commit
       (PRD 6.3: "Old audio file marked for deletion"). A new title alone keeps the narration as
       it was spoken, its read-along words included.
    Returns the story and the narration job, if one was queued.
    """
    changed: dict = {}
    if title is not None and title != story.title:
        changed["title"] = title
    if is_favorite is not None and is_favorite != story.is_favorite:
        changed["is_favorite"] = is_favorite
    content_changed = content is not None and content != story.content
    if content_changed:
        changed |= {"content": content, "audio_generated": False}
        if not regenerate_audio:
            changed |= {"audio_key": "", "audio_duration": None, "audio_generated_at": None}
    edited_text = {name: changed[name] for name in ("title", "content") if name in changed}
    if edited_text:
        ai_consent_check(user=user)
        ctx = chain.CallContext(operation=Operation.MODERATION, user_id=user.pk, story_id=story.pk)
        moderation.user_text_check(
            ctx=ctx, texts=edited_text, what="story", names=story_names_hidden(story=story)
        )
    with transaction.atomic():
        # A narration may have finished during moderation: drop the file the story points at now.
        old_audio_key = (
            Story.objects.select_for_update()
            .filter(pk=story.pk)
            .values_list("audio_key", flat=True)
            .first()
        )
        model_update(instance=story, fields=changed, data=changed)
        if not (edited_text and regenerate_audio):
            if content_changed and old_audio_key:
                media_delete_on_commit(keys=[old_audio_key])
            return story, None
        job = narration.audio_request(
            user=user, story=story, voice=story.voice_type, priority=Job.Priority.NORMAL
        )
    return story, job


@transaction.atomic
def story_delete(*, story: Story) -> None:
    """Delete the story, its illustrations and its jobs (their AI work is stopped: ended here, or
    by the worker that runs it before its next paid call); their files go after commit."""
    keys = [story.audio_key, *story.illustrations.values_list("image_key", flat=True)]
    jobs.generation_jobs_settle(story=story)
    story.delete()
    media_delete_on_commit(keys=keys)


def story_listen(*, story: Story) -> Story:
    """Count one listen atomically in the database (concurrent listens all count)."""
    now = timezone.now()
    counted = Story.objects.filter(pk=story.pk).update(
        listen_count=F("listen_count") + 1, last_listened_at=now
    )
    if not counted:  # deleted meanwhile
        raise NotFoundError(STORY_NOT_FOUND)
    story.refresh_from_db(fields=["listen_count", "last_listened_at"])
    return story
