"""The stories endpoints: the library, new stories, narration, illustrations, custom events."""

import hashlib

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from heroes.errors import HERO_NOT_FOUND
from heroes.models import Hero
from infinitestories.api import idempotency
from infinitestories.api.conditional import conditional_answer, row_state
from infinitestories.api.errors import NotFoundError
from infinitestories.api.fields import query_input
from infinitestories.api.pagination import paginate
from infinitestories.api.schema import (
    SuccessSerializer,
    camel_query,
    error_responses,
    not_modified_response,
    paged_query,
)
from infinitestories.api.views import AuthenticatedAPIView, OwnedAPIView
from media.selectors import media_urls_epoch

from . import selectors
from .errors import (
    CUSTOM_EVENT_NOT_FOUND,
    ILLUSTRATION_NOT_FOUND,
    JOB_NOT_FOUND,
    SHARE_NOT_FOUND,
    STORY_NOT_FOUND,
    audio_not_generated,
)
from .events import story_event_list
from .models import CustomStoryEvent, Story, StoryIllustration, StoryShare
from .serializers import (
    AudioJobSerializer,
    AudioRequestInputSerializer,
    AudioRequestOutputSerializer,
    AudioStatusOutputSerializer,
    AudioTimingsOutputSerializer,
    CustomEventEnvelopeSerializer,
    CustomEventInputSerializer,
    CustomEventListEnvelopeSerializer,
    CustomEventListInputSerializer,
    CustomEventOutputSerializer,
    IllustrationJobSerializer,
    IllustrationOutputSerializer,
    IllustrationRequestInputSerializer,
    IllustrationRequestOutputSerializer,
    IllustrationStatusOutputSerializer,
    ImportInputSerializer,
    ImportOutputSerializer,
    JobEnvelopeSerializer,
    JobOutputSerializer,
    JobSummarySerializer,
    ShareCreateInputSerializer,
    ShareEnvelopeSerializer,
    ShareListEnvelopeSerializer,
    ShareOutputSerializer,
    StoryAcceptedOutputSerializer,
    StoryCreateInputSerializer,
    StoryCreateOutputSerializer,
    StoryDetailEnvelopeSerializer,
    StoryDetailInputSerializer,
    StoryEventListOutputSerializer,
    StoryEventsInputSerializer,
    StoryIllustrationListOutputSerializer,
    StoryListenOutputSerializer,
    StoryListEnvelopeSerializer,
    StoryListInputSerializer,
    StoryListOutputSerializer,
    StoryOutputSerializer,
    StoryUpdateInputSerializer,
    StoryUpdateOutputSerializer,
)
from .services import (
    background,
    custom_events,
    illustrations,
    library_import,
    narration,
    shares,
    stories,
)

# RFC 7240: "Prefer: respond-async" asks for 202 and a job instead of waiting for the story.
PREFER = OpenApiParameter(
    "Prefer",
    str,
    OpenApiParameter.HEADER,
    description="Optional. Other preferences are ignored, as RFC 7240 says. "
    "`respond-async`: answer 202 with the job that writes the story "
    "(after the limits are checked, before any AI call) with `Preference-Applied: "
    "respond-async`; follow it with GET /api/jobs/{jobId} or a push.",
)

PREFERENCE_APPLIED = OpenApiParameter(
    "Preference-Applied",
    str,
    OpenApiParameter.HEADER,
    enum=["respond-async"],
    description="`respond-async`: the story is written in the background (not on a replay).",
    response=[202],
)


def prefers_async(request) -> bool:
    preferences = request.headers.get("Prefer", "").split(",")
    return any(p.split(";")[0].strip().lower() == "respond-async" for p in preferences)


# --- Stories


