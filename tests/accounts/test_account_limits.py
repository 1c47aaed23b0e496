"""Accounts strangers cannot stack or lock (issue 24): signup limits per IPv6 /64, /56 and /48,
a review flag and a block for networks that make many accounts, login failures counted per
(account, network), reset e-mails limited per account, reset links that die at the next login
and never appear in a log line."""

import re

from django.core import mail
from django.test import Client

from accounts.models import BlockedNetwork, User
from accounts.services import SIGNUP_REVIEW_ACCOUNTS
from infinitestories.observability import sentry_scrub
from tests.accounts.factories import PASSWORD, UserFactory
from tests.helpers import assert_envelope, login, signup
from usage.models import AccountStanding

RESET = "/api/auth/password/reset"
RESET_CONFIRM = "/api/auth/password/reset/confirm"
NEW_PASSWORD = "BrandNew123"


# --- login: a stranger's guesses never lock the parent out ---------------------------------------


def test_wrong_passwords_from_many_networks_never_lock_the_parent_out(client, user):
    # given a stranger's ten wrong passwords, each from another address
    for n in range(10):
        assert (
            login(client, user.email, "Wrong1234", remote_addr=f"198.51.100.{n}").status_code == 401
        )

    # when the parent signs in from home with the right password
    response = login(client, user.email, PASSWORD, remote_addr="203.0.113.5")

    # then it works
    assert response.status_code == 200, response.json()
    assert user.bearer_sessions.count() == 1


def test_a_network_that_guessed_too_often_is_locked_out_of_that_account_only(client, user):
    # given ten wrong passwords for the parent's account from one IPv6 /64 (its addresses rotated)
    for n in range(10):
        response = login(client, user.email, "Wrong1234", remote_addr=f"2001:db8:1:2::{n + 1:x}")
        assert response.status_code == 401

    # when that network tries the right password, and the parent tries from another network
    locked = login(client, user.email, PASSWORD, remote_addr="2001:db8:1:2::99")
    parent = login(client, user.email, PASSWORD, remote_addr="2001:db8:1:3::1")
    # and another family signs in from the guessing network
    neighbour = UserFactory()
    other_account = login(client, neighbour.email, PASSWORD, remote_addr="2001:db8:1:2::1")

    # then only the (account, network) pair is locked
    body = assert_envelope(locked, 429, "RATE_LIMITED")
    assert body["details"]["limit"] == "login_account"
    assert int(locked["Retry-After"]) > 0
    assert (parent.status_code, other_account.status_code) == (200, 200)


def test_right_passwords_do_not_count_towards_the_lock(client, user):
    # a parent who signs in often from home is never locked by their own successes
    statuses = {
        login(client, user.email, PASSWORD, remote_addr="203.0.113.8").status_code
        for _ in range(12)
    }

    assert statuses == {200}


# --- signups: per /64, /56 and /48 -------------------------------------------------------------


def test_one_ipv6_56_cannot_make_accounts_by_rotating_its_64s(client):
    # given 30 signups from one home connection, each from another of its /64s
    statuses = [
        signup(
            client, email=f"stack{n}@example.com", remote_addr=f"2001:db8:ab:{n:02x}::1"
        ).status_code
        for n in range(31)
    ]

    # then the /56 limit answers the 31st
    assert statuses == [201] * 30 + [429]
    # and a neighbour in another /56 of the same /48 still signs up
    assert (
        signup(client, email="neighbour@example.com", remote_addr="2001:db8:ab:100::1").status_code
        == 201
    )


def test_one_ipv6_48_is_limited_too(client, settings):
    settings.RATE_LIMITS = "signup_48=3/h"

    statuses = [
        signup(
            client, email=f"site{n}@example.com", remote_addr=f"2001:db8:cd:{n:02x}00::1"
        ).status_code
        for n in range(4)
    ]

    assert statuses == [201, 201, 201, 429]


def test_ipv4_signups_count_per_address(client, settings):
    settings.RATE_LIMITS = "signup=2/h"

    statuses = [
        signup(client, email=f"v4n{n}@example.com", remote_addr="192.0.2.10").status_code
        for n in range(3)
    ]
    other = signup(client, email="v4other@example.com", remote_addr="192.0.2.11")

    assert statuses == [201, 201, 429]
    assert other.status_code == 201


# --- a crowded network is flagged, and staff can block it --------------------------------------


def test_many_accounts_from_one_network_are_flagged_for_review(client):
    # given accounts signing up from one home connection (different /64s of one /56)
    for n in range(SIGNUP_REVIEW_ACCOUNTS):
        assert (
            signup(
                client, email=f"crowd{n}@example.com", remote_addr=f"2001:db8:ee:{n:02x}::1"
            ).status_code
            == 201
        )

    # then the account that made the network crowded is flagged, the first ones are not
    users = User.objects.filter(email__startswith="crowd").order_by("created_at")
    assert {u.signup_network for u in users} == {"2001:db8:ee::/56"}
    flagged = AccountStanding.objects.filter(flagged_for_review=True).values_list(
        "user__email", flat=True
    )
    assert list(flagged) == [f"crowd{SIGNUP_REVIEW_ACCOUNTS - 1}@example.com"]
    assert "2001:db8:ee::/56" in AccountStanding.objects.get(flagged_for_review=True).flag_reason


