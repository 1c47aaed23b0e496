"""Pushes through the real client (httpx + h2) to a fake APNs over HTTP/2 and TLS on loopback."""

import logging
import time

import jwt
import pytest

from notifications import apns as client
from notifications import services
from notifications.models import Device
from tests.fakes.apns_server import FakeAPNs
from tests.fakes.fixtures import APNS_KEY_ID, APNS_TEAM_ID, APNS_TOPIC
from tests.notifications.factories import DeviceFactory

TOKEN = "ab" * 32


def _push(device):
    return services.work_ended_push(
        user_id=device.user_id, kind="audio", status="completed", job_id="job_1", story_id="story_1"
    )


def test_push_goes_over_http2_with_the_provider_token_topic_and_ids(apns, user):
    device = DeviceFactory(user=user, token=TOKEN)

    sent = _push(device)

    assert sent == 1
    [push] = apns.pushes(TOKEN)
    assert (push["http_version"], push["method"], push["path"]) == (
        "2",
        "POST",
        f"/3/device/{TOKEN}",
    )
    headers = push["headers"]
    assert headers["apns-topic"] == APNS_TOPIC
    assert headers["apns-push-type"] == "alert"
    assert headers["apns-collapse-id"] == "story_1:audio"
    scheme, token = headers["authorization"].split(" ")
    assert scheme == "bearer"
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": APNS_KEY_ID, "typ": "JWT"}
    claims = jwt.decode(token, apns.public_key, algorithms=["ES256"])
    assert claims["iss"] == APNS_TEAM_ID
    assert abs(claims["iat"] - time.time()) < 60
    assert push["body"] == {
        "aps": {"alert": {"body": "The narration is ready."}, "sound": "default"},
        "kind": "audio",
        "status": "completed",
        "jobId": "job_1",
        "storyId": "story_1",
    }
    device.refresh_from_db()
    assert (device.last_push_result, device.last_push_reason) == ("sent", "")
    assert device.last_push_at is not None


def test_the_alert_speaks_the_familys_language(apns, user):
    user.preferred_language = "fr"
    user.save(update_fields=["preferred_language"])
    device = DeviceFactory(user=user, token=TOKEN)

    services.work_ended_push(
        user_id=device.user_id, kind="story", status="completed", job_id="job_1", story_id="s_1"
    )

    [push] = apns.pushes(TOKEN)
    assert push["body"]["aps"]["alert"]["body"] == "Votre histoire du soir est prête."


def test_the_provider_token_is_reused_and_shared_through_the_cache(apns, user):
    device = DeviceFactory(user=user, token=TOKEN)
    # Another process signed the team's token first: this one uses it rather than signing anew.
    other_process_token = jwt.encode(
        {"iss": APNS_TEAM_ID, "iat": int(time.time()) - 600},
        apns.private_key_pem,
        algorithm="ES256",
        headers={"kid": APNS_KEY_ID},
    )
    from django.core.cache import cache

    cache.set(client._token_cache_key(), other_process_token, 600)

    _push(device)
    _push(device)

    bearers = [p["headers"]["authorization"] for p in apns.pushes(TOKEN)]
    assert bearers == [f"bearer {other_process_token}"] * 2


def test_a_new_provider_token_is_signed_once_and_kept(apns, user, settings):
    device = DeviceFactory(user=user, token=TOKEN)
    from django.core.cache import cache

    _push(device)
    _push(device)

    first, second = (p["headers"]["authorization"] for p in apns.pushes(TOKEN))
    assert first == second
    assert cache.get(client._token_cache_key()) == first.split(" ")[1]


def test_an_expired_provider_token_is_signed_again_and_the_push_retried(apns, user):
    device = DeviceFactory(user=user, token=TOKEN)
    apns.script(TOKEN, (403, "ExpiredProviderToken"))

    assert _push(device) == 1

    first, second = (p["headers"]["authorization"] for p in apns.pushes(TOKEN))
    assert first != second


@pytest.mark.parametrize("answer", [(410, "Unregistered"), (400, "BadDeviceToken")])
def test_a_device_apple_says_is_gone_is_deleted_at_once(apns, user, answer):
    gone = DeviceFactory(user=user, token=TOKEN)
    kept = DeviceFactory(user=user, token="cd" * 32)
    apns.script(TOKEN, answer)

    sent = _push(gone)

    assert sent == 1
    assert list(Device.objects.filter(user=user)) == [kept]
    assert len(apns.pushes(TOKEN)) == 1  # never retried