class StoriesView(OwnedAPIView):
    """GET /api/stories lists them; POST /api/stories writes a new one.

    The story is written in the request; narration and pictures are jobs. AI limits, plans and
    ceilings are applied by the service (usage.ai_work_admit), whatever endpoint starts the work.
    """

    @extend_schema(
        summary="List stories",
        description=(
            "The user's stories, each with its hero's name and how many illustrations it has. "
            "Filter with `heroId`, `eventType`, `language`, `isFavorite`; sort with `sortBy` "
            "(createdAt, listenCount) and `sortOrder`; page with `limit` and `offset`."
        ),
        operation_id="stories_list",
        parameters=[paged_query(StoryListInputSerializer)],
        responses={
            200: StoryListEnvelopeSerializer,
            **not_modified_response(),
            **error_responses(400),
        },
    )
    def get(self, request):
        params = query_input(StoryListInputSerializer, request)
        queryset = selectors.story_list(user=request.user, **params)
        rows, pagination = paginate(queryset, request.query_params)
        return conditional_answer(
            request,
            ([row_state(row) for row in rows], pagination, media_urls_epoch()),
            lambda: Response(
                {
                    "stories": StoryListOutputSerializer(rows, many=True).data,
                    "pagination": pagination,
                }
            ),
        )

    @extend_schema(
        summary="Write a story",
        description=(
            "Writes a story for one of the user's heroes about a built-in event (`eventType`) or "
            "the family's own (`customEventId`), in `language`. The text is in the answer (201, "
            "after some seconds). Narration (`generateAudio`, on by default) and illustrations "
            "(`generateIllustrations`) follow as jobs listed under `jobs`: poll their status "
            "endpoints. Send an `Idempotency-Key` header so that a retried request never makes a "
            "second story. Counts against the monthly quota (429 `QUOTA_EXCEEDED` when none is "
            "left). With `Prefer: respond-async` the story is written in the background: 202 "
            "with its job, then GET /api/jobs/{jobId} (or a push) says when it is there."
        ),
        request=StoryCreateInputSerializer,
        parameters=[idempotency.PARAMETER, PREFER, PREFERENCE_APPLIED],
        responses={
            201: StoryCreateOutputSerializer,
            202: StoryAcceptedOutputSerializer,
            **error_responses(400, 403, 404, 409, 422, 502, 503),
        },
    )
    @idempotency.idempotent("stories.create")
    def post(self, request):
        data = StoryCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        hero = self.get_owned(Hero.objects.all(), params["hero_id"], HERO_NOT_FOUND)
        custom_event = None
        if params.get("custom_event_id"):
            custom_event = self.get_owned(
                CustomStoryEvent.objects.all(), params["custom_event_id"], CUSTOM_EVENT_NOT_FOUND
            )
        asked = {
            "user": request.user,
            "hero": hero,
            "language": params["language"],
            "event_type": params.get("event_type") or ("custom" if custom_event else ""),
            "custom_event": custom_event,
            "generate_audio": params["generate_audio"],
            "generate_illustrations": params["generate_illustrations"],
            "illustration_count": params["illustration_count"],
            "voice": params.get("voice") or "",
            "priority": params["priority"],
        }
        if prefers_async(request):
            job = background.story_request_in_background(**asked)
            return Response(
                {"job": AudioJobSerializer(job).data},
                status=status.HTTP_202_ACCEPTED,
                headers={"Preference-Applied": "respond-async"},
            )
        story, jobs = stories.story_create(**asked)
        story = Story.objects.select_related("hero").get(pk=story.pk)
        body = {
            "story": StoryOutputSerializer(story).data,
            "jobs": {name: JobSummarySerializer(job).data for name, job in jobs.items()},
        }
        return Response(body, status=status.HTTP_201_CREATED)


class _StoryView(OwnedAPIView):
    def get_story(self, story_id: str) -> Story:
        return self.get_owned(selectors.story_detail_queryset(), story_id, STORY_NOT_FOUND)


