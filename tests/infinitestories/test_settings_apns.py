"""Production refuses a partial APNs configuration; none at all leaves pushes off."""

from tests.infinitestories.test_settings import boot

FULL = {
    "APNS_KEY_ID": "KEY1234567",
    "APNS_TEAM_ID": "TEAM123456",
    "APNS_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\\nMIG...\\n-----END PRIVATE KEY-----",
    "APNS_TOPIC": "app.infinitestories.ios",
}
CONFIGURED = "from notifications.apns import configured; print(configured())"


def test_production_boots_with_pushes_off_without_apns_settings():
    result = boot(CONFIGURED, **dict.fromkeys(FULL))

    assert (result.returncode, result.stdout.strip()) == (0, "False")


def test_production_boots_with_pushes_on_with_the_whole_apns_configuration():
    code = CONFIGURED + "; from django.conf import settings; print(repr(settings.APNS_PRIVATE_KEY))"

    result = boot(code, **FULL)

    assert result.returncode == 0, result.stderr
    on, key = result.stdout.strip().splitlines()
    assert on == "True"
    assert "\\n" in key and "\\\\n" not in key  # the one-line form is read with real newlines


def test_production_refuses_a_partial_apns_configuration():
    result = boot(**{**FULL, "APNS_TOPIC": None})

    assert result.returncode != 0
    assert "missing: APNS_TOPIC" in result.stderr


def test_a_provider_token_reused_outside_20_to_50_minutes_is_refused():
    result = boot(**FULL, APNS_TOKEN_TTL="3600")

    assert result.returncode != 0
    assert "APNS_TOKEN_TTL must be 1200 to 3000 seconds" in result.stderr
