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
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "AI_PROVIDER": "openai",
    "OPENAI_API_KEY": "sk-test",
}
# Variables production reads that the machine's environment must not leak into these boots.
READ = {
    *BASE,
    "AI_PROVIDER_CHAIN",
    "WEB_TIMEOUT",
    "AI_REQUEST_TIMEOUT",
    "AI_MAX_RETRIES",
    "ADMIN_2FA",
    "ADMIN_LOCKOUT",
    "RATE_LIMITS",
}


def boot(code: str = "", **overrides: str | None) -> subprocess.CompletedProcess:
    """Boot production settings with BASE changed by `overrides` (None: the variable is unset),
    then run `code`."""
    env = {key: value for key, value in os.environ.items() if key not in READ}
    env |= {key: value for key, value in (BASE | overrides).items() if value is not None}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_boots_with_its_required_settings():
    assert boot().returncode == 0


def test_admin_lockout_and_two_factors_are_on_by_default_in_production():
    code = "from django.conf import settings; print(settings.ADMIN_2FA, settings.AXES_ENABLED)"

    result = boot(code)

    assert (result.returncode, result.stdout.strip()) == (0, "True True")


def test_production_may_choose_the_offline_provider_on_purpose():
    assert boot(AI_PROVIDER="local", OPENAI_API_KEY=None).returncode == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY is required"),
        ({"AI_PROVIDER_CHAIN": "openai,local"}, "may not fall back to 'local'"),
        ({"ACCOUNT_EMAIL_VERIFICATION": "mandatroy"}, "ACCOUNT_EMAIL_VERIFICATION must be"),
        ({"AI_PROVIDER": "gpt"}, "AI_PROVIDER must be"),
        ({"AI_TTS_PROVIDER_CHAIN": "elevenlabs,local"}, "may not fall back to 'local'"),
        ({"AI_TTS_PROVIDER_CHAIN": "elevenlabs,azure"}, "names openai, elevenlabs, polly or local"),
        ({"AI_OPENAI_TTS_SHUTDOWN": "6 Jan 2027"}, "Invalid isoformat string"),
        ({"REDIS_URL": None}, "REDIS_URL is required when DJANGO_DEBUG is off"),
        ({"REDIS_URL": ""}, "REDIS_URL is required when DJANGO_DEBUG is off"),
        ({"AI_PROVIDER": None}, "AI_PROVIDER is required when DJANGO_DEBUG is off"),
        ({"OPENAI_API_KEY": None}, "OPENAI_API_KEY is required when AI_PROVIDER is 'openai'"),
        ({"RATE_LIMITS": "login=50/h,logins=50/h"}, "RATE_LIMITS names an unknown limit: 'logins'"),
        ({"RATE_LIMITS": "login=lots"}, "RATE_LIMITS has a bad rate for login: 'lots'"),
        (
            {"AI_REQUEST_TIMEOUT": "60", "AI_MAX_RETRIES": "2", "WEB_TIMEOUT": "180"},
            "must stay under WEB_TIMEOUT",
        ),
    ],
)
def test_misconfigured_production_refuses_to_boot(overrides, message):
    result = boot(**overrides)

    assert result.returncode != 0
    assert message in result.stderr