class StoryDetailView(_StoryView):
    """GET, PATCH, DELETE /api/stories/{storyId}."""

    rate_limits = {"PATCH": ("story_update",), "DELETE": ("delete",)}

    @extend_schema(
        summary="Get a story",
        description=(
            "The story with its hero. `includeIllustrations=true` adds its pictures with the "
            "moment of the narration each belongs to."
        ),
        parameters=[camel_query(StoryDetailInputSerializer)],
        responses={
            200: StoryDetailEnvelopeSerializer,
            **not_modified_response(),
            **error_responses(400, 404),
        },
    )
    def get(self, request, story_id: str):
        params = query_input(StoryDetailInputSerializer, request)
        story = self.get_story(story_id)
        context = {}
        if params["include_illustrations"]:
            context["illustrations"] = selectors.story_illustrations(story=story)
        pictures = [row_state(row) for row in context.get("illustrations", ())]
        return conditional_answer(
            request,
            (row_state(story), pictures, media_urls_epoch()),
            lambda: Response({"story": StoryOutputSerializer(story, context=context).data}),
        )

    @extend_schema(
        summary="Edit a story",
        description=(
            "Changes `title`, `content` or `isFavorite`. Changed content makes the narration stale "
            "(`audioGenerated: false`); with `regenerateAudio: true` new narration is queued and "
            "listed under `jobs`."
        ),
        request=StoryUpdateInputSerializer,
        responses={
            200: StoryUpdateOutputSerializer,
            **error_responses(400, 403, 404, 502, 503),
        },
    )
    def patch(self, request, story_id: str):
        story = self.get_story(story_id)
        data = StoryUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        story, job = stories.story_edit(user=request.user, story=story, **data.validated_data)
        regeneration = JobSummarySerializer(job).data if job is not None else {"queued": False}
        return Response(
            {
                "story": StoryOutputSerializer(story).data,
                "jobs": {"audio_regeneration": regeneration},
            }
        )

    @extend_schema(
        summary="Delete a story",
        description="Deletes the story with its narration and pictures.",
        request=None,
        responses={200: SuccessSerializer, **error_responses(404)},
    )
    def delete(self, request, story_id: str):
        stories.story_delete(story=self.get_story(story_id))
        return Response({"success": True})


class StoryListenView(_StoryView):
    """POST /api/stories/{storyId}/listen: one more listen, counted atomically."""

    @extend_schema(
        summary="Count a listen",
        description=(
            "Call it when playback starts. Answers the new `listenCount` and `lastListenedAt`."
        ),
        request=None,
        responses={200: StoryListenOutputSerializer, **error_responses(404)},
    )
    def post(self, request, story_id: str):
        story = stories.story_listen(story=self.get_story(story_id))
        return Response(
            {"listen_count": story.listen_count, "last_listened_at": story.last_listened_at}
        )


# --- Narration


class StoryAudioView(_StoryView):
    """POST /api/stories/{storyId}/audio: queue narration."""

    @extend_schema(
        summary="Narrate a story",
        description=(
            "Queues narration of the story in `voice` and answers 202 with the job. Poll `GET "
            "/api/stories/{storyId}/audio/status` until `audioGenerated` is true."
        ),
        request=AudioRequestInputSerializer,
        responses={202: AudioRequestOutputSerializer, **error_responses(400, 403, 404, 503)},
    )
    def post(self, request, story_id: str):
        story = self.get_story(story_id)
        data = AudioRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = narration.audio_request(
            user=request.user,
            story=story,
            voice=data.validated_data["voice"],
            priority=data.validated_data["priority"],
        )
        return Response({"job": AudioJobSerializer(job).data}, status=202)


class StoryAudioStatusView(_StoryView):
    """GET /api/stories/{storyId}/audio/status."""

    rate_limits = {"GET": ("status_poll",)}

    @extend_schema(
        summary="Narration status",
        description=(
            "When the narration is ready: `audioGenerated: true` with `audioUrl` and "
            "`audioDuration`. While it is made: the job's `status`, `progress` (0-100) and "
            "`estimatedCompletionTime`. Poll every 2 seconds, backing off to 10 (see "
            "docs/api-guide.md)."
        ),
        responses={200: AudioStatusOutputSerializer, **error_responses(404)},
    )
    def get(self, request, story_id: str):
        status = selectors.audio_status(story=self.get_story(story_id))
        return Response(AudioStatusOutputSerializer(status).data)


