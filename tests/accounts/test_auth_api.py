import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import BearerSession, User
from accounts.services import token_hash
from tests.accounts.factories import PASSWORD, UserFactory
from tests.helpers import SIGNUP, client_for, login, signup
from tests.usage.factories import set_quota
from usage.selectors import story_quota


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# --- signup -----------------------------------------------------------------------------------


def test_signup_answers_201_with_user_and_usable_session(client):
    response = signup(client)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"user", "session"}
    # the same user as login answers: the app shows the plan and the month's stories at once
    assert set(body["user"]) == {
        "id",
        "email",
        "name",
        "subscriptionTier",
        "monthlyStoriesUsed",
        "monthlyStoriesLimit",
    }
    assert body["user"]["subscriptionTier"] == "free"
    assert body["user"]["monthlyStoriesUsed"] == 0
    assert body["user"]["monthlyStoriesLimit"] > 0
    assert body["user"]["email"] == "test@example.com"
    assert body["user"]["name"] == "Test User"
    assert body["user"]["id"].startswith("user_")
    assert set(body["session"]) == {"token", "expiresAt"}
    session = client.get("/api/auth/session", **bearer(body["session"]["token"]))
    assert session.status_code == 200
    assert session.json()["user"]["email"] == "test@example.com"


def test_signup_stores_email_lowercased_and_registers_it_with_allauth(client):
    signup(client, email="Parent@Example.COM")

    user = User.objects.get()
    assert user.email == "parent@example.com"
    assert user.emailaddress_set.get().email == "parent@example.com"
    assert user.emailaddress_set.get().verified is False


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short1A", "at least 8 characters"),
        ("alllowercase123", "uppercase"),
        ("NoDigitsHereAtAll", "digit"),
    ],
)
def test_weak_password_gets_400_with_password_details(client, password, message):
    response = signup(client, password=password)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert message in body["details"]["password"]
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["not-an-email", "", "a@", "@b.com", 42])
def test_bad_email_gets_400_with_email_details(client, email):
    response = signup(client, email=email)

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert "email" in response.json()["details"]
    assert not User.objects.exists()


def test_duplicate_email_in_any_case_gets_409(client):
    UserFactory(email="test@example.com")

    response = signup(client, email="TEST@example.com")

    # A well-formed address that is taken conflicts with an account: 409, not a field to fix.
    assert response.status_code == 409
    assert response.json()["code"] == "EMAIL_TAKEN"
    assert response.json()["details"] == {"email": "An account with this e-mail already exists."}
    assert User.objects.count() == 1


def test_name_over_100_characters_gets_400(client):
    response = signup(client, name="x" * 101)

    assert response.status_code == 400
    assert "name" in response.json()["details"]
    assert not User.objects.exists()


def test_signup_reports_every_bad_field_at_once(client):
    response = client.post("/api/auth/signup", {"email": "nope", "password": "weak"}, format="json")

    assert set(response.json()["details"]) == {"email", "password"}


def test_client_cannot_set_server_owned_fields_at_signup(client):
    response = signup(client, subscriptionTier="premium", monthlyStoriesLimit=9999, isStaff=True)

    assert response.status_code == 201
    user = User.objects.get()
    assert (user.subscription_tier, user.is_staff) == ("free", False)
    assert story_quota(user=user).stories_limit == 10


# --- login, session, logout ------------------------------------------------------------------


def test_login_answers_user_with_quota_and_a_new_session(client):
    user = UserFactory(email="test@example.com")
    set_quota(user, used=3)

    response = login(client, password=PASSWORD)

    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {
        "id": user.id,
        "email": "test@example.com",
        "name": user.name,
        "subscriptionTier": "free",
        "monthlyStoriesUsed": 3,
        "monthlyStoriesLimit": 10,
    }
    assert len(body["session"]["token"]) == 64
    assert BearerSession.objects.filter(user=user).count() == 1


def test_login_email_is_case_insensitive(client):
    UserFactory(email="test@example.com")

    assert login(client, email="  Test@Example.com ", password=PASSWORD).status_code == 200


