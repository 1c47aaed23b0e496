"""Fake OpenAI fixtures for the AI tests."""

from tests.fakes.fixtures import fake_openai, openai_provider  # noqa: F401
