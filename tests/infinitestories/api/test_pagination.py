"""The page block ({"total", "limit", "offset"}) and its bounds; offset has a minimum but no
maximum in the query, and past 2**63 the database cannot bind it (infinitestories.api.pagination)."""

import pytest

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.helpers import assert_envelope
from tests.heroes.factories import HeroFactory


@pytest.mark.parametrize("path", ["/api/heroes", "/api/stories", "/api/custom-events"])
@pytest.mark.parametrize("offset", [2**63, 10**30])
def test_offset_beyond_bigint_is_400_not_500(auth_client, user, path, offset):
    auth_client.raise_request_exception = False
    HeroFactory(user=user)

    response = auth_client.get(f"{path}?offset={offset}")

    body = assert_envelope(response, 400, "VALIDATION_ERROR")
    assert "offset" in body["details"]


@pytest.mark.urls("tests.infinitestories.api.urls")
def test_pagination_block_and_bounds(auth_client):
    UserFactory.create_batch(59)  # 60 with the signed-in user
    emails = sorted(User.objects.values_list("email", flat=True))

    default = auth_client.get("/api/test/emails").json()
    page = auth_client.get("/api/test/emails?limit=10&offset=55").json()

    assert default["pagination"] == {"total": 60, "limit": 50, "offset": 0}
    assert default["emails"] == emails[:50]
    assert page["emails"] == emails[55:]
    assert page["pagination"] == {"total": 60, "limit": 10, "offset": 55}


@pytest.mark.urls("tests.infinitestories.api.urls")
@pytest.mark.parametrize("query", ["limit=101", "limit=0", "limit=abc", "offset=-1"])
def test_bad_pagination_parameters_get_400(auth_client, query):
    body = assert_envelope(auth_client.get(f"/api/test/emails?{query}"), 400, "VALIDATION_ERROR")
    assert set(body["details"]) & {"limit", "offset"}