@pytest.mark.parametrize("status", [429, 500, 503])
def test_429_and_5xx_are_retried(apns, user, status, settings):
    settings.APNS_MAX_ATTEMPTS = 3
    device = DeviceFactory(user=user, token=TOKEN)
    apns.script(TOKEN, (status, "TooManyRequests" if status == 429 else "InternalServerError"))

    assert _push(device) == 1

    assert len(apns.pushes(TOKEN)) == 2
    device.refresh_from_db()
    assert device.last_push_result == "sent"


def test_a_push_that_keeps_failing_is_recorded_and_the_device_kept(apns, user, settings):
    settings.APNS_MAX_ATTEMPTS = 3
    device = DeviceFactory(user=user, token=TOKEN)
    apns.script(TOKEN, *[(503, "ServiceUnavailable")] * 3)

    assert _push(device) == 0

    assert len(apns.pushes(TOKEN)) == 3
    device.refresh_from_db()
    assert (device.last_push_result, device.last_push_reason) == (
        "failed",
        "HTTP 503 ServiceUnavailable",
    )


def test_another_refusal_is_not_retried(apns, user):
    device = DeviceFactory(user=user, token=TOKEN)
    apns.script(TOKEN, (400, "PayloadTooLarge"))

    assert _push(device) == 0

    assert len(apns.pushes(TOKEN)) == 1
    assert Device.objects.filter(pk=device.pk, last_push_result="failed").exists()


def test_sandbox_devices_go_to_the_sandbox_host(apns, user, settings, tmp_path):
    sandbox_folder = tmp_path / "sandbox"
    sandbox_folder.mkdir()
    sandbox = FakeAPNs(sandbox_folder).start()
    try:
        # one CA trusts both servers in this test: the production one's
        settings.APNS_SANDBOX_URL = sandbox.base_url
        settings.APNS_CA_FILE = str(sandbox_folder / "both.pem")
        (sandbox_folder / "both.pem").write_bytes(
            apns.ca_file.read_bytes() + sandbox.ca_file.read_bytes()
        )
        client.clients_close()
        DeviceFactory(user=user, token=TOKEN, environment="sandbox")
        DeviceFactory(user=user, token="cd" * 32, environment="production")

        services.work_ended_push(user_id=user.pk, kind="audio", status="failed", job_id="job_1")

        assert [p["token"] for p in sandbox.pushes()] == [TOKEN]
        assert [p["token"] for p in apns.pushes()] == ["cd" * 32]
    finally:
        client.clients_close()
        sandbox.stop()


def test_a_server_that_does_not_answer_fails_the_push_not_the_caller(user, settings, apns):
    settings.APNS_URL = "https://127.0.0.1:9"  # nothing listens on the discard port
    settings.APNS_MAX_ATTEMPTS = 2
    device = DeviceFactory(user=user, token=TOKEN)

    assert _push(device) == 0

    device.refresh_from_db()
    assert device.last_push_result == "failed"
    assert device.last_push_reason.startswith("no answer (ConnectError")


def test_without_apns_settings_pushes_are_off_and_said_once(settings, user, caplog):
    settings.APNS_KEY_ID = ""
    services._say_pushes_are_off.cache_clear()
    DeviceFactory(user=user, token=TOKEN)

    class Job:
        pk, user_id, kind, status, story_id = "job_1", user.pk, "audio", "completed", "s_1"

    with caplog.at_level(logging.INFO, logger="notifications.services"):
        services.job_ended_notify(job=Job())
        services.job_ended_notify(job=Job())

    assert [r.getMessage() for r in caplog.records].count(
        "Push notifications are off: APNS_KEY_ID, APNS_TEAM_ID, APNS_PRIVATE_KEY and "
        "APNS_TOPIC are not all set."
    ) == 1
    assert services.work_ended_push(user_id=user.pk, kind="audio", status="completed") == 0


def test_no_whole_device_token_reaches_the_logs(apns, user, caplog):
    device = DeviceFactory(user=user, token=TOKEN)
    apns.script(TOKEN, (503, "ServiceUnavailable"))

    with caplog.at_level(logging.INFO):
        _push(device)

    lines = [record.getMessage() for record in caplog.records]
    assert any("/3/device/…" + TOKEN[-6:] in line for line in lines)
    assert not any(TOKEN in line for line in lines)
