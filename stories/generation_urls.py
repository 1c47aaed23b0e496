"""Generation routes. Paths shared with the library (/api/stories, .../illustrations) are in
stories.urls, served by one view each (generation_api.StoriesView, StoryIllustrationsView)."""

from django.urls import path

from heroes.avatar_api import HeroAvatarView

from . import generation_api as api

urlpatterns = [
    path("stories/<str:story_id>/audio", api.AudioRequestView.as_view(), name="story-audio"),
    path(
        "stories/<str:story_id>/audio/status",
        api.AudioStatusView.as_view(),
        name="story-audio-status",
    ),
    path(
        "stories/<str:story_id>/illustrations/status",
        api.IllustrationStatusView.as_view(),
        name="story-illustrations-status",
    ),
    path("heroes/<str:hero_id>/avatar", HeroAvatarView.as_view(), name="hero-avatar"),
]
