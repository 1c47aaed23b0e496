"""Staff see a family's phones and the last push each got, never a whole device token."""

from django.utils import timezone

from tests.admin_urls import admin_url
from tests.notifications.factories import DeviceFactory

TOKEN = "ab" * 31 + "c0ffee"[:4]


def test_the_users_page_shows_their_devices_and_last_push(staff_browser, user):
    DeviceFactory(
        user=user,
        token=TOKEN,
        environment="sandbox",
        last_push_at=timezone.now(),
        last_push_result="failed",
        last_push_reason="HTTP 503 ServiceUnavailable",
    )

    page = staff_browser.get(admin_url(user))

    assert page.status_code == 200
    html = page.content.decode()
    assert "…" + TOKEN[-6:] in html
    assert "HTTP 503 ServiceUnavailable" in html and "sandbox" in html
    assert TOKEN not in html
    # and its link lists only their devices
    assert f"/admin/notifications/device/?user__id__exact={user.pk}" in html
    listed = staff_browser.get("/admin/notifications/device/", {"user__id__exact": user.pk})
    assert listed.status_code == 200 and "1 device" in listed.content.decode()


def test_the_device_list_finds_a_familys_phones_by_email(staff_browser, user, other_user):
    mine = DeviceFactory(user=user, last_push_result="sent")
    theirs = DeviceFactory(user=other_user)

    page = staff_browser.get("/admin/notifications/device/", {"q": user.email})

    assert page.status_code == 200
    html = page.content.decode()
    assert mine.pk in html and theirs.pk not in html
    assert mine.token not in html
