"""The admin under abuse: sign-ins locked out per account and per address (django-axes), two
factors for staff (django-otp, TOTP), and a password set by staff signs the account out."""

import pytest
from django.contrib.admin.utils import quote
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from tests.accounts.factories import PASSWORD, UserFactory

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, is_superuser=True)


def sign_in(browser: Client, email: str, password: str, address: str = "192.0.2.1", **extra):
    data = {"username": email, "password": password, **extra}
    return browser.post(LOGIN, data, REMOTE_ADDR=address)


def signed_in(browser: Client) -> bool:
    return browser.get("/admin/").status_code == 200


def test_five_failures_for_one_account_lock_it_out_whatever_the_address(staff):
    browser = Client()
    statuses = [
        sign_in(browser, staff.email, "Wrong1234", f"198.51.100.{n}").status_code for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks the account

    response = sign_in(browser, staff.email.upper(), PASSWORD, "203.0.113.9")

    assert response.status_code == 429
    assert not signed_in(browser)


def test_five_failures_from_one_address_lock_it_out(staff):
    browser = Client()
    for n in range(5):
        sign_in(browser, f"guess{n}@example.com", "Wrong1234", "198.51.100.77")

    response = sign_in(browser, staff.email, PASSWORD, "198.51.100.77")

    assert response.status_code == 429
    assert not signed_in(browser)


def test_an_admin_lockout_never_locks_a_family_out_of_the_app(client, staff):
    for _ in range(6):
        sign_in(Client(), staff.email, "Wrong1234")

    response = client.post(
        "/api/auth/login", {"email": staff.email, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200


def totp_token(device: TOTPDevice) -> str:
    return (
        f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    )


def test_staff_need_a_code_from_their_authenticator_app(staff, settings):
    # given the production default: two factors for the admin
    settings.ADMIN_2FA = True
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    browser = Client()

    # a password alone does not open the admin
    sign_in(browser, staff.email, PASSWORD)
    assert not signed_in(browser)

    # with the code of the moment it does
    response = sign_in(
        browser,
        staff.email,
        PASSWORD,
        otp_device=device.persistent_id,
        otp_token=totp_token(device),
    )
    assert response.status_code == 302
    assert signed_in(browser)


def test_a_session_without_the_second_factor_is_not_staff(staff, settings):
    settings.ADMIN_2FA = True
    browser = Client()
    browser.force_login(staff)

    assert browser.get("/admin/").status_code == 302


def test_a_password_set_by_staff_signs_the_account_out_of_every_device(staff):
    family = UserFactory()
    for device in ("iPhone", "iPad"):
        services.session_create(user=family, ip_address=None, user_agent=device)
    browser = Client()
    browser.force_login(staff)

    response = browser.post(
        # Django's UserAdmin names this route after auth.User whatever the user model
        reverse("admin:auth_user_password_change", args=[quote(family.pk)]),
        {"password1": "BrandNew123!", "password2": "BrandNew123!"},
    )

    assert response.status_code == 302
    family.refresh_from_db()
    assert family.check_password("BrandNew123!")
    assert family.bearer_sessions.filter(revoked_at__isnull=True).count() == 0
    assert family.bearer_sessions.count() == 2


def test_an_operator_registers_an_authenticator_app_for_staff(staff):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("totp_device_add", staff.email.upper(), stdout=out)

    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed
    assert out.getvalue().strip() == device.config_url
    assert device.config_url.startswith("otpauth://totp/InfiniteStories")
