"""offset has a minimum but no maximum: past 2**63 the database cannot bind it."""

import pytest

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
