"""The Sign in with Apple settings (infinitestories/settings.py): production refuses to boot with
half of the credentials, and the private key may come as one env line."""

import os
import subprocess
import sys

import jwt

from tests.fakes.apple_server import CLIENT_ID, KEY_ID, TEAM_ID, ec_key, pem


def _boot(**apple_env: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("APPLE_") and key != "DJANGO_DEBUG"
    }
    env |= {"DJANGO_SETTINGS_MODULE": "infinitestories.settings_test", **apple_env}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_boot_with_some_but_not_all_apple_settings():
    half = _boot(APPLE_CLIENT_IDS=CLIENT_ID, APPLE_TEAM_ID=TEAM_ID)

    assert half.returncode != 0
    assert "ImproperlyConfigured" in half.stderr
    assert "Missing: APPLE_KEY_ID, APPLE_PRIVATE_KEY" in half.stderr


def test_production_boots_with_none_or_all_apple_settings():
    full = {
        "APPLE_CLIENT_IDS": CLIENT_ID,
        "APPLE_TEAM_ID": TEAM_ID,
        "APPLE_KEY_ID": KEY_ID,
        "APPLE_PRIVATE_KEY": pem(ec_key("client-secret")).replace("\n", "\\n"),
    }

    assert _boot().returncode == 0
    booted = _boot(**full)
    assert booted.returncode == 0, booted.stderr[-2000:]


def test_a_private_key_with_escaped_newlines_signs():
    """APPLE_PRIVATE_KEY arrives from one env line with "\\n" escapes: settings turn them back."""
    script = (
        "import django; django.setup();"
        "from accounts import apple;"
        "print(apple.client_secret(client_id='app.infinitestories.ios'))"
    )
    key = ec_key("client-secret")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("APPLE_")},
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings_test",
        "APPLE_CLIENT_IDS": CLIENT_ID,
        "APPLE_TEAM_ID": TEAM_ID,
        "APPLE_KEY_ID": KEY_ID,
        "APPLE_PRIVATE_KEY": pem(key).replace("\n", "\\n"),
    }

    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )

    assert out.returncode == 0, out.stderr[-2000:]
    secret = out.stdout.strip().splitlines()[-1]
    assert (
        jwt.decode(
            secret, key.public_key(), algorithms=["ES256"], audience="https://appleid.apple.com"
        )["sub"]
        == CLIENT_ID
    )
