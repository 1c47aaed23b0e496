"""POST/GET /api/devices, DELETE /api/devices/{id}, and logout dropping the phone's token."""

import json

import pytest

from notifications.models import Device
from tests.helpers import client_for
from tests.notifications.factories import DeviceFactory

TOKEN = "0f" * 32


def _register(api, **body):
    return api.post(
        "/api/devices",
        {"token": TOKEN, "platform": "ios", "environment": "production", **body},
        format="json",
    )


def test_register_a_device(auth_client, user):
    response = _register(auth_client, locale="fr-FR")

    assert response.status_code == 201, response.json()
    device = Device.objects.get(user=user)
    assert response.json() == {
        "device": {
            "id": device.pk,
            "platform": "ios",
            "environment": "production",
            "createdAt": device.created_at.isoformat().replace("+00:00", "Z"),
            "lastUsedAt": device.last_used_at.isoformat().replace("+00:00", "Z"),
        }
    }
    assert (device.token, device.locale) == (TOKEN, "fr-FR")


def test_the_same_token_again_is_200_and_the_same_device(auth_client, user):
    first = _register(auth_client).json()["device"]

    again = _register(auth_client, token=TOKEN.upper(), environment="sandbox")

    assert again.status_code == 200
    assert again.json()["device"]["id"] == first["id"]
    assert again.json()["device"]["environment"] == "sandbox"
    assert again.json()["device"]["lastUsedAt"] >= first["lastUsedAt"]
    assert Device.objects.filter(user=user).count() == 1


def test_a_token_another_account_had_moves_to_the_current_user(auth_client, user, other_user):
    theirs = DeviceFactory(user=other_user, token=TOKEN)

    response = _register(auth_client)

    assert response.status_code == 200
    assert response.json()["device"]["id"] == theirs.pk
    assert list(Device.objects.values_list("user_id", flat=True)) == [user.pk]
    assert client_for(other_user).get("/api/devices").json() == {"devices": []}


@pytest.mark.parametrize(
    "token",
    [
        "zz" * 32,  # not hexadecimal
        "ab" * 31,  # too short
        "a" * 65,  # odd length
        "ab" * 101,  # too long
        "ab" * 16 + " " + "ab" * 16,
        12345,
    ],
)
def test_a_token_that_is_not_apns_hex_is_400_and_saves_nothing(auth_client, token):
    response = _register(auth_client, token=token)

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert "token" in response.json()["details"]
    assert not Device.objects.exists()


def test_an_unknown_platform_or_environment_is_400(auth_client):
    assert _register(auth_client, platform="android").status_code == 400
    assert _register(auth_client, environment="staging").status_code == 400
    assert not Device.objects.exists()


def test_list_shows_only_the_users_devices(auth_client, user, other_user):
    mine = DeviceFactory(user=user)
    DeviceFactory(user=other_user)

    response = auth_client.get("/api/devices")

    assert response.status_code == 200
    assert [d["id"] for d in response.json()["devices"]] == [mine.pk]
    assert "token" not in response.json()["devices"][0]


def test_delete_a_device(auth_client, user):
    device = DeviceFactory(user=user)

    response = auth_client.delete(f"/api/devices/{device.pk}")

    assert response.status_code == 204
    assert not Device.objects.filter(pk=device.pk).exists()


def test_another_users_device_is_404_and_stays(auth_client, other_user):
    theirs = DeviceFactory(user=other_user)

    response = auth_client.delete(f"/api/devices/{theirs.pk}")

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert Device.objects.filter(pk=theirs.pk).exists()


def test_a_family_keeps_its_ten_most_recent_devices(auth_client, user):
    old = [DeviceFactory(user=user) for _ in range(10)]

    _register(auth_client)

    kept = set(Device.objects.filter(user=user).values_list("pk", flat=True))
    assert len(kept) == 10
    assert old[0].pk not in kept  # the least recently used went


def test_logout_with_the_device_token_drops_it(auth_client, user, other_user):
    DeviceFactory(user=user, token=TOKEN)
    other = DeviceFactory(user=user)
    theirs = DeviceFactory(user=other_user)

    response = auth_client.post("/api/auth/logout", {"deviceToken": TOKEN}, format="json")

    assert response.status_code == 200
    assert set(Device.objects.values_list("pk", flat=True)) == {other.pk, theirs.pk}


def test_logout_without_a_token_keeps_the_devices(auth_client, user):
    device = DeviceFactory(user=user)

    assert auth_client.post("/api/auth/logout").status_code == 200

    assert Device.objects.filter(pk=device.pk).exists()


def test_registering_is_rate_limited(auth_client, settings):
    settings.RATE_LIMITS = "device_register=2/h"

    answers = [_register(auth_client, token=f"{n:064x}").status_code for n in range(3)]

    assert answers == [201, 201, 429]
    assert Device.objects.count() == 2


def test_devices_need_a_token(client):
    assert client.get("/api/devices").status_code == 401
    assert client.post("/api/devices", {}, format="json").status_code == 401


def test_the_account_export_lists_the_devices_without_their_tokens(auth_client, user, other_user):
    mine = DeviceFactory(user=user, token=TOKEN, locale="de-DE")
    theirs = DeviceFactory(user=other_user)

    response = auth_client.get("/api/user/export")

    devices = json.loads(response.content)["devices"]
    assert [(d["id"], d["locale"]) for d in devices] == [(mine.pk, "de-DE")]
    text = response.content.decode()
    assert TOKEN not in text and theirs.pk not in text


def test_deleting_the_account_deletes_its_devices(auth_client, user):
    DeviceFactory(user=user)

    response = auth_client.delete("/api/user/account")

    assert response.status_code == 200
    assert not Device.objects.filter(user_id=user.pk).exists()
