"""Fake OpenAI fixtures for the account tests (consent gates every AI call)."""

from tests.fakes.fixtures import fake_openai, openai_provider, openai_speech_alive  # noqa: F401
