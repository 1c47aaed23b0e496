"""Every endpoint in the OpenAPI schema, but the public ones, answers 401 in the envelope
without a token; new endpoints are covered as they are added."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

PUBLIC = {
    "/api/auth/signup",
    "/api/auth/login",
    "/api/auth/apple",
    "/api/auth/apple/notifications",
    "/api/auth/password/reset",
    "/api/auth/password/reset/confirm",
    "/api/auth/email/verify",
    "/api/auth/email/resend",
    "/api/health",
    "/api/health/ready",
    "/api/schema",
    "/api/docs",
}


def _operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, re.sub(r"\{[^}]+\}", "x1", path))
        for path, item in schema["paths"].items()
        if path not in PUBLIC
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    ]


OPERATIONS = _operations()


def test_the_schema_lists_the_api():
    assert len(OPERATIONS) >= 25


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_without_a_token_it_is_401(client, method, path):
    response = getattr(client, method)(path, {}, format="json")

    assert response.status_code == 401, (method, path, response.content[:200])
    assert response.json()["code"] == "UNAUTHORIZED"
