from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from infinitestories.api.conditional import conditional_answer, row_state
from infinitestories.api.fields import query_input
from infinitestories.api.pagination import page_bounds
from infinitestories.api.schema import (
    camel_query,
    error_responses,
    not_modified_response,
    paged_query,
)
from infinitestories.api.views import AuthenticatedAPIView, OwnedAPIView
from media.selectors import media_urls_epoch

from . import selectors, services
from .errors import HERO_NOT_FOUND
from .models import Hero
from .serializers import (
    AvatarInputSerializer,
    HeroDeleteOutputSerializer,
    HeroDetailEnvelopeSerializer,
    HeroDetailInputSerializer,
    HeroEnvelopeSerializer,
    HeroInputSerializer,
    HeroListEnvelopeSerializer,
    HeroListInputSerializer,
    HeroListOutputSerializer,
    HeroOutputSerializer,
    HeroTraitsOutputSerializer,
)
from .traits import VALID_TRAITS


class HeroListView(OwnedAPIView):
    """GET /api/heroes (storyCount, sorting, pagination); POST /api/heroes."""

    rate_limits = {"POST": ("hero_create",)}

    @extend_schema(
        summary="List heroes",
        description=(
            "The user's heroes with how many stories each has. Sort with `sortBy` (createdAt, "
            "name) and `sortOrder`; page with `limit` (at most 100) and `offset`."
        ),
        operation_id="heroes_list",
        parameters=[paged_query(HeroListInputSerializer)],
        responses={
            200: HeroListEnvelopeSerializer,
            **not_modified_response(),
            **error_responses(400),
        },
    )
    def get(self, request):
        params = query_input(HeroListInputSerializer, request)
        limit, offset = page_bounds(request.query_params)
        rows, total = selectors.hero_page_rows(
            user=request.user, limit=limit, offset=offset, **params
        )
        pagination = {"total": total, "limit": limit, "offset": offset}
        # The rows as the database gave them name the answer: a kept one needs no Hero built.
        return conditional_answer(
            request,
            (rows, pagination, media_urls_epoch()),
            lambda: Response(
                {
                    "heroes": HeroListOutputSerializer(
                        selectors.heroes_of_rows(rows), many=True
                    ).data,
                    "pagination": pagination,
                }
            ),
        )

    @extend_schema(
        summary="Create a hero",
        description=(
            "A child hero: a name, an age from 1 to 18, 1 to 5 traits from `GET "
            "/api/heroes/traits`, an appearance and up to 3 special abilities. The text is checked "
            "for child safety; refused text is 400 `CONTENT_REJECTED` and nothing is saved."
        ),
        request=HeroInputSerializer,
        responses={201: HeroEnvelopeSerializer, **error_responses(400, 403)},
    )
    def post(self, request):
        data = HeroInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hero = services.hero_create(user=request.user, **data.validated_data)
        return Response({"hero": HeroOutputSerializer(hero).data}, status=status.HTTP_201_CREATED)


class HeroDetailView(OwnedAPIView):
    """GET, PATCH, DELETE /api/heroes/{heroId}; another user's hero is 404."""

    rate_limits = {"PATCH": ("hero_update",), "DELETE": ("delete",)}

    def get_hero(self, hero_id: str) -> Hero:
        return self.get_owned(
            Hero.objects.select_related("visual_profile"), hero_id, HERO_NOT_FOUND
        )

    @extend_schema(
        summary="Get a hero",
        description=(
            "The hero with its visual profile (how illustrations draw it). `includeStories=true` "
            "adds its most recent stories, at most `storyLimit`."
        ),
        parameters=[camel_query(HeroDetailInputSerializer)],
        responses={
            200: HeroDetailEnvelopeSerializer,
            **not_modified_response(),
            **error_responses(400, 404),
        },
    )
    def get(self, request, hero_id: str):
        params = query_input(HeroDetailInputSerializer, request)
        hero = self.get_hero(hero_id)
        context = {}
        if params["include_stories"]:
            context["stories"] = selectors.hero_recent_stories(
                hero=hero, limit=params["story_limit"]
            )
        stories = [row_state(story) for story in context.get("stories", ())]
        return conditional_answer(
            request,
            (row_state(hero), stories, media_urls_epoch()),
            lambda: Response({"hero": HeroOutputSerializer(hero, context=context).data}),
        )

    @extend_schema(
        summary="Edit a hero",
        description=(
            "Send only the fields to change. The text is checked for child safety like on creation."
        ),
        request=HeroInputSerializer(partial=True),
        responses={200: HeroEnvelopeSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request, hero_id: str):
        hero = self.get_hero(hero_id)
        data = HeroInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        hero = services.hero_update(hero=hero, **data.validated_data)
        return Response({"hero": HeroOutputSerializer(hero).data})

    @extend_schema(
        summary="Delete a hero",
        description=(
            "Deletes the hero and its avatar. Its stories are kept, without a hero; the answer "
            "says how many."
        ),
        request=None,
        responses={200: HeroDeleteOutputSerializer, **error_responses(404)},
    )
    def delete(self, request, hero_id: str):
        hero = self.get_hero(hero_id)
        stories_affected = services.hero_delete(hero=hero)
        return Response({"success": True, "stories_affected": stories_affected})


class HeroAvatarView(OwnedAPIView):
    """POST /api/heroes/{heroId}/avatar: draw one (optional customPrompt), or use an upload
    (storageKey, from POST /api/files/upload)."""

    @extend_schema(
        summary="Make the hero's avatar",
        description=(
            "Either draws a new avatar (send `customPrompt` to steer it, or nothing) or uses a "
            "picture the user uploaded (`storageKey` from `POST /api/files/upload`). Answers the "
            "hero with its new `avatarUrl` and visual profile. Drawing takes up to about a minute "
            "and counts against the avatar limit. A `storageKey` that is not one of the user's "
            "uploads is 404 `UPLOAD_NOT_FOUND`; one whose file was not PUT yet, or that was "
            "already used, is 409 (`UPLOAD_MISSING`, `UPLOAD_ALREADY_USED`); a file that is not "
            "a usable picture is 400."
        ),
        request=AvatarInputSerializer,
        responses={200: HeroEnvelopeSerializer, **error_responses(400, 403, 404, 409, 502, 503)},
    )
    def post(self, request, hero_id: str):
        hero = self.get_owned(Hero.objects.all(), hero_id, HERO_NOT_FOUND)
        data = AvatarInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data.get("storage_key"):
            hero = services.hero_avatar_set_from_upload(
                user=request.user, hero=hero, storage_key=data.validated_data["storage_key"]
            )
        else:
            hero = services.hero_avatar_generate(
                user=request.user, hero=hero, custom_prompt=data.validated_data["custom_prompt"]
            )
        return Response({"hero": HeroOutputSerializer(hero).data})


class HeroTraitsView(AuthenticatedAPIView):
    """GET /api/heroes/traits: the traits a hero may have."""

    @extend_schema(
        summary="Traits a hero may have",
        description="The list a hero's `traits` are chosen from.",
        responses={200: HeroTraitsOutputSerializer, **error_responses()},
    )
    def get(self, request):
        return Response({"traits": list(VALID_TRAITS)})
