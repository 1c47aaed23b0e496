"""Paths shared with the generation routes: methods the library lacks reach stories.generation_urls."""

from django.http import JsonResponse
from django.urls import URLResolver, path
from django.urls.resolvers import RegexPattern

import stories.urls


def fake_generation_view(request, **kwargs):
    return JsonResponse({"served": "generation", **kwargs}, status=201)


def test_post_to_stories_reaches_the_generation_route(auth_client, monkeypatch):
    resolver = URLResolver(
        RegexPattern(r"^/"),
        [
            path("stories", fake_generation_view),
            path("stories/<str:story_id>/illustrations", fake_generation_view),
        ],
    )
    monkeypatch.setattr(stories.urls, "get_resolver", lambda urlconf: resolver)

    created = auth_client.post("/api/stories", {}, format="json")
    illustrated = auth_client.post("/api/stories/story_x/illustrations", {}, format="json")
    listed = auth_client.get("/api/stories")

    assert (created.status_code, created.json()) == (201, {"served": "generation"})
    assert illustrated.json() == {"served": "generation", "story_id": "story_x"}
    assert listed.status_code == 200
    assert "stories" in listed.json()


def test_without_a_generation_route_the_method_is_405(auth_client, monkeypatch):
    monkeypatch.setattr(
        stories.urls, "get_resolver", lambda urlconf: URLResolver(RegexPattern(r"^/"), [])
    )

    response = auth_client.put("/api/stories", {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"
