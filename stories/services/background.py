"""A story written by a worker: POST /api/stories with `Prefer: respond-async`.

The request admits the work exactly as the synchronous path does (stories.story_work_admit: the
story, and the narration and pictures asked with it), then answers 202 with a job before any AI
call. The worker writes and saves the story with the synchronous path's own steps
(stories.story_write_and_save: moderation, writing, the quota charged at save, the follow-up
jobs); the job then points at the story and completes, and the family's phones are told.
"""

from django.db import transaction

from heroes.errors import HERO_NOT_FOUND
from heroes.models import Hero
from infinitestories.ai.errors import AIError
from infinitestories.api.errors import ApplicationError, NotFoundError, ai_error_answer
from infinitestories.ids import new_id
from usage.services import AIWork, ai_work_abandon, ai_work_end, ai_work_hand_over

from ..errors import CUSTOM_EVENT_NOT_FOUND
from ..models import CustomStoryEvent, GenerationJob, Story, StoryWriteRequest
from . import jobs, stories

Job = GenerationJob


def story_request_in_background(
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
) -> GenerationJob:
    """Admit a story and queue its writing; returns the job (enqueued on commit).

    1. Admit it all, before any AI call (stories.story_work_admit); a refusal raises with nothing
       counted or reserved, as for the synchronous path.
    2. In one transaction: the job, holding the story's work (ended when the job ends), and what
       was asked, holding the narration's and pictures' work until their own jobs take it (or
       the story fails and ends it). If that fails, every piece is given back.
    """
    story_work, follow_up = stories.story_work_admit(
        user=user,
        generate_audio=generate_audio,
        generate_illustrations=generate_illustrations,
        illustration_count=illustration_count,
        voice=voice,
        priority=priority,
    )
    try:
        with transaction.atomic():
            job = jobs.job_create(
                user=user, kind=Job.Kind.STORY, story=None, work=story_work, priority=priority
            )
            for work in follow_up.values():
                ai_work_hand_over(work=work)
            StoryWriteRequest.objects.create(
                job=job,
                story_id=new_id("story"),
                hero_id=hero.pk,
                custom_event_id=custom_event.pk if custom_event is not None else "",
                language=language,
                event_type=event_type,
                generate_audio=generate_audio,
                generate_illustrations=generate_illustrations,
                illustration_count=illustration_count,
                voice=voice,
                follow_up_work={name: work.pk for name, work in follow_up.items()},
            )
    except BaseException:
        for work in [story_work, *follow_up.values()]:
            ai_work_abandon(work=work)
        raise
    return job


def story_write(*, job: GenerationJob) -> None:
    """The story job's work (run by jobs.job_run; safe to run again).

    1. The story already saved under the request's id (an earlier run died after saving): go to 3.
    2. Write and save it as the synchronous path does, with the work the request admitted. A
       failure the job will retry keeps it for the retry; any other ends the narration's and
       pictures' and notes its machine code for GET /api/jobs/{jobId}.
    3. Point the job at the story and complete it (the push goes after commit).
    """
    request = StoryWriteRequest.objects.get(job_id=job.pk)
    story = Story.objects.filter(pk=request.story_id, user=job.user).first()
    if story is None:
        follow_up = {
            name: AIWork.objects.get(pk=work_id) for name, work_id in request.follow_up_work.items()
        }
        try:
            story = _story_write(job=job, request=request, follow_up=follow_up)
        except jobs.RETRIED_LATER:
            if job.attempts < job.max_attempts:
                raise
            _failed(request=request, follow_up=follow_up, code="AI_UNAVAILABLE")
            raise
        except AIError as exc:
            _failed(request=request, follow_up=follow_up, code=ai_error_answer(exc).code)
            raise
        except ApplicationError as exc:
            _failed(request=request, follow_up=follow_up, code=exc.code)
            raise
        except BaseException:
            _failed(request=request, follow_up=follow_up, code="AI_FAILED")
            raise
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(story=story)
        job.story = story
        jobs.job_complete(job=job)


def _story_write(*, job: GenerationJob, request: StoryWriteRequest, follow_up: dict) -> Story:
    hero = Hero.objects.filter(pk=request.hero_id, user=job.user).first()
    if hero is None:
        raise NotFoundError(HERO_NOT_FOUND)
    custom_event = None
    if request.custom_event_id:
        custom_event = CustomStoryEvent.objects.filter(
            pk=request.custom_event_id, user=job.user
        ).first()
        if custom_event is None:
            raise NotFoundError(CUSTOM_EVENT_NOT_FOUND)
    story, _ = stories.story_write_and_save(
        user=job.user,
        hero=hero,
        language=request.language,
        event_type=request.event_type,
        custom_event=custom_event,
        illustration_count=request.illustration_count,
        voice=request.voice,
        priority=job.priority,
        follow_up=follow_up,
        story_id=request.story_id,
    )
    return story


def _failed(*, request: StoryWriteRequest, follow_up: dict, code: str) -> None:
    """The story will not be written: its narration and pictures will never start."""
    for work in follow_up.values():
        ai_work_end(work=work)
    StoryWriteRequest.objects.filter(pk=request.pk).update(error_code=code[:40])
