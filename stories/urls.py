from django.urls import Resolver404, get_resolver, path, re_path
from django.views.decorators.csrf import csrf_exempt

from . import api


def _with_generation_routes(view_class):
    """Serve the methods `view_class` implements; pass the others to stories.generation_urls.

    Some paths are shared between the library and the generation issue (GET /api/stories here,
    POST /api/stories there; likewise .../illustrations). Django stops at the first pattern that
    matches, so for a method this view does not have, the same path is resolved against the
    generation URLconf and its view answers; with no such route, this view answers 405.
    """
    own = view_class.as_view()
    methods = {name.upper() for name in view_class.http_method_names if hasattr(view_class, name)}

    def view(request, *args, **kwargs):
        if request.method not in methods:
            try:
                match = get_resolver("stories.generation_urls").resolve(
                    "/" + request.path_info.removeprefix("/api/")
                )
            except Resolver404:
                match = None
            if match is not None:
                return match.func(request, *match.args, **match.kwargs)
        return own(request, *args, **kwargs)

    return csrf_exempt(view)


urlpatterns = [
    path("stories", _with_generation_routes(api.StoryListView), name="story-list"),
    path(
        "stories/<str:story_id>",
        _with_generation_routes(api.StoryDetailView),
        name="story-detail",
    ),
    path("stories/<str:story_id>/listen", api.StoryListenView.as_view(), name="story-listen"),
    path(
        "stories/<str:story_id>/illustrations",
        _with_generation_routes(api.StoryIllustrationListView),
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
