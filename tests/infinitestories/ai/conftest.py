"""Fake vendor fixtures for the AI tests."""

from tests.fakes.fixtures import (  # noqa: F401
    elevenlabs_provider,
    fake_elevenlabs,
    fake_openai,
    fake_polly,
    openai_provider,
    openai_speech_alive,
    polly_provider,
)
