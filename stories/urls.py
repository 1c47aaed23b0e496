from django.urls import path, re_path

from . import api, generation_api

# GET and POST on /api/stories and .../illustrations are one view each: the generation views
# extend the library's list views with POST.
urlpatterns = [
    path("stories", generation_api.StoriesView.as_view(), name="story-list"),
    path(
        "stories/<str:story_id>",
        api.StoryDetailView.as_view(),
        name="story-detail",
    ),
    path("stories/<str:story_id>/listen", api.StoryListenView.as_view(), name="story-listen"),
    path(
        "stories/<str:story_id>/illustrations",
        generation_api.StoryIllustrationsView.as_view(),
        name="story-illustrations",
    ),
    # Only illustration ids: .../illustrations/status belongs to the generation routes.
    re_path(
        r"^stories/(?P<story_id>[^/]+)/illustrations/(?P<illustration_id>ill_[A-Za-z0-9]+)$",
        api.StoryIllustrationDetailView.as_view(),
        name="story-illustration-detail",
    ),
    path("custom-events", api.CustomEventListView.as_view(), name="custom-event-list"),
    path(
        "custom-events/<str:event_id>",
        api.CustomEventDetailView.as_view(),
        name="custom-event-detail",
    ),
    path("story-events", api.StoryEventListView.as_view(), name="story-event-list"),
]