class StoryAudioTimingsView(_StoryView):
    """GET /api/stories/{storyId}/audio/timings: when each word is spoken, for read-along.

    One story's words are a few thousand at most: no pagination. The answer changes only when
    new narration replaces the file, so it carries an ETag of the file and must be revalidated
    (`no-cache`): a client that sends If-None-Match gets 304 without the words.
    """

    @extend_schema(
        responses={
            200: AudioTimingsOutputSerializer,
            304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)."),
            **error_responses(404),
        },
        summary="Read-along word timings",
        description=(
            "When each spoken word of the title and the text starts and ends in the narration "
            "(seconds, in order), and where the times come from: `vendor` (the voice's own "
            "alignment), `transcription` or `estimated`. Highlight words as the audio plays. The "
            "answer carries an `ETag`: send it back as `If-None-Match` to get 304 while the "
            "narration is unchanged. 404 `AUDIO_NOT_GENERATED` until the story's current text is "
            "narrated (after an edit too); `NOT_FOUND` when there is no such story of yours."
        ),
    )
    def get(self, request, story_id: str):
        story = self.get_story(story_id)
        answer = selectors.narration_timings_answer(story=story)
        if answer is None:
            raise audio_not_generated()
        etag = '"' + hashlib.sha256(story.audio_key.encode()).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if etag in request.headers.get("If-None-Match", ""):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        # Already in the documented shape: a few thousand words need no serializer pass.
        return Response(answer, headers=headers)


# --- Illustrations


class StoryIllustrationsView(_StoryView):
    """GET /api/stories/{storyId}/illustrations lists them, with the narration's total
    duration; POST queues new ones."""

    @extend_schema(
        summary="List a story's pictures",
        description=(
            "In display order, each with its `timestamp` (seconds into the narration) and "
            "`duration`, and the narration's `totalDuration`."
        ),
        operation_id="stories_illustrations_list",
        responses={200: StoryIllustrationListOutputSerializer, **error_responses(404)},
    )
    def get(self, request, story_id: str):
        story = self.get_story(story_id)
        rows = selectors.story_illustrations(story=story)
        return Response(
            {
                "illustrations": IllustrationOutputSerializer(rows, many=True).data,
                "total_duration": story.audio_duration,
            }
        )

    @extend_schema(
        summary="Illustrate a story",
        description=(
            "Queues `count` (1 to 5) pictures drawn from the hero's look and answers 202 with the "
            "job. `sceneTimestamps`, when given, has one time (seconds into the narration) per "
            "picture, in any order: the pictures follow them in time order. Poll "
            "`GET /api/stories/{storyId}/illustrations/status`."
        ),
        request=IllustrationRequestInputSerializer,
        responses={
            202: IllustrationRequestOutputSerializer,
            **error_responses(400, 403, 404, 503),
        },
    )
    def post(self, request, story_id: str):
        story = self.get_story(story_id)
        data = IllustrationRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = illustrations.illustrations_request(
            user=request.user,
            story=story,
            count=data.validated_data["count"],
            scene_timestamps=data.validated_data.get("scene_timestamps") or None,
            priority=data.validated_data["priority"],
        )
        return Response({"job": IllustrationJobSerializer(job).data}, status=202)


class StoryIllustrationsStatusView(_StoryView):
    """GET /api/stories/{storyId}/illustrations/status."""

    rate_limits = {"GET": ("status_poll",)}

    @extend_schema(
        summary="Illustration status",
        description=(
            "The job's `status`, `progress` (completed of total) and each picture's "
            "`generationStatus`. A set ends `completed` or `partially_failed`, never stuck; failed "
            "pictures can be asked for again."
        ),
        responses={200: IllustrationStatusOutputSerializer, **error_responses(404)},
    )
    def get(self, request, story_id: str):
        status = selectors.illustrations_status(story=self.get_story(story_id))
        return Response(IllustrationStatusOutputSerializer(status).data)


class StoryIllustrationDetailView(_StoryView):
    """DELETE /api/stories/{storyId}/illustrations/{illustrationId}."""

    rate_limits = {"DELETE": ("illustration_delete",)}

    @extend_schema(
        summary="Delete a picture",
        description="The story's other pictures close up their display order.",
        request=None,
        responses={200: SuccessSerializer, **error_responses(404)},
    )
    def delete(self, request, story_id: str, illustration_id: str):
        story = self.get_story(story_id)
        illustration = StoryIllustration.objects.filter(story=story, pk=illustration_id).first()
        if illustration is None:
            raise NotFoundError(ILLUSTRATION_NOT_FOUND)
        illustrations.illustration_delete(illustration=illustration)
        return Response({"success": True})


# --- Share links


