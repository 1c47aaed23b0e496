"""The bearer session of every signed-in request: one prepared query loads it with its user, and
finds exactly the sessions the ORM query it replaces found."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import BearerSession, User
from accounts.selectors import session_by_token_hash
from tests.accounts.factories import UserFactory
from tests.helpers import loaded_values


@pytest.fixture
def opened():
    user = UserFactory(name="Ana", preferred_language="fr")
    session, token = services.session_create(user=user, ip_address="10.0.0.1", user_agent="app")
    return session, token


def test_the_session_and_its_user_are_the_rows_the_orm_loads(opened, django_assert_num_queries):
    session, token = opened
    expected = BearerSession.objects.select_related("user").get(pk=session.pk)

    with django_assert_num_queries(1):
        found = session_by_token_hash(digest=services.token_hash(token), now=timezone.now())
        user = found.user

    assert loaded_values(found) == loaded_values(expected)
    assert loaded_values(user) == loaded_values(expected.user)
    assert isinstance(user, User) and not found._state.adding and not user._state.adding


def test_a_loaded_session_saves_like_an_orm_one(opened):
    session, token = opened
    found = session_by_token_hash(digest=services.token_hash(token), now=timezone.now())

    found.user_agent = "new app"
    found.save(update_fields=["user_agent"])

    assert BearerSession.objects.get(pk=session.pk).user_agent == "new app"


@pytest.mark.parametrize(
    "spoil",
    [
        lambda session: BearerSession.objects.filter(pk=session.pk).update(
            revoked_at=timezone.now()
        ),
        lambda session: BearerSession.objects.filter(pk=session.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        ),
        lambda session: User.objects.filter(pk=session.user_id).update(is_active=False),
    ],
    ids=["revoked", "expired", "inactive user"],
)
def test_a_revoked_expired_or_inactive_session_is_not_found(opened, spoil):
    session, token = opened
    spoil(session)

    assert session_by_token_hash(digest=services.token_hash(token), now=timezone.now()) is None


def test_an_unknown_token_is_not_found():
    assert session_by_token_hash(digest="0" * 64, now=timezone.now()) is None


def test_a_signed_in_read_speaks_the_users_language_and_names_them(opened, client):
    _, token = opened

    response = client.get("/api/auth/session", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    assert response.json()["user"]["name"] == "Ana"
