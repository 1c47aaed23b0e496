"""Apple's side (accounts.apple): the client secret Apple checks, and refresh tokens encrypted at
rest with keys from the settings."""

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