class StorySharesView(_StoryView):
    """GET, POST /api/stories/{storyId}/shares: the story's private links."""

    rate_limits = {"POST": ("share_create",)}

    @extend_schema(
        summary="List a story's share links",
        description=(
            "The story's live links (neither revoked nor expired), newest first, with how often "
            "each was opened. `url` is null here: the server keeps only a hash of each link's "
            "secret, so the link itself is in the answer that made it and nowhere else."
        ),
        operation_id="stories_shares_list",
        responses={200: ShareListEnvelopeSerializer, **error_responses(404)},
    )
    def get(self, request, story_id: str):
        rows = selectors.share_list(story=self.get_story(story_id))
        return Response({"shares": ShareOutputSerializer(rows, many=True).data})

    @extend_schema(
        summary="Share a story",
        description=(
            "Makes a private link to the story for someone without the app (a grandparent, a "
            "sitter): a web page with the title, the text, the pictures and, when narrated, the "
            "narration with read-along. It works for `expiresInDays` days (1 to 90, default 30) "
            "until revoked. `hideName: true` replaces the hero's name in the title and text by "
            "a neutral word of the story's language and leaves the narration out (the voice says "
            "the name). Send the answer's `url`: it is shown only here. A story has at most "
            f"{shares.SHARE_MAX_LIVE_PER_STORY} live links (409 `SHARE_LIMIT_REACHED`)."
        ),
        request=ShareCreateInputSerializer,
        responses={201: ShareEnvelopeSerializer, **error_responses(400, 404, 409)},
    )
    def post(self, request, story_id: str):
        story = self.get_story(story_id)
        data = ShareCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = shares.share_create(story=story, **data.validated_data)
        url = request.build_absolute_uri(reverse("share-page", args=[made.secret]))
        body = ShareOutputSerializer(made.share, context={"urls": {made.share.pk: url}}).data
        return Response({"share": body}, status=status.HTTP_201_CREATED)


class StoryShareDetailView(_StoryView):
    """DELETE /api/stories/{storyId}/shares/{shareId}: revoke a link."""

    rate_limits = {"DELETE": ("delete",)}

    @extend_schema(
        summary="Revoke a share link",
        description=(
            "The link stops working at once: its page and its pictures and narration answer 404 "
            "from the next request on. Revoking a revoked or expired link is fine (204)."
        ),
        request=None,
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request, story_id: str, share_id: str):
        story = self.get_story(story_id)
        share = StoryShare.objects.filter(story=story, pk=share_id).first()
        if share is None:
            raise NotFoundError(SHARE_NOT_FOUND)
        shares.share_revoke(share=share)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Custom events and built-in event types


class CustomEventListView(OwnedAPIView):
    """GET, POST /api/custom-events."""

    rate_limits = {"POST": ("custom_event_create",)}

    @extend_schema(
        summary="List custom events",
        description=(
            "The family's own occasions to write stories about, with how often each was used. "
            "Paginated."
        ),
        operation_id="custom_events_list",
        parameters=[paged_query(CustomEventListInputSerializer)],
        responses={200: CustomEventListEnvelopeSerializer, **error_responses(400)},
    )
    def get(self, request):
        params = query_input(CustomEventListInputSerializer, request)
        queryset = selectors.custom_event_list(user=request.user, **params)
        rows, pagination = paginate(queryset, request.query_params)
        return Response(
            {
                "custom_events": CustomEventOutputSerializer(rows, many=True).data,
                "pagination": pagination,
            }
        )

    @extend_schema(
        summary="Create a custom event",
        description=(
            "A family's own occasion (a title, a description, an optional prompt seed and "
            "keywords). The text is checked for child safety; refused text is 400 "
            "`CONTENT_REJECTED`."
        ),
        request=CustomEventInputSerializer,
        responses={201: CustomEventEnvelopeSerializer, **error_responses(400, 403)},
    )
    def post(self, request):
        data = CustomEventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = custom_events.custom_event_create(user=request.user, **data.validated_data)
        return Response(
            {"custom_event": CustomEventOutputSerializer(event).data},
            status=status.HTTP_201_CREATED,
        )


