"""Sign in with Apple after sign-in (accounts.apple_services): the refresh token revoked at Apple
when the account is deleted, retried in the background when Apple fails, and Apple's
server-to-server events, verified and accepted once."""

import socket

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts import apple
from accounts.apple_services import apple_revocations_resend
from accounts.models import (
    AppleCredential,
    AppleNotification,
    AppleTokenRevocation,
    BearerSession,
    User,
)
from tests.fakes.apple_server import rsa_key

SUB = "001234.apple-user.0001"


def apple_family(
    fake, *, sub: str = SUB, email: str = "parent@privaterelay.appleid.com"
) -> tuple[User, str, str]:
    """An account made by Sign in with Apple with its code exchanged: (user, session token,
    Apple refresh token)."""
    response = APIClient().post(
        "/api/auth/apple",
        {
            "identityToken": fake.identity_token(sub=sub, email=email),
            "authorizationCode": fake.issue_code(sub=sub),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    refresh = next(token for token, owner in fake.refresh_tokens.items() if owner == sub)
    return User.objects.get(apple_id=sub), response.json()["session"]["token"], refresh


def signed_in(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


# --- account deletion ------------------------------------------------------------------------


def test_deleting_the_account_revokes_the_refresh_token_at_apple(
    apple_configured, django_capture_on_commit_callbacks
):
    user, token, refresh = apple_family(apple_configured)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(token).delete("/api/user/account")

    assert response.status_code == 200
    assert apple_configured.revoked == [refresh]
    (call,) = apple_configured.calls("/auth/revoke")
    assert call.form["token_type_hint"] == "refresh_token"
    assert not User.objects.filter(pk=user.pk).exists()
    assert not AppleCredential.objects.exists()
    assert not AppleTokenRevocation.objects.exists()


def test_when_apple_fails_the_deletion_goes_on_and_the_revocation_is_retried(
    apple_configured, django_capture_on_commit_callbacks
):
    user, token, refresh = apple_family(apple_configured)
    apple_configured.fail("/auth/revoke", times=1, status=503)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(token).delete("/api/user/account")

    # the deletion did not wait for Apple ...
    assert response.status_code == 200
    assert not User.objects.filter(pk=user.pk).exists()
    # ... and the background task revoked it on its next try
    assert len(apple_configured.calls("/auth/revoke")) == 2
    assert apple_configured.revoked == [refresh]
    assert not AppleTokenRevocation.objects.exists()


def test_while_apple_keeps_failing_the_revocation_waits_encrypted_and_is_resent(
    apple_configured, django_capture_on_commit_callbacks, settings
):
    user, token, refresh = apple_family(apple_configured)
    apple_configured.fail("/auth/revoke", times=None, status=500)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(token).delete("/api/user/account")

    assert response.status_code == 200
    assert not User.objects.filter(pk=user.pk).exists()
    assert apple_configured.revoked == []
    (waiting,) = AppleTokenRevocation.objects.all()
    assert waiting.attempts > 1 and "500" in waiting.last_error
    assert refresh not in waiting.token_encrypted
    assert apple.token_decrypt(waiting.token_encrypted) == refresh

    # Apple is back: the daily sweep sends it again
    apple_configured.faults.clear()
    assert apple_revocations_resend() == 1

    assert apple_configured.revoked == [refresh]
    assert not AppleTokenRevocation.objects.exists()


def test_an_unreachable_apple_never_holds_up_the_deletion(
    apple_configured, django_capture_on_commit_callbacks, settings
):
    user, token, _ = apple_family(apple_configured)
    silent = socket.socket()  # accepts connections, never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    settings.APPLE_BASE_URL = f"http://127.0.0.1:{silent.getsockname()[1]}"
    settings.APPLE_TIMEOUT = 0.2
    try:
        with django_capture_on_commit_callbacks(execute=False):
            response = signed_in(token).delete("/api/user/account")
    finally:
        silent.close()

    assert response.status_code == 200
    assert not User.objects.filter(pk=user.pk).exists()
    assert AppleTokenRevocation.objects.count() == 1


def test_deleting_an_account_without_apple_calls_nothing(
    apple_configured, auth_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete("/api/user/account").status_code == 200

    assert apple_configured.requests == []


def test_an_apple_token_apple_no_longer_knows_counts_as_revoked(
    apple_configured, django_capture_on_commit_callbacks
):
    _, token, _ = apple_family(apple_configured)
    apple_configured.refresh_tokens.clear()  # the user already removed the app at Apple

    with django_capture_on_commit_callbacks(execute=True):
        assert signed_in(token).delete("/api/user/account").status_code == 200

    assert len(apple_configured.calls("/auth/revoke")) == 1
    assert not AppleTokenRevocation.objects.exists()


# --- server-to-server notifications ----------------------------------------------------------


def notify(payload: str):
    return APIClient().post("/api/auth/apple/notifications", {"payload": payload}, format="json")


def sessions_alive(user) -> int:
    return BearerSession.objects.filter(user=user, revoked_at__isnull=True).count()


def test_consent_revoked_ends_every_session_and_keeps_the_account(apple_configured):
    user, token, _ = apple_family(apple_configured)
    apple_family_second_device = APIClient().post(
        "/api/auth/apple",
        {"identityToken": apple_configured.identity_token(sub=SUB)},
        format="json",
    )
    assert apple_family_second_device.status_code == 200
    assert sessions_alive(user) == 2

    response = notify(apple_configured.notification(sub=SUB, kind="consent-revoked"))

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert sessions_alive(user) == 0
    assert signed_in(token).get("/api/auth/session").status_code == 401
    assert User.objects.filter(pk=user.pk).exists()
    assert AppleCredential.objects.get(user=user).refresh_token_encrypted == ""


def test_account_delete_ends_sessions_and_deletes_the_account(
    apple_configured, django_capture_on_commit_callbacks
):
    user, token, _ = apple_family(apple_configured)
    _, other_token, _ = apple_family(
        apple_configured, sub="000999.another-family", email="other@privaterelay.appleid.com"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = notify(apple_configured.notification(sub=SUB, kind="account-delete"))

    assert response.status_code == 200
    assert signed_in(token).get("/api/auth/session").status_code == 401
    assert not User.objects.filter(pk=user.pk).exists()
    # Apple already invalidated the token: nothing to revoke
    assert apple_configured.calls("/auth/revoke") == []
    # another family is untouched
    assert signed_in(other_token).get("/api/auth/session").status_code == 200


def test_account_delete_closes_the_account_at_once(apple_configured):
    user, _, _ = apple_family(apple_configured)

    # the deletion task has not run yet (callbacks not executed)
    notify(apple_configured.notification(sub=SUB, kind="account-delete"))
    again = APIClient().post(
        "/api/auth/apple",
        {"identityToken": apple_configured.identity_token(sub=SUB)},
        format="json",
    )

    assert again.status_code == 403
    assert again.json()["code"] == "APPLE_ACCOUNT_CLOSED"
    assert sessions_alive(user) == 0


def test_email_disabled_and_enabled_switch_mail_to_the_relay_address(apple_configured):
    from usage.selectors import story_quota
    from usage.services.alerts import story_quota_mail

    user, _, _ = apple_family(apple_configured)

    assert notify(apple_configured.notification(sub=SUB, kind="email-disabled")).status_code == 200
    assert AppleCredential.objects.get(user=user).email_reachable is False
    story_quota_mail(user=user, state=story_quota(user=user), kind="near_limit")
    APIClient().post("/api/auth/password/reset", {"email": user.email}, format="json")
    assert mail.outbox == []

    assert notify(apple_configured.notification(sub=SUB, kind="email-enabled")).status_code == 200
    assert AppleCredential.objects.get(user=user).email_reachable is True
    story_quota_mail(user=user, state=story_quota(user=user), kind="near_limit")
    assert [sent.to for sent in mail.outbox] == [[user.email]]


def test_a_replayed_event_is_refused_and_changes_nothing(apple_configured):
    user, _, _ = apple_family(apple_configured)
    disabled = apple_configured.notification(sub=SUB, kind="email-disabled", jti="jti-1")
    assert notify(disabled).status_code == 200
    assert notify(apple_configured.notification(sub=SUB, kind="email-enabled")).status_code == 200

    replayed = notify(disabled)

    assert replayed.status_code == 400
    assert replayed.json()["code"] == "APPLE_EVENT_REPLAYED"
    assert AppleCredential.objects.get(user=user).email_reachable is True
    assert AppleNotification.objects.count() == 2


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        ({"key": rsa_key("attacker")}, "signature"),
        ({"kid": "made-up", "key": rsa_key("attacker")}, "unknown_key"),
        ({"aud": "com.someone.elses.app"}, "audience"),
    ],
)
def test_a_forged_event_is_refused_and_changes_nothing(apple_configured, forge, reason):
    user, _, _ = apple_family(apple_configured)

    response = notify(apple_configured.notification(sub=SUB, kind="consent-revoked", **forge))

    assert response.status_code == 401
    assert response.json()["code"] == "APPLE_EVENT_INVALID"
    assert response.json()["details"] == {"reason": reason}
    assert sessions_alive(user) == 1
    assert not AppleNotification.objects.exists()


def test_a_garbage_event_is_refused(apple_configured):
    assert notify("not-a-jwt").status_code == 401
    missing = APIClient().post("/api/auth/apple/notifications", {}, format="json")
    assert missing.status_code == 400
    assert missing.json()["code"] == "VALIDATION_ERROR"


def test_an_event_for_an_apple_id_we_do_not_know_is_acknowledged(apple_configured):
    response = notify(apple_configured.notification(sub="000000.nobody", kind="consent-revoked"))

    assert response.status_code == 200
    assert AppleNotification.objects.count() == 1


def test_notifications_are_rate_limited_per_network(apple_configured, settings):
    settings.RATE_LIMITS = "apple_notifications=2/m"

    answers = [
        notify(apple_configured.notification(sub="000000.nobody", kind="email-enabled")).status_code
        for _ in range(3)
    ]

    assert answers == [200, 200, 429]
    assert AppleNotification.objects.count() == 2


def test_the_code_and_refresh_token_never_reach_a_log_line(
    apple_configured, django_capture_on_commit_callbacks, log_lines
):
    code = apple_configured.issue_code(sub=SUB)
    signed = APIClient().post(
        "/api/auth/apple",
        {"identityToken": apple_configured.identity_token(sub=SUB), "authorizationCode": code},
        format="json",
    )
    (refresh,) = apple_configured.refresh_tokens
    apple_configured.fail("/auth/revoke", times=None, status=500)  # failures are logged too

    with django_capture_on_commit_callbacks(execute=True):
        deleted = signed_in(signed.json()["session"]["token"]).delete("/api/user/account")

    written = log_lines()
    assert (signed.status_code, deleted.status_code) == (201, 200)
    assert "request_finished" in written and apple_configured.calls("/auth/revoke")
    assert code not in written
    assert refresh not in written
