"""`make smoke` (scripts/smoke_vendors.py) against the fake vendors: every configured model and
voice tried once with the real SDKs, shapes and usage units checked; a missing voice fails it;
without keys it skips every vendor and says so. CI never runs the script against real vendors."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.elevenlabs_server import FakeElevenLabs
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.polly_server import VOICES, FakePolly

ROOT = Path(__file__).resolve().parents[1]
WITHOUT_KEYS = ("OPENAI_API_KEY", "ELEVENLABS_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_PROFILE")


def smoke(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in WITHOUT_KEYS}
    return subprocess.run(
        [sys.executable, "scripts/smoke_vendors.py"],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_ENV_FILE": "",
            "DJANGO_SETTINGS_MODULE": "infinitestories.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def vendors():
    servers = [FakeOpenAI().start(), FakeElevenLabs().start(), FakePolly().start()]
    yield servers
    for server in servers:
        server.stop()


def keys_for(openai, elevenlabs, polly) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings",
        "AI_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": openai.base_url,
        "ELEVENLABS_API_KEY": "xi-test",
        "ELEVENLABS_BASE_URL": elevenlabs.base_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POLLY_ENDPOINT_URL": polly.base_url,
        "AI_MAX_RETRIES": "0",
    }


def test_with_every_key_each_model_and_voice_is_tried_once(vendors):
    openai, elevenlabs, polly = vendors

    run = smoke(**keys_for(openai, elevenlabs, polly))

    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert "OK   openai chat gpt-5.4: " in "\n".join(lines)
    assert any(line.startswith("OK   openai moderation omni-moderation-latest") for line in lines)
    assert any(line.startswith("OK   openai model list") for line in lines)
    assert (
        sum(line.startswith("OK   elevenlabs eleven_multilingual_v2 voice") for line in lines) == 7
    )
    assert sum(line.startswith("OK   polly neural") for line in lines) == 10
    assert len(elevenlabs.calls("/v1/text-to-speech/")) == 7
    # each Polly voice twice: the audio and its speech marks
    assert len(polly.calls("/v1/speech")) == 20


def test_a_voice_the_vendor_does_not_offer_fails_the_smoke(vendors):
    openai, elevenlabs, polly = vendors

    run = smoke(**keys_for(openai, elevenlabs, polly), POLLY_VOICES="it:man=Giorgio")

    assert run.returncode == 1
    (failed,) = [line for line in run.stdout.splitlines() if line.startswith("FAIL")]
    assert failed.startswith("FAIL polly neural it man (Giorgio)")
    assert "Giorgio" not in VOICES


def test_without_keys_every_vendor_is_skipped_and_says_so():
    run = smoke()

    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:3] == [
        "SKIP openai: OPENAI_API_KEY is not set",
        "SKIP elevenlabs: ELEVENLABS_API_KEY is not set",
        "SKIP polly: no AWS credentials (AWS_ACCESS_KEY_ID...)",
    ]
    assert "Nothing tried" in run.stdout
