"""Unknown /api/ paths answer 404 in the envelope. With an unsafe method they hit the catch-all
view (infinitestories.urls: re_path(r"^api/", api_not_found)), which is not CSRF-exempt, so
CsrfViewMiddleware answers Django's HTML "403 Forbidden" page instead. Found by schemathesis
(DELETE /api/stories/{id}/illustrations/%C2%84). The default test client skips CSRF checks,
so these tests turn them on, as a real server has them."""

import pytest
from rest_framework.test import APIClient

from tests.helpers import assert_envelope, client_for


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "path",
    ["/api/nope", "/api/heroes/hero_x/nope", "/api/stories/story_x/illustrations/ill_x/nope"],
)
def test_unsafe_method_on_unknown_api_path_is_404_envelope(user, method, path):
    api = APIClient(enforce_csrf_checks=True)
    api.credentials(**client_for(user)._credentials)

    response = getattr(api, method)(path, "{}", content_type="application/json")

    assert_envelope(response, 404, "NOT_FOUND")


def test_unsafe_method_on_unknown_api_path_without_token_is_404_envelope():
    api = APIClient(enforce_csrf_checks=True)

    response = api.post("/api/nope", "{}", content_type="application/json")

    assert_envelope(response, 404, "NOT_FOUND")