def test_failed_login_never_reveals_whether_the_email_exists(client):
    UserFactory(email="test@example.com")

    wrong_password = login(client, password="WrongPass123")
    unknown_email = login(client, email="nobody@example.com", password="WrongPass123")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["code"] == "INVALID_CREDENTIALS"
    assert not BearerSession.objects.exists()


def test_inactive_user_cannot_log_in(client):
    UserFactory(email="test@example.com", is_active=False)

    assert login(client, password=PASSWORD).status_code == 401


def test_session_answers_the_tokens_own_user(client):
    alice, bob = UserFactory(), UserFactory()
    alice_client, bob_client = client_for(alice), client_for(bob)

    assert alice_client.get("/api/auth/session").json()["user"]["id"] == alice.id
    assert bob_client.get("/api/auth/session").json()["user"]["id"] == bob.id


def test_session_shape(auth_client, user):
    body = auth_client.get("/api/auth/session").json()

    assert set(body["user"]) == {"id", "email", "name", "preferredLanguage", "subscriptionTier"}
    assert set(body["session"]) == {"expiresAt"}


def test_logout_revokes_only_the_session_used(client):
    user = UserFactory()
    phone, tablet = client_for(user), client_for(user)

    response = phone.post("/api/auth/logout")

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert phone.get("/api/auth/session").status_code == 401
    assert tablet.get("/api/auth/session").status_code == 200


# --- tokens ----------------------------------------------------------------------------------


def test_raw_token_is_stored_nowhere(client):
    token = signup(client).json()["session"]["token"]
    token2 = login(client).json()["session"]["token"]

    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    assert token not in dump.getvalue()
    assert token2 not in dump.getvalue()
    hashes = set(BearerSession.objects.values_list("token_hash", flat=True))
    assert hashes == {token_hash(token), token_hash(token2)}


