"""POST /api/heroes/{heroId}/avatar: generate one (optional customPrompt), or use an upload
(storageKey, from POST /api/files/upload)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from infinitestories.api.schema import error_responses
from infinitestories.api.views import OwnedAPIView
from stories.generation_serializers import AvatarInputSerializer

from .avatar import hero_avatar_generate
from .models import Hero
from .serializers import HeroEnvelopeSerializer, HeroOutputSerializer
from .services import hero_avatar_set_from_upload


class HeroAvatarView(OwnedAPIView):
    rate_limits = {"POST": ("avatar_generation",)}

    @extend_schema(
        request=AvatarInputSerializer,
        responses={200: HeroEnvelopeSerializer, **error_responses(400, 404, 502, 503)},
    )
    def post(self, request, hero_id: str):
        hero = self.get_owned(Hero.objects.all(), hero_id, "Hero not found.")
        data = AvatarInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data.get("storage_key"):
            hero = hero_avatar_set_from_upload(
                user=request.user, hero=hero, storage_key=data.validated_data["storage_key"]
            )
        else:
            hero = hero_avatar_generate(
                user=request.user, hero=hero, custom_prompt=data.validated_data["custom_prompt"]
            )
        return Response({"hero": HeroOutputSerializer(hero).data})
