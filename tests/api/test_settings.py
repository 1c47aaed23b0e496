"""Production settings refuse to boot when misconfigured, with a message that says why."""

import os
import subprocess
import sys

import pytest

BASE = {
    "DJANGO_SETTINGS_MODULE": "infinitestories.settings",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 60,
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
}


def boot(**overrides) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in BASE}
    env |= BASE | overrides
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_boots_with_its_required_settings():
    assert boot().returncode == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY is required"),
        ({"AI_PROVIDER_CHAIN": "openai,local"}, "may not fall back to 'local'"),
        ({"ACCOUNT_EMAIL_VERIFICATION": "mandatroy"}, "ACCOUNT_EMAIL_VERIFICATION must be"),
        ({"AI_PROVIDER": "gpt"}, "AI_PROVIDER must be"),
        ({"AI_TTS_PROVIDER_CHAIN": "elevenlabs,local"}, "may not fall back to 'local'"),
        ({"AI_TTS_PROVIDER_CHAIN": "elevenlabs,azure"}, "names openai, elevenlabs or local"),
        ({"AI_OPENAI_TTS_SHUTDOWN": "6 Jan 2027"}, "Invalid isoformat string"),
    ],
)
def test_misconfigured_production_refuses_to_boot(overrides, message):
    result = boot(**overrides)

    assert result.returncode != 0
    assert message in result.stderr
