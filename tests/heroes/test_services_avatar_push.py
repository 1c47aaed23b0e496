"""A drawn avatar is pushed to the family's phones (heroes.services calls
notifications.services.avatar_ready_notify), never with the hero's name."""

from tests.fakes.fixtures import apns, fake_apns  # noqa: F401
from tests.heroes.factories import HeroFactory
from tests.notifications.factories import DeviceFactory

TOKEN = "ab" * 32


def test_a_drawn_avatar_is_pushed_without_the_heros_name(
    apns,  # noqa: F811
    auth_client,
    user,
    django_capture_on_commit_callbacks,
):
    DeviceFactory(user=user, token=TOKEN)
    hero = HeroFactory(user=user, name="Alice")

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json")

    assert response.status_code == 200, response.json()
    [push] = apns.pushes(TOKEN)
    assert push["body"] == {
        "aps": {"alert": {"body": "Your hero's portrait is ready."}, "sound": "default"},
        "kind": "avatar",
        "status": "completed",
        "heroId": hero.pk,
    }
    assert push["headers"]["apns-collapse-id"] == f"{hero.pk}:avatar"
    assert "Alice" not in str(push)
