"""Fixtures for tests that talk to the fake vendor servers (import them into a test module)."""

import pytest

from infinitestories.ai import chain

from . import apple_server
from .apple_server import FakeApple
from .elevenlabs_server import FakeElevenLabs
from .openai_server import FakeOpenAI
from .polly_server import FakePolly


@pytest.fixture
def fake_openai():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def openai_provider(fake_openai, settings, monkeypatch):
    """The app on AI_PROVIDER=openai, the real SDK pointed at the fake server, no SDK retries
    (so each failure is visible to the job machinery) and short timeouts. Amazon Polly, which
    the default narration chain names from 2027-01-06 (a suite run with TEST_TODAY after it),
    answers from a fake of its own (`fake_openai.polly`; the polly_provider fixture replaces it)."""
    polly = FakePolly().start()
    fake_openai.polly = polly
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings.POLLY_ENDPOINT_URL = settings.POLLY_ENDPOINT_URL or polly.base_url
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.AI_PROVIDER = "openai"
    settings.AI_PROVIDER_CHAIN = ["openai"]
    settings.AI_MAX_RETRIES = 0
    settings.AI_REQUEST_TIMEOUT = 10.0
    chain._provider.cache_clear()
    yield fake_openai
    chain._provider.cache_clear()
    polly.stop()


@pytest.fixture
def fake_elevenlabs():
    server = FakeElevenLabs().start()
    yield server
    server.stop()


@pytest.fixture
def elevenlabs_provider(fake_elevenlabs, settings):
    """Narration by ElevenLabs alone: the official SDK pointed at the fake server, no SDK
    retries, short timeouts."""
    settings.ELEVENLABS_API_KEY = "xi-test"
    settings.ELEVENLABS_BASE_URL = fake_elevenlabs.base_url
    settings.AI_TTS_PROVIDER_CHAIN = ["elevenlabs"]
    settings.AI_MAX_RETRIES = 0
    settings.AI_REQUEST_TIMEOUT = 10.0
    chain._provider.cache_clear()
    yield fake_elevenlabs
    chain._provider.cache_clear()


@pytest.fixture
def fake_apple():
    server = FakeApple().start()
    yield server
    server.stop()


@pytest.fixture
def fake_polly():
    server = FakePolly().start()
    yield server
    server.stop()


@pytest.fixture
def fake_apns(tmp_path):
    from .apns_server import FakeAPNs

    folder = tmp_path / "apns"
    folder.mkdir()
    server = FakeAPNs(folder).start()
    yield server
    server.stop()


@pytest.fixture
def apple_configured(fake_apple, settings):
    """Sign in with Apple on: the app's real client (httpx, PyJWT) pointed at the fake server,
    with a client-secret key the fake checks."""
    settings.APPLE_BASE_URL = fake_apple.base_url
    settings.APPLE_CLIENT_IDS = [apple_server.CLIENT_ID, "app.infinitestories.web"]
    settings.APPLE_TEAM_ID = apple_server.TEAM_ID
    settings.APPLE_KEY_ID = apple_server.KEY_ID
    settings.APPLE_PRIVATE_KEY = apple_server.pem(fake_apple.client_key)
    settings.APPLE_TIMEOUT = 5.0
    return fake_apple


APNS_KEY_ID = "KEY1234567"
APNS_TEAM_ID = "TEAM123456"
APNS_TOPIC = "app.infinitestories.ios"


def apns_key_pem() -> tuple[str, object]:
    """A fresh ES256 key as Apple's .p8 file holds it (PKCS#8 PEM), and its public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key.public_key()


@pytest.fixture
def apns(fake_apns, settings):
    """Pushes on, every host pointed at the fake APNs (trusted through APNS_CA_FILE), retries
    without waiting. Yields the server; `apns.public_key` checks the provider token."""
    from notifications import apns as client

    pem, public_key = apns_key_pem()
    settings.APNS_KEY_ID = APNS_KEY_ID
    settings.APNS_TEAM_ID = APNS_TEAM_ID
    settings.APNS_PRIVATE_KEY = pem
    settings.APNS_TOPIC = APNS_TOPIC
    settings.APNS_URL = fake_apns.base_url
    settings.APNS_SANDBOX_URL = fake_apns.base_url
    settings.APNS_CA_FILE = str(fake_apns.ca_file)
    settings.APNS_RETRY_WAIT = 0
    settings.APNS_TIMEOUT = 5.0
    fake_apns.public_key = public_key
    fake_apns.private_key_pem = pem
    client.clients_close()
    yield fake_apns
    client.clients_close()


@pytest.fixture
def polly_provider(fake_polly, settings, monkeypatch):
    """Narration by Amazon Polly alone: the real boto3 client pointed at the fake server (any
    credentials), no retries, short timeouts."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings.POLLY_ENDPOINT_URL = fake_polly.base_url
    settings.AI_TTS_PROVIDER_CHAIN = ["polly"]
    settings.AI_MAX_RETRIES = 0
    settings.AI_REQUEST_TIMEOUT = 10.0
    chain._provider.cache_clear()
    yield fake_polly
    chain._provider.cache_clear()


@pytest.fixture
def openai_speech_alive(settings):
    """OpenAI's speech and transcription models still answering (their shutdown days a year
    ahead of the test's clock): for tests of OpenAI's narration, whatever day the suite runs on
    (TEST_TODAY)."""
    from datetime import timedelta

    from django.utils import timezone

    later = timezone.now().date() + timedelta(days=365)
    settings.AI_OPENAI_TTS_SHUTDOWN = later
    settings.AI_OPENAI_TRANSCRIPTION_SHUTDOWN = later
