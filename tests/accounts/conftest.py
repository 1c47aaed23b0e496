"""Fake OpenAI fixtures for the account tests (consent gates every AI call), and the fake Apple
server for Sign in with Apple."""

from tests.fakes.fixtures import (  # noqa: F401
    apple_configured,
    fake_apple,
    fake_openai,
    openai_provider,
    openai_speech_alive,
)
