"""Generation endpoints: POST /api/stories, audio and illustration jobs and their status."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from heroes.models import Hero
from infinitestories.api.schema import error_responses
from infinitestories.api.views import OwnedAPIView

from . import generation, selectors
from .api import StoryIllustrationListView, StoryListView
from .generation_serializers import (
    AudioJobSerializer,
    AudioRequestInputSerializer,
    AudioRequestOutputSerializer,
    AudioStatusOutputSerializer,
    IllustrationJobSerializer,
    IllustrationRequestInputSerializer,
    IllustrationRequestOutputSerializer,
    IllustrationStatusOutputSerializer,
    JobSummarySerializer,
    StoryCreateInputSerializer,
    StoryCreateOutputSerializer,
)
from .models import CustomStoryEvent, GenerationJob, Story
from .serializers import StoryOutputSerializer

Job = GenerationJob


class StoriesView(StoryListView):
    """GET /api/stories lists them (the library's view); POST /api/stories writes a new one.

    The story is written in the request; narration and pictures are jobs.
    """

    rate_limits = {"POST": ("story_generation",)}

    @extend_schema(
        request=StoryCreateInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Optional. A retry with the same key and body replays the first "
                "answer (with Idempotent-Replayed: true) instead of writing a second story.",
            )
        ],
        responses={
            201: StoryCreateOutputSerializer,
            **error_responses(400, 404, 409, 422, 502, 503),
        },
    )
    def post(self, request):
        data = StoryCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        key = idempotency_key(request)
        record = None
        if key:
            record, replay = generation.idempotency_begin(
                user=request.user,
                endpoint="stories.create",
                key=key,
                fingerprint=generation.request_fingerprint(params),
            )
            if replay is not None:
                status, body = replay
                return Response(body, status=status, headers={"Idempotent-Replayed": "true"})
        try:
            status, body = self._create(request, params)
        except BaseException:
            if record is not None:
                generation.idempotency_abort(record=record)
            raise
        if record is not None:
            # Stored as rendered (camelCase) so a replay is byte-for-byte the first answer.
            generation.idempotency_finish(record=record, status=status, body=_camel(body))
        return Response(body, status=status)

    def _create(self, request, params) -> tuple[int, dict]:
        hero = self.get_owned(Hero.objects.all(), params["hero_id"], "Hero not found.")
        custom_event = None
        if params.get("custom_event_id"):
            custom_event = self.get_owned(
                CustomStoryEvent.objects.all(), params["custom_event_id"], "Custom event not found."
            )
        story, jobs = generation.story_create(
            user=request.user,
            hero=hero,
            language=params["language"],
            event_type=params.get("event_type") or ("custom" if custom_event else ""),
            custom_event=custom_event,
            generate_audio=params["generate_audio"],
            generate_illustrations=params["generate_illustrations"],
            illustration_count=params["illustration_count"],
            voice=params.get("voice") or "",
            priority=params["priority"],
        )
        story = Story.objects.select_related("hero").get(pk=story.pk)
        body = {
            "story": StoryOutputSerializer(story).data,
            "jobs": {name: JobSummarySerializer(job).data for name, job in jobs.items()},
        }
        return 201, body


def idempotency_key(request) -> str:
    """The request's Idempotency-Key, or "". A key is compared whole, so one that cannot be
    stored whole (over 255 characters, or with control characters) is refused, never cut."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 255 or any(ord(char) < 32 or ord(char) == 127 for char in key):
        raise ValidationError(
            {"idempotency_key": "Use at most 255 printable characters (a UUID is ideal)."}
        )
    return key


def _camel(body: dict) -> dict:
    import json

    from djangorestframework_camel_case.util import camelize
    from rest_framework.utils.encoders import JSONEncoder

    return json.loads(json.dumps(camelize(body), cls=JSONEncoder))


class _StoryJobView(OwnedAPIView):
    def get_story(self, story_id: str) -> Story:
        return self.get_owned(Story.objects.all(), story_id, "Story not found.")


class AudioRequestView(_StoryJobView):
    rate_limits = {"POST": ("audio_generation",)}

    @extend_schema(
        request=AudioRequestInputSerializer,
        responses={202: AudioRequestOutputSerializer, **error_responses(400, 404)},
    )
    def post(self, request, story_id: str):
        story = self.get_story(story_id)
        data = AudioRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = generation.audio_request(
            user=request.user,
            story=story,
            voice=data.validated_data["voice"],
            priority=data.validated_data["priority"],
        )
        return Response({"job": AudioJobSerializer(job).data}, status=202)


class AudioStatusView(_StoryJobView):
    rate_limits = {"GET": ("status_poll",)}

    @extend_schema(responses={200: AudioStatusOutputSerializer, **error_responses(404)})
    def get(self, request, story_id: str):
        status = selectors.audio_status(story=self.get_story(story_id))
        return Response(AudioStatusOutputSerializer(status).data)


class StoryIllustrationsView(StoryIllustrationListView):
    """GET .../illustrations lists them (the library's view); POST queues new ones."""

    rate_limits = {"POST": ("illustration_generation",)}

    @extend_schema(
        request=IllustrationRequestInputSerializer,
        responses={202: IllustrationRequestOutputSerializer, **error_responses(400, 404)},
    )
    def post(self, request, story_id: str):
        story = self.get_story(story_id)
        data = IllustrationRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = generation.illustrations_request(
            user=request.user,
            story=story,
            count=data.validated_data["count"],
            scene_timestamps=data.validated_data.get("scene_timestamps") or None,
            priority=data.validated_data["priority"],
        )
        return Response({"job": IllustrationJobSerializer(job).data}, status=202)


class IllustrationStatusView(_StoryJobView):
    rate_limits = {"GET": ("status_poll",)}

    @extend_schema(responses={200: IllustrationStatusOutputSerializer, **error_responses(404)})
    def get(self, request, story_id: str):
        status = selectors.illustrations_status(story=self.get_story(story_id))
        return Response(IllustrationStatusOutputSerializer(status).data)