def test_staff_block_a_crowded_network_from_the_admin_and_it_signs_up_no_more(
    client, staff_browser
):
    # given a crowded network, found with the admin's filter
    for n in range(SIGNUP_REVIEW_ACCOUNTS):
        signup(client, email=f"farm{n}@example.com", remote_addr=f"2001:db8:ff:{n:02x}::1")
    signup(client, email="family@example.com", remote_addr="192.0.2.50")
    listed = staff_browser.get("/admin/accounts/user/?signup_network_crowded=yes")
    assert "farm0@example.com" in listed.content.decode()
    assert "family@example.com" not in listed.content.decode()

    # when staff block the network of one of its accounts
    farm = User.objects.get(email="farm0@example.com")
    response = staff_browser.post(
        "/admin/accounts/user/",
        {"action": "block_signup_networks", "_selected_action": [farm.pk]},
    )
    assert response.status_code == 302

    # then signups from any /64 of that /56 are refused, with nothing written; others work
    assert list(BlockedNetwork.objects.values_list("network", flat=True)) == ["2001:db8:ff::/56"]
    refused = signup(client, email="farm-next@example.com", remote_addr="2001:db8:ff:99::1")
    assert_envelope(refused, 403, "SIGNUP_BLOCKED")
    assert not User.objects.filter(email="farm-next@example.com").exists()
    assert (
        signup(client, email="elsewhere@example.com", remote_addr="2001:db8:fe::1").status_code
        == 201
    )


def test_staff_without_change_permission_cannot_block(client):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    browser = Client()
    browser.force_login(viewer)
    signup(client, email="one@example.com", remote_addr="2001:db8:aa::1")

    browser.post(
        "/admin/accounts/user/",
        {
            "action": "block_signup_networks",
            "_selected_action": [User.objects.get(email="one@example.com").pk],
        },
    )

    assert not BlockedNetwork.objects.exists()


# --- reset e-mails: per account a day, as well as per network ---------------------------------


def test_reset_emails_to_one_account_are_limited_whatever_the_network(client, user):
    # given reset requests for one family from four /64s of one /56
    statuses = [
        client.post(
            RESET, {"email": user.email}, format="json", REMOTE_ADDR=f"2001:db8:5:{n}::1"
        ).status_code
        for n in range(4)
    ]

    # then three e-mails a day reach the family, the fourth request is refused
    assert statuses == [200, 200, 200, 429]
    assert len(mail.outbox) == 3


# --- reset links: dead after any later login, and never in a log line ---------------------------


def reset_link(client, user) -> tuple[str, str]:
    assert client.post(RESET, {"email": user.email}, format="json").status_code == 200
    return re.search(r"/auth/reset-password/([^/\s]+)/(\S+)", mail.outbox[-1].body).groups()


def reset_with(client, uid: str, token: str):
    body = {"uid": uid, "token": token, "newPassword1": NEW_PASSWORD, "newPassword2": NEW_PASSWORD}
    return client.post(RESET_CONFIRM, body, format="json")


def test_a_reset_link_dies_when_the_account_signs_in_through_the_api(client, user):
    # given a reset link mailed, then a sign-in in the app
    uid, token = reset_link(client, user)
    assert login(client, user.email, PASSWORD, remote_addr="203.0.113.1").status_code == 200

    # when someone uses the link
    response = reset_with(client, uid, token)

    # then it no longer works, and the password is the parent's
    assert_envelope(response, 404, "NOT_FOUND")
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.last_login is not None


def test_a_reset_link_dies_when_the_account_signs_in_on_the_web(client):
    staff = UserFactory(is_staff=True)
    uid, token = reset_link(client, staff)
    browser = Client()
    signed_in = browser.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert signed_in.status_code == 302

    assert_envelope(reset_with(client, uid, token), 404, "NOT_FOUND")


def test_a_reset_link_dies_when_the_account_signs_in_with_apple(client, apple_configured):
    # given a password account linked to an Apple ID, and a reset link mailed to it
    linked = UserFactory(apple_id="001234.apple-user.0042")
    uid, token = reset_link(client, linked)
    identity = apple_configured.identity_token(sub="001234.apple-user.0042", email=None)
    signed_in = client.post("/api/auth/apple", {"identityToken": identity}, format="json")
    assert signed_in.status_code == 200, signed_in.json()

    assert_envelope(reset_with(client, uid, token), 404, "NOT_FOUND")


def test_a_reset_link_without_a_later_login_still_works(client, user):
    uid, token = reset_link(client, user)

    assert reset_with(client, uid, token).status_code == 200


def test_reset_and_verification_links_opened_in_a_browser_are_not_logged(client, user, log_lines):
    uid, token = reset_link(client, user)
    browser = Client()

    opened = browser.get(f"/auth/reset-password/{uid}/{token}")
    browser.get("/auth/verify-email/some-secret-key-123")  # an unknown key: a 400 page

    written = log_lines()
    assert opened.status_code == 200
    assert "request_finished" in written and "/auth/reset-password/[scrubbed]" in written
    assert token not in written
    assert "some-secret-key-123" not in written
    assert "/auth/verify-email/[scrubbed]" in written


def test_sentry_never_receives_a_reset_links_secret():
    event = {
        "request": {"url": "https://api.example.com/auth/reset-password/abc/secret-token-1"},
        "transaction": "/auth/verify-email/secret-key-2",
        "breadcrumbs": {"values": [{"message": "GET /auth/reset-password/abc/secret-token-3"}]},
        "exception": {"values": [{"value": "boom at /auth/verify-email/secret-key-4"}]},
    }

    scrubbed = str(sentry_scrub(event))

    assert not re.search(r"secret-(token|key)-\d", scrubbed)
    assert scrubbed.count("[scrubbed]") == 4
