from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from infinitestories.api.errors import NotFoundError
from infinitestories.api.fields import query_input
from infinitestories.api.pagination import paginate
from infinitestories.api.schema import (
    SuccessSerializer,
    camel_query,
    error_responses,
    paged_query,
)
from infinitestories.api.views import AuthenticatedAPIView, OwnedAPIView

from . import selectors, services
from .events import story_event_list
from .generation_serializers import JobSummarySerializer
from .models import CustomStoryEvent, Story, StoryIllustration
from .serializers import (
    CustomEventEnvelopeSerializer,
    CustomEventInputSerializer,
    CustomEventListEnvelopeSerializer,
    CustomEventListInputSerializer,
    CustomEventOutputSerializer,
    IllustrationOutputSerializer,
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


class StoryListView(OwnedAPIView):
    """GET /api/stories. (POST /api/stories belongs to the generation issue.)"""

    @extend_schema(
        operation_id="stories_list",
        parameters=[paged_query(StoryListInputSerializer)],
        responses={200: StoryListEnvelopeSerializer, **error_responses(400)},
    )
    def get(self, request):
        params = query_input(StoryListInputSerializer, request)
        queryset = selectors.story_list(user=request.user, **params)
        rows, pagination = paginate(queryset, request.query_params)
        return Response(
            {"stories": StoryListOutputSerializer(rows, many=True).data, "pagination": pagination}
        )


class _StoryView(OwnedAPIView):
    def get_story(self, story_id: str) -> Story:
        return self.get_owned(selectors.story_detail_queryset(), story_id, "Story not found.")


class StoryDetailView(_StoryView):
    """GET, PATCH, DELETE /api/stories/{storyId}."""

    rate_limits = {"PATCH": ("story_update",), "DELETE": ("delete",)}

    @extend_schema(
        parameters=[camel_query(StoryDetailInputSerializer)],
        responses={200: StoryDetailEnvelopeSerializer, **error_responses(400, 404)},
    )
    def get(self, request, story_id: str):
        params = query_input(StoryDetailInputSerializer, request)
        story = self.get_story(story_id)
        context = {}
        if params["include_illustrations"]:
            context["illustrations"] = selectors.story_illustrations(story=story)
        return Response({"story": StoryOutputSerializer(story, context=context).data})

    @extend_schema(
        request=StoryUpdateInputSerializer,
        responses={200: StoryUpdateOutputSerializer, **error_responses(400, 404, 502, 503)},
    )
    def patch(self, request, story_id: str):
        story = self.get_story(story_id)
        data = StoryUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        story, job = services.story_edit(user=request.user, story=story, **data.validated_data)
        regeneration = JobSummarySerializer(job).data if job is not None else {"queued": False}
        return Response(
            {
                "story": StoryOutputSerializer(story).data,
                "jobs": {"audio_regeneration": regeneration},
            }
        )

    @extend_schema(request=None, responses={200: SuccessSerializer, **error_responses(404)})
    def delete(self, request, story_id: str):
        services.story_delete(story=self.get_story(story_id))
        return Response({"success": True})


class StoryListenView(_StoryView):
    """POST /api/stories/{storyId}/listen: one more listen, counted atomically."""

    @extend_schema(
        request=None, responses={200: StoryListenOutputSerializer, **error_responses(404)}
    )
    def post(self, request, story_id: str):
        story = services.story_listen(story=self.get_story(story_id))
        return Response(
            {"listen_count": story.listen_count, "last_listened_at": story.last_listened_at}
        )


class StoryIllustrationListView(_StoryView):
    """GET /api/stories/{storyId}/illustrations, with the narration's total duration."""

    @extend_schema(
        operation_id="stories_illustrations_list",
        responses={200: StoryIllustrationListOutputSerializer, **error_responses(404)},
    )
    def get(self, request, story_id: str):
        story = self.get_story(story_id)
        illustrations = selectors.story_illustrations(story=story)
        return Response(
            {
                "illustrations": IllustrationOutputSerializer(illustrations, many=True).data,
                "total_duration": story.audio_duration,
            }
        )


class StoryIllustrationDetailView(_StoryView):
    """DELETE /api/stories/{storyId}/illustrations/{illustrationId}."""

    rate_limits = {"DELETE": ("illustration_delete",)}

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "illustration_id",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                pattern="^ill_[A-Za-z0-9]+$",
            )
        ],
        responses={200: SuccessSerializer, **error_responses(404)},
    )
    def delete(self, request, story_id: str, illustration_id: str):
        story = self.get_story(story_id)
        illustration = StoryIllustration.objects.filter(story=story, pk=illustration_id).first()
        if illustration is None:
            raise NotFoundError("Illustration not found.")
        services.illustration_delete(illustration=illustration)
        return Response({"success": True})


class CustomEventListView(OwnedAPIView):
    """GET, POST /api/custom-events."""

    rate_limits = {"POST": ("custom_event_create",)}

    @extend_schema(
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
        request=CustomEventInputSerializer,
        responses={201: CustomEventEnvelopeSerializer, **error_responses(400)},
    )
    def post(self, request):
        data = CustomEventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.custom_event_create(user=request.user, **data.validated_data)
        return Response(
            {"custom_event": CustomEventOutputSerializer(event).data},
            status=status.HTTP_201_CREATED,
        )


class CustomEventDetailView(OwnedAPIView):
    """GET, PATCH, DELETE /api/custom-events/{eventId}."""

    rate_limits = {"PATCH": ("custom_event_update",), "DELETE": ("delete",)}

    def get_event(self, event_id: str) -> CustomStoryEvent:
        return self.get_owned(CustomStoryEvent.objects.all(), event_id, "Custom event not found.")

    @extend_schema(responses={200: CustomEventEnvelopeSerializer, **error_responses(404)})
    def get(self, request, event_id: str):
        return Response(
            {"custom_event": CustomEventOutputSerializer(self.get_event(event_id)).data}
        )

    @extend_schema(
        request=CustomEventInputSerializer(partial=True),
        responses={200: CustomEventEnvelopeSerializer, **error_responses(400, 404)},
    )
    def patch(self, request, event_id: str):
        event = self.get_event(event_id)
        data = CustomEventInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        event = services.custom_event_update(event=event, **data.validated_data)
        return Response({"custom_event": CustomEventOutputSerializer(event).data})

    @extend_schema(request=None, responses={200: SuccessSerializer, **error_responses(404)})
    def delete(self, request, event_id: str):
        services.custom_event_delete(event=self.get_event(event_id))
        return Response({"success": True})


class StoryEventListView(AuthenticatedAPIView):
    """GET /api/story-events: built-in event types, titled in ?language or the user's language."""

    @extend_schema(
        parameters=[camel_query(StoryEventsInputSerializer)],
        responses={200: StoryEventListOutputSerializer, **error_responses(400)},
    )
    def get(self, request):
        params = query_input(StoryEventsInputSerializer, request)
        language = params.get("language") or request.user.preferred_language
        return Response({"events": story_event_list(language=language)})
