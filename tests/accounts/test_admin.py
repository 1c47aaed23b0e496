from datetime import timedelta

from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils import timezone

from accounts.models import BearerSession
from tests.accounts.factories import UserFactory
from tests.helpers import client_for


def test_staff_find_users_by_email(staff_browser):
    UserFactory(email="needle@example.com")
    UserFactory(email="haystack@example.com")

    page = staff_browser.get("/admin/accounts/user/", {"q": "needle"})

    assert page.status_code == 200
    assert b"needle@example.com" in page.content
    assert b"haystack@example.com" not in page.content


def test_staff_open_a_user_with_their_sessions(staff_browser):
    user = UserFactory()
    client_for(user)

    # reverse() quotes the id: the admin reads "_3A"-like runs in a raw id as escapes.
    page = staff_browser.get(reverse("admin:accounts_user_change", args=[quote(user.pk)]))

    assert page.status_code == 200
    assert b"tests" in page.content  # the session's user agent


def test_staff_revoke_a_session_and_its_token_stops_working(staff_browser):
    user = UserFactory()
    api = client_for(user)
    session = BearerSession.objects.get(user=user)

    staff_browser.post(
        "/admin/accounts/bearersession/",
        {"action": "revoke", "_selected_action": [session.pk]},
    )

    assert api.get("/api/auth/session").status_code == 401


def test_session_list_filters_by_state(staff_browser):
    user = UserFactory()
    client_for(user)
    BearerSession.objects.create(
        user=user,
        token_hash="e" * 64,
        expires_at=timezone.now() - timedelta(days=1),
        user_agent="OldPhone",
    )

    active = staff_browser.get("/admin/accounts/bearersession/", {"state": "active"})
    expired = staff_browser.get("/admin/accounts/bearersession/", {"state": "expired"})

    assert b"OldPhone" not in active.content
    assert b"OldPhone" in expired.content


def test_staff_sign_a_user_out_everywhere(staff_browser):
    user = UserFactory()
    phone, tablet = client_for(user), client_for(user)

    staff_browser.post(
        "/admin/accounts/user/", {"action": "revoke_sessions", "_selected_action": [user.pk]}
    )

    assert phone.get("/api/auth/session").status_code == 401
    assert tablet.get("/api/auth/session").status_code == 401


def test_session_admin_never_shows_a_way_to_add_one(staff_browser):
    assert staff_browser.get("/admin/accounts/bearersession/add/").status_code == 403


def test_staff_read_the_consented_vendors_as_names_not_json(staff_browser):
    from accounts.services import consent_to_current_policy

    user = UserFactory()
    consent_to_current_policy(user=user, user_agent="tests")

    page = staff_browser.get(reverse("admin:accounts_user_change", args=[quote(user.pk)]))

    assert page.status_code == 200
    assert b"OpenAI, ElevenLabs" in page.content
    assert b"[&quot;OpenAI&quot;" not in page.content
