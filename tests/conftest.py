import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import services as account_services
from tests.accounts.factories import UserFactory


@pytest.fixture(autouse=True)
def _isolated(db, settings, tmp_path):
    """Each test starts with empty rate-limit counters and its own media folder."""
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    cache.clear()


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def user():
    return UserFactory()


def client_for(user) -> APIClient:
    """An API client signed in as `user` with a real bearer session."""
    _, token = account_services.session_create(
        user=user, ip_address="127.0.0.1", user_agent="tests"
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


@pytest.fixture
def auth_client(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def other_user():
    return UserFactory()


@pytest.fixture
def other_client(other_user) -> APIClient:
    return client_for(other_user)