def test_expired_token_is_refused(auth_client, user):
    BearerSession.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = auth_client.get("/api/auth/session")

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_revoked_token_is_refused(auth_client, user):
    BearerSession.objects.filter(user=user).update(revoked_at=timezone.now())

    assert auth_client.get("/api/auth/session").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer a b",
        "Token abc",
        "Bearer " + "f" * 64,
        "Bearer " + "x" * 500,
        "Basic Zm9vOmJhcg==",
    ],
)
def test_malformed_or_unknown_tokens_get_401(client, header):
    response = client.get("/api/auth/session", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_missing_token_gets_401_with_a_bearer_challenge(client):
    response = client.get("/api/auth/session")

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"
    assert response["WWW-Authenticate"] == "Bearer"


def test_expiry_slides_at_most_once_a_day(auth_client, user):
    session = BearerSession.objects.get(user=user)
    first_expiry = session.expires_at

    auth_client.get("/api/auth/session")
    session.refresh_from_db()
    assert session.expires_at == first_expiry  # used again within the day: no write

    two_days_ago = timezone.now() - timedelta(days=2)
    BearerSession.objects.filter(pk=session.pk).update(
        last_used_at=two_days_ago, expires_at=two_days_ago + timedelta(days=30)
    )
    auth_client.get("/api/auth/session")
    session.refresh_from_db()
    assert session.expires_at > timezone.now() + timedelta(days=29, hours=23)
    user.refresh_from_db()
    assert user.last_seen_at > two_days_ago


def test_purge_removes_only_dead_sessions(user):
    from accounts.services import sessions_purge_expired

    live = client_for(user)
    dead = BearerSession.objects.create(
        user=user, token_hash="0" * 64, expires_at=timezone.now() - timedelta(days=1)
    )

    assert sessions_purge_expired() == 1
    assert not BearerSession.objects.filter(pk=dead.pk).exists()
    assert live.get("/api/auth/session").status_code == 200


# --- e-mail verification and password reset ---------------------------------------------------


def test_mandatory_verification_blocks_login_until_the_email_is_verified(
    client, settings, django_capture_on_commit_callbacks
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"

    with django_capture_on_commit_callbacks(execute=True):
        created = signup(client)
    assert created.status_code == 201
    assert created.json()["session"] is None
    refused = login(client)
    assert refused.status_code == 403
    assert refused.json()["code"] == "EMAIL_NOT_VERIFIED"

    link = re.search(r"/auth/verify-email/(\S+)", mail.outbox[-1].body)
    verified = client.post("/api/auth/email/verify", {"key": link.group(1)}, format="json")
    assert verified.status_code == 200
    assert login(client).status_code == 200


def test_verification_link_page_confirms_the_address(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client)
    path = re.search(r"(/auth/verify-email/\S+)", mail.outbox[-1].body).group(1)

    response = client.get(path)

    assert response.status_code == 200
    assert User.objects.get().email_verified is True


def test_password_reset_flow_changes_the_password(client):
    UserFactory(email="test@example.com")

    requested = client.post(
        "/api/auth/password/reset", {"email": "test@example.com"}, format="json"
    )
    assert requested.status_code == 200
    uid, token = re.search(r"/auth/reset-password/([^/\s]+)/(\S+)", mail.outbox[-1].body).groups()
    confirmed = client.post(
        "/api/auth/password/reset/confirm",
        {"uid": uid, "token": token, "newPassword1": "BrandNew123", "newPassword2": "BrandNew123"},
        format="json",
    )

    assert confirmed.status_code == 200, confirmed.json()
    assert login(client, password="BrandNew123").status_code == 200
    assert login(client, password=PASSWORD).status_code == 401


def test_password_reset_for_unknown_email_looks_the_same_and_sends_nothing(client):
    response = client.post(
        "/api/auth/password/reset", {"email": "ghost@example.com"}, format="json"
    )

    assert response.status_code == 200
    assert mail.outbox == []


def test_password_reset_with_bad_token_is_a_404_envelope_and_keeps_the_password(client):
    user = UserFactory()

    response = client.post(
        "/api/auth/password/reset/confirm",
        {
            "uid": user.pk,
            "token": "bad",
            "newPassword1": "BrandNew123",
            "newPassword2": "BrandNew123",
        },
        format="json",
    )

    # A link that names no live reset is not found, as an unknown verification key is.
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    user.refresh_from_db()
    assert not user.check_password("BrandNew123")


def test_a_session_records_the_client_address_behind_a_proxy_and_ignores_garbage(client, settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"

    client.post(
        "/api/auth/signup", SIGNUP, format="json", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9"
    )
    client.post(
        "/api/auth/signup",
        {**SIGNUP, "email": "b@example.com"},
        format="json",
        HTTP_X_FORWARDED_FOR="not-an-address",
    )

    addresses = set(BearerSession.objects.values_list("ip_address", flat=True))
    assert addresses == {"198.51.100.9", None}


def test_a_password_reset_signs_the_account_out_everywhere(client):
    user = UserFactory(email="test@example.com")
    stolen = client_for(user)
    client.post("/api/auth/password/reset", {"email": "test@example.com"}, format="json")
    uid, token = re.search(r"/auth/reset-password/([^/\s]+)/(\S+)", mail.outbox[-1].body).groups()

    client.post(
        "/api/auth/password/reset/confirm",
        {"uid": uid, "token": token, "newPassword1": "BrandNew123", "newPassword2": "BrandNew123"},
        format="json",
    )

    assert stolen.get("/api/auth/session").status_code == 401


def test_reset_emails_are_limited_per_address_of_the_sender(client):
    # six accounts, so that the per-account limit (3 a day) is not the one that answers
    for n in range(6):
        UserFactory(email=f"test{n}@example.com")

    statuses = [
        client.post(
            "/api/auth/password/reset", {"email": f"test{n}@example.com"}, format="json"
        ).status_code
        for n in range(6)
    ]

    assert statuses == [200] * 5 + [429]
    assert len(mail.outbox) == 5