class CustomEventDetailView(OwnedAPIView):
    """GET, PATCH, DELETE /api/custom-events/{eventId}."""

    rate_limits = {"PATCH": ("custom_event_update",), "DELETE": ("delete",)}

    def get_event(self, event_id: str) -> CustomStoryEvent:
        return self.get_owned(CustomStoryEvent.objects.all(), event_id, CUSTOM_EVENT_NOT_FOUND)

    @extend_schema(
        summary="Get a custom event",
        description="One of the family's own occasions.",
        responses={200: CustomEventEnvelopeSerializer, **error_responses(404)},
    )
    def get(self, request, event_id: str):
        return Response(
            {"custom_event": CustomEventOutputSerializer(self.get_event(event_id)).data}
        )

    @extend_schema(
        summary="Edit a custom event",
        description=(
            "Send only the fields to change. `usageCount` and `lastUsedAt` belong to the server."
        ),
        request=CustomEventInputSerializer(partial=True),
        responses={200: CustomEventEnvelopeSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request, event_id: str):
        event = self.get_event(event_id)
        data = CustomEventInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        event = custom_events.custom_event_update(event=event, **data.validated_data)
        return Response({"custom_event": CustomEventOutputSerializer(event).data})

    @extend_schema(
        summary="Delete a custom event",
        description="Stories already written about it are kept.",
        request=None,
        responses={200: SuccessSerializer, **error_responses(404)},
    )
    def delete(self, request, event_id: str):
        custom_events.custom_event_delete(event=self.get_event(event_id))
        return Response({"success": True})


class StoryEventListView(AuthenticatedAPIView):
    """GET /api/story-events: built-in event types, titled in ?language or the user's language."""

    @extend_schema(
        summary="Built-in events",
        description=(
            "The event types a story can be about, titled in `language` (default: the user's "
            "language)."
        ),
        parameters=[camel_query(StoryEventsInputSerializer)],
        responses={200: StoryEventListOutputSerializer, **error_responses(400)},
    )
    def get(self, request):
        params = query_input(StoryEventsInputSerializer, request)
        language = params.get("language") or request.user.preferred_language
        return Response({"events": story_event_list(language=language)})


class LibraryImportView(AuthenticatedAPIView):
    """POST /api/import: a batch of the family's library, brought in from the app."""

    rate_limits = {"POST": ("library_import",)}

    @extend_schema(
        summary="Import the family's library",
        description=(
            "Heroes, custom events and stories the app already holds, with their narrations and "
            "pictures (each first uploaded through `POST /api/files/upload`, then named here by "
            "its `storageKey`), made the family's own without any AI work: no quota, no consent "
            "needed, no AI call. Each item carries the app's own `clientId`: an item imported "
            "before is answered with the same id and not changed, so a batch may be sent again. "
            "At most 50 heroes, 50 custom events, 50 stories and 30 files a request; all or "
            "nothing: any "
            "bad item is 400 `VALIDATION_ERROR` with `details.items` naming each by list, "
            "clientId and field, and nothing is written. 400 `IMPORT_STORAGE_FULL` when the "
            "family's imported files would pass its storage ceiling. 201 when anything was "
            "created, 200 when everything was there already."
        ),
        request=ImportInputSerializer,
        responses={
            201: ImportOutputSerializer,
            200: ImportOutputSerializer,
            **error_responses(400),
        },
    )
    def post(self, request):
        data = ImportInputSerializer(data=request.data)
        if not data.is_valid():
            raise library_import.import_errors_from_validation(
                detail=data.errors, data=request.data
            ) or ValidationError(data.errors)
        result = library_import.library_import(user=request.user, **data.validated_data)
        body = ImportOutputSerializer(
            {
                "heroes": result.heroes,
                "custom_events": result.custom_events,
                "stories": result.stories,
            }
        ).data
        return Response(
            body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )


# --- Jobs


class JobDetailView(OwnedAPIView):
    """GET /api/jobs/{jobId}: any of the user's jobs (a story written in the background,
    narration, pictures)."""

    rate_limits = {"GET": ("status_poll",)}

    @extend_schema(
        summary="A job's status",
        description=(
            "`status` (queued, processing, completed, failed), `progress` (0-100), `storyId` once "
            "the story exists (for a story written in the background: once written), and, once "
            "failed, `error` (for the family) and `errorCode`. Poll every 2 seconds, backing off "
            "to 10, or wait for the push. Another user's job is 404."
        ),
        responses={200: JobEnvelopeSerializer, **error_responses(404)},
    )
    def get(self, request, job_id: str):
        job = self.get_owned(selectors.job_detail_queryset(), job_id, JOB_NOT_FOUND)
        return Response({"job": JobOutputSerializer(job).data})
