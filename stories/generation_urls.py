"""Generation routes. stories.urls dispatches methods it does not serve on shared paths
(POST /api/stories, POST .../illustrations) here."""

from django.urls import path

from heroes.avatar_api import HeroAvatarView

from . import generation_api as api

urlpatterns = [
    path("stories", api.StoryCreateView.as_view(), name="story-create"),
    path("stories/<str:story_id>/audio", api.AudioRequestView.as_view(), name="story-audio"),
    path(
        "stories/<str:story_id>/audio/status",
        api.AudioStatusView.as_view(),
        name="story-audio-status",
    ),
    path(
        "stories/<str:story_id>/illustrations",
        api.IllustrationRequestView.as_view(),
        name="story-illustrations-create",
    ),
    path(
        "stories/<str:story_id>/illustrations/status",
        api.IllustrationStatusView.as_view(),
        name="story-illustrations-status",
    ),
    path("heroes/<str:hero_id>/avatar", HeroAvatarView.as_view(), name="hero-avatar"),
]
