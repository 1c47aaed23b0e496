from django.urls import path

from . import api, share_views

# `.../illustrations/status` comes before `.../illustrations/<id>`: the first match wins.
urlpatterns = [
    path("api/stories", api.StoriesView.as_view(), name="story-list"),
    path("api/stories/<str:story_id>", api.StoryDetailView.as_view(), name="story-detail"),
    path("api/stories/<str:story_id>/listen", api.StoryListenView.as_view(), name="story-listen"),
    path("api/stories/<str:story_id>/audio", api.StoryAudioView.as_view(), name="story-audio"),
    path(
        "api/stories/<str:story_id>/audio/status",
        api.StoryAudioStatusView.as_view(),
        name="story-audio-status",
    ),
    path(
        "api/stories/<str:story_id>/audio/timings",
        api.StoryAudioTimingsView.as_view(),
        name="story-audio-timings",
    ),
    path(
        "api/stories/<str:story_id>/illustrations",
        api.StoryIllustrationsView.as_view(),
        name="story-illustrations",
    ),
    path(
        "api/stories/<str:story_id>/illustrations/status",
        api.StoryIllustrationsStatusView.as_view(),
        name="story-illustrations-status",
    ),
    path(
        "api/stories/<str:story_id>/illustrations/<str:illustration_id>",
        api.StoryIllustrationDetailView.as_view(),
        name="story-illustration-detail",
    ),
    path("api/stories/<str:story_id>/shares", api.StorySharesView.as_view(), name="story-shares"),
    path(
        "api/stories/<str:story_id>/shares/<str:share_id>",
        api.StoryShareDetailView.as_view(),
        name="story-share-detail",
    ),
    # The shared story's public page and its media (the link's secret is the only key).
    path("s/<str:secret>", share_views.share_page, name="share-page"),
    path("s/<str:secret>/audio", share_views.share_audio, name="share-audio"),
    path(
        "s/<str:secret>/pictures/<int:number>",
        share_views.share_picture,
        name="share-picture",
    ),
    path("api/custom-events", api.CustomEventListView.as_view(), name="custom-event-list"),
    path(
        "api/custom-events/<str:event_id>",
        api.CustomEventDetailView.as_view(),
        name="custom-event-detail",
    ),
    path("api/import", api.LibraryImportView.as_view(), name="library-import"),
    path("api/jobs/<str:job_id>", api.JobDetailView.as_view(), name="job-detail"),
    path("api/story-events", api.StoryEventListView.as_view(), name="story-event-list"),
]
