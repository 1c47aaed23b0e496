"""Apple's side (accounts.apple): the client secret Apple checks, refresh tokens encrypted at
rest with keys from the settings, and the boot refusing half a configuration."""

import os
import subprocess
import sys
import time

import jwt
import pytest
from cryptography.fernet import Fernet

from accounts import apple
from tests.fakes.apple_server import CLIENT_ID, KEY_ID, TEAM_ID, ec_key, pem


def test_client_secret_is_a_short_lived_es256_jwt_for_apple(settings):
    key = ec_key("client-secret")
    settings.APPLE_TEAM_ID, settings.APPLE_KEY_ID = TEAM_ID, KEY_ID
    settings.APPLE_PRIVATE_KEY = pem(key)

    secret = apple.client_secret(client_id=CLIENT_ID)

    header = jwt.get_unverified_header(secret)
    claims = jwt.decode(
        secret, key.public_key(), algorithms=["ES256"], audience="https://appleid.apple.com"
    )
    assert (header["alg"], header["kid"]) == ("ES256", KEY_ID)
    assert (claims["iss"], claims["sub"]) == (TEAM_ID, CLIENT_ID)
    assert claims["iat"] <= time.time() < claims["exp"] <= claims["iat"] + 600


def test_an_unreadable_private_key_is_apple_unavailable_and_never_logged(settings, caplog):
    settings.APPLE_TEAM_ID, settings.APPLE_KEY_ID = TEAM_ID, KEY_ID
    settings.APPLE_PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nsecret-garbage\n-----END..."

    with pytest.raises(apple.AppleUnavailable):
        apple.client_secret(client_id=CLIENT_ID)

    assert "APPLE_PRIVATE_KEY" in caplog.text
    assert "secret-garbage" not in caplog.text


def test_refresh_tokens_are_encrypted_with_the_configured_key_and_survive_rotation(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.APPLE_TOKEN_KEYS = [old]
    encrypted = apple.token_encrypt("r-refresh-token")

    assert "r-refresh-token" not in encrypted
    assert Fernet(old.encode()).decrypt(encrypted.encode()) == b"r-refresh-token"

    # a new key first: old tokens still read, new ones written with the new key
    settings.APPLE_TOKEN_KEYS = [new, old]
    assert apple.token_decrypt(encrypted) == "r-refresh-token"
    assert Fernet(new.encode()).decrypt(apple.token_encrypt("x").encode()) == b"x"

    # the old key dropped: what only it could read is unreadable, and says so
    settings.APPLE_TOKEN_KEYS = [new]
    assert apple.token_decrypt(encrypted) is None


def test_without_token_keys_the_key_derives_from_the_secret_key_and_its_fallbacks(settings):
    settings.APPLE_TOKEN_KEYS = []
    settings.SECRET_KEY = "first-secret-key-for-tests"
    settings.SECRET_KEY_FALLBACKS = []
    encrypted = apple.token_encrypt("r-refresh-token")

    settings.SECRET_KEY = "second-secret-key-for-tests"
    assert apple.token_decrypt(encrypted) is None
    settings.SECRET_KEY_FALLBACKS = ["first-secret-key-for-tests"]
    assert apple.token_decrypt(encrypted) == "r-refresh-token"


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


def test_a_private_key_with_escaped_newlines_signs(settings):
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
