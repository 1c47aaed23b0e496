from rest_framework import status
from rest_framework.response import Response

from infinitestories.api.fields import query_input
from infinitestories.api.pagination import paginate
from infinitestories.api.views import AuthenticatedAPIView, OwnedAPIView

from . import selectors, services
from .models import Hero
from .serializers import (
    HeroDetailInputSerializer,
    HeroInputSerializer,
    HeroListInputSerializer,
    HeroListOutputSerializer,
    HeroOutputSerializer,
)
from .traits import VALID_TRAITS


class HeroListView(OwnedAPIView):
    """GET /api/heroes (storyCount, sorting, pagination); POST /api/heroes."""

    rate_limits = {"POST": ("hero_create",)}

    def get(self, request):
        params = query_input(HeroListInputSerializer, request)
        queryset = selectors.hero_list(user=request.user, **params)
        rows, pagination = paginate(queryset, request.query_params)
        return Response(
            {"heroes": HeroListOutputSerializer(rows, many=True).data, "pagination": pagination}
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
            Hero.objects.select_related("visual_profile"), hero_id, "Hero not found."
        )

    def get(self, request, hero_id: str):
        params = query_input(HeroDetailInputSerializer, request)
        hero = self.get_hero(hero_id)
        context = {}
        if params["include_stories"]:
            context["stories"] = selectors.hero_recent_stories(
                hero=hero, limit=params["story_limit"]
            )
        return Response({"hero": HeroOutputSerializer(hero, context=context).data})

    def patch(self, request, hero_id: str):
        hero = self.get_hero(hero_id)
        data = HeroInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        hero = services.hero_update(hero=hero, **data.validated_data)
        return Response({"hero": HeroOutputSerializer(hero).data})

    def delete(self, request, hero_id: str):
        hero = self.get_hero(hero_id)
        stories_affected = services.hero_delete(hero=hero)
        return Response({"success": True, "stories_affected": stories_affected})


class HeroTraitsView(AuthenticatedAPIView):
    """GET /api/heroes/traits: the traits a hero may have."""

    def get(self, request):
        return Response({"traits": list(VALID_TRAITS)})
