"""The cost estimates (usage.selectors.cost_estimate) price what each AI use case says its calls
are expected to use (its `expected_units`), never the use case's private constants."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest

import usage
from infinitestories.ai import chain, images, scenes, story_text, visual_profile
from infinitestories.ai.base import Operation, Usage
from tests.fakes.fixtures import openai_speech_alive  # noqa: F401
from usage.models import Plan
from usage.selectors import cost_estimate, usage_cost

USE_CASES = {"story_text", "scenes", "visual_profile", "images", "speech", "moderation"}


@pytest.fixture
def plan():
    return Plan.objects.get(code="free")


def tokens_cost(model: str, expected: Usage) -> Decimal:
    return usage_cost(
        vendor="openai",
        model=model,
        unit="tokens",
        input_units=expected.input_units,
        output_units=expected.output_units,
    )


def test_a_story_is_estimated_at_what_story_writing_expects(plan, settings, monkeypatch):
    expected = story_text.expected_units()
    assert cost_estimate(operation=Operation.STORY_GENERATION, plan=plan) == tokens_cost(
        settings.AI_STORY_MODEL, expected
    )

    # a use case that expects more is estimated higher, with no change in usage/
    longer = Usage(unit="tokens", input_units=3_000, output_units=expected.output_units * 2)
    monkeypatch.setattr(story_text, "expected_units", lambda: longer)

    estimate = cost_estimate(operation=Operation.STORY_GENERATION, plan=plan)

    assert estimate == tokens_cost(settings.AI_STORY_MODEL, longer) > 0


def test_pictures_are_estimated_at_what_drawing_and_scene_picking_expect(plan, settings):
    # each picture once, and the redraws a job may make after moderation flags one
    settings.AI_IMAGE_REDRAWS = 2
    picture = images.expected_units(
        quality=plan.image_quality, size=plan.image_size, reference=True
    )
    picking = scenes.expected_units()

    estimate = cost_estimate(operation=Operation.IMAGE_GENERATION, plan=plan, units=3)

    assert estimate == (3 + 2) * tokens_cost(settings.AI_IMAGE_MODEL, picture) + tokens_cost(
        settings.AI_SMALL_MODEL, picking
    )


def test_an_avatar_is_estimated_at_its_pictures_and_a_visual_profile(plan, settings):
    picture = images.expected_units(
        quality=settings.AI_IMAGE_QUALITY, size=settings.AI_IMAGE_SIZE, reference=False
    )

    estimate = cost_estimate(operation=Operation.AVATAR_GENERATION, plan=plan)

    # the picture, and once more from gentler words if moderation flags it
    assert images.avatar_drawings() == 2
    assert estimate == 2 * tokens_cost(settings.AI_IMAGE_MODEL, picture) + tokens_cost(
        settings.AI_SMALL_MODEL, visual_profile.expected_units()
    )


def test_an_unknown_picture_size_is_expected_as_the_dearest_picture():
    dearest = images.expected_units(quality="ultra", size="8x8", reference=False)

    assert dearest.output_units == max(images.IMAGE_OUTPUT_TOKENS.values())


def test_usage_reads_no_constant_of_an_ai_use_case():
    # `story_text.WORD_COUNT` from usage/ would tie the estimate to a private detail
    found = []
    for path in Path(usage.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in USE_CASES
                and node.attr.isupper()
            ):
                found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").rpartition(".")[2] in (
                USE_CASES
            ):
                found += [
                    f"{path.name}:{node.lineno} {a.name}" for a in node.names if a.name.isupper()
                ]

    assert found == []


# --- Narration covers everything it may buy (issue 17 b, c) ---------------------------------------

CHARACTERS = 6_000


@pytest.fixture
def vendors(settings):
    settings.OPENAI_API_KEY = "sk-test"
    settings.ELEVENLABS_API_KEY = "xi-test"
    settings.AI_PROVIDER_CHAIN = ["openai"]
    chain._provider.cache_clear()
    yield settings
    chain._provider.cache_clear()


def narration_estimate() -> Decimal:
    return cost_estimate(operation="audio_synthesis", plan=Plan(), characters=CHARACTERS)


def speech_cost(vendor: str, model: str) -> Decimal:
    return usage_cost(
        vendor=vendor, model=model, unit="characters", input_units=CHARACTERS, output_units=0
    )


def test_narration_reserves_every_vendor_it_may_fall_over_to(vendors):
    # given OpenAI first and ElevenLabs (about 6.7 times dearer) as the fallback: OpenAI may
    # buy all but its last piece before it fails and ElevenLabs narrates the whole text
    vendors.AI_TTS_PROVIDER_CHAIN = ["openai", "elevenlabs"]

    estimate = narration_estimate()

    vendors.AI_TTS_PROVIDER_CHAIN = ["openai"]
    openai = narration_estimate()
    vendors.AI_TTS_PROVIDER_CHAIN = ["elevenlabs"]
    elevenlabs = narration_estimate()
    assert elevenlabs == speech_cost("elevenlabs", vendors.ELEVENLABS_TTS_MODEL)
    assert elevenlabs > openai >= speech_cost("openai", vendors.AI_TTS_MODEL) > 0
    assert estimate == openai + elevenlabs


@pytest.mark.usefixtures("openai_speech_alive")  # transcription exists until 2027-02-26
def test_narration_reserves_its_read_along_transcription(vendors):
    # given OpenAI's speech, whose word timings come from a transcription (priced per second)
    vendors.AI_TTS_PROVIDER_CHAIN = ["openai"]

    estimate = narration_estimate()

    speech = speech_cost("openai", vendors.AI_TTS_MODEL)
    seconds = -(-CHARACTERS // 12) + 2  # two pieces, each billed in whole seconds
    transcription = usage_cost(
        vendor="openai",
        model=vendors.AI_TRANSCRIPTION_MODEL,
        unit="seconds",
        input_units=seconds,
        output_units=0,
    )
    assert transcription > 0
    assert estimate == speech + transcription


def test_narration_without_transcription_reserves_the_speech_alone(vendors):
    vendors.AI_TTS_PROVIDER_CHAIN = ["openai"]
    vendors.AI_TTS_TRANSCRIBE = False

    assert narration_estimate() == speech_cost("openai", vendors.AI_TTS_MODEL)
