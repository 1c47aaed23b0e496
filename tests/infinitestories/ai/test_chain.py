"""The provider chain: cool-downs per vendor and capability, typed dispatch, and providers asked
only for what they can do. Real SDKs against the fake vendors on loopback."""

import ast
from pathlib import Path

import pytest

from infinitestories.ai import chain, images, moderation, speech
from infinitestories.ai.base import Capability, Provider, TranscriptionRequest
from infinitestories.ai.errors import PermanentProviderError, TransientProviderError
from tests.helpers import free_port
from usage.models import UsageMetric

AI = Path(chain.__file__).parent
TEXT = "The little fox found a lantern. It glowed softly all night long. " * 6


@pytest.fixture
def openai_then_elevenlabs(openai_provider, elevenlabs_provider, settings):
    """Everything at OpenAI; narration by OpenAI, then ElevenLabs (the dearer vendor)."""
    settings.AI_TTS_PROVIDER_CHAIN = ["openai", "elevenlabs"]
    chain._provider.cache_clear()
    return openai_provider, elevenlabs_provider


def draw_a_picture():
    return images.illustration_draw(
        ctx=chain.CallContext(operation="image_generation", user_id="u1"),
        profile="A child with red hair",
        scene="Mia reads under a tree",
        hero_name="Mia",
        reference=None,
        pending=[],
    )


def narrate():
    ctx = chain.CallContext(operation="audio_synthesis", story_id="s1")
    return speech.narration_synthesize(ctx=ctx, text=TEXT, voice="nova")


def test_a_pictures_500_does_not_move_narration_off_openai(openai_then_elevenlabs):
    openai, elevenlabs = openai_then_elevenlabs
    # given a picture that failed at OpenAI with a 500
    openai.fail("/v1/images", times=1, status=500)
    with pytest.raises(TransientProviderError):
        draw_a_picture()

    # when a story is narrated right after
    narration = narrate()

    # then OpenAI narrates it; ElevenLabs (about 6.7 times dearer) is never asked
    assert narration.vendor == "openai"
    assert len(openai.calls("/v1/audio/speech")) == 1
    assert elevenlabs.calls("/v1/text-to-speech/") == []
    assert chain.is_cooling_down("openai", Capability.DRAW)
    assert not chain.is_cooling_down("openai", Capability.SPEAK)


def test_a_narrations_500_cools_down_only_openais_speech(openai_then_elevenlabs):
    openai, elevenlabs = openai_then_elevenlabs
    openai.fail("/v1/audio/speech", times=1, status=500)

    first = narrate()
    second = narrate()

    # the failed narration went to ElevenLabs, and so does the next one for the cool-down
    assert (first.vendor, second.vendor) == ("elevenlabs", "elevenlabs")
    assert len(openai.calls("/v1/audio/speech")) == 1
    assert len(elevenlabs.calls("/v1/text-to-speech/")) == 2
    # while pictures and moderation still go to OpenAI
    draw_a_picture()
    assert len(openai.calls("/v1/images")) == 1
    assert chain.is_cooling_down("openai", Capability.SPEAK)
    assert not chain.is_cooling_down("openai", Capability.DRAW)


def test_a_capability_no_provider_has_is_refused_without_a_vendor_call(elevenlabs_provider):
    # ElevenLabs narrates only: asked to transcribe, the chain sends nothing and bills nothing
    with pytest.raises(PermanentProviderError, match="transcribe"):
        chain.call(
            ctx=chain.CallContext(operation="audio_transcription"),
            request=TranscriptionRequest(audio=b"ID3"),
            providers=["elevenlabs"],
        )

    assert elevenlabs_provider.requests == []
    assert not UsageMetric.objects.exists()


def test_an_unreachable_vendor_is_skipped_for_that_capability_and_the_next_answers(settings):
    # given an OpenAI-compatible endpoint nobody listens on, and the offline voice next
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"
    settings.AI_TTS_PROVIDER_CHAIN = ["openai", "local"]
    settings.AI_MAX_RETRIES = 0
    chain._provider.cache_clear()

    narration = narrate()

    assert narration.vendor == "local"
    assert chain.is_cooling_down("openai", Capability.SPEAK)
    assert not chain.is_cooling_down("openai", Capability.DRAW)
    # the failed attempt is metered, at no cost: nothing answered, nothing billed
    failed = UsageMetric.objects.get(vendor="openai")
    assert (failed.success, failed.input_units, failed.cost) == (False, 0, 0)
    chain._provider.cache_clear()


@pytest.mark.parametrize("name", ["openai", "local", "elevenlabs"])
def test_every_provider_implements_the_interface(openai_provider, name, settings):
    settings.ELEVENLABS_API_KEY = "xi-test"
    provider = chain.get_provider(name)

    assert isinstance(provider, Provider)
    # every capability it claims is its own method, not the base's refusal
    for capability in provider.capabilities:
        method = {
            Capability.WRITE_STORY: "write_story",
            Capability.PICK_SCENES: "pick_scenes",
            Capability.DESCRIBE_HERO: "describe_hero",
            Capability.SPEAK: "speak",
            Capability.TRANSCRIBE: "transcribe",
            Capability.DRAW: "draw",
            Capability.MODERATE: "moderate",
            Capability.MODERATE_IMAGE: "moderate_image",
        }[capability]
        assert getattr(type(provider), method) is not getattr(Provider, method), (name, method)
        assert provider.model_for(capability)


def test_moderation_never_falls_back_to_the_offline_word_list(openai_provider, settings):
    settings.AI_PROVIDER_CHAIN = ["openai", "local"]
    openai_provider.fail("/v1/moderations", times=None, status=503)

    with pytest.raises(TransientProviderError):
        moderation.moderation_check(ctx=chain.CallContext(operation="moderation"), text="hello")


USE_CASES = {"story_text", "scenes", "visual_profile", "moderation", "speech", "images"}
PROVIDERS = {"openai_provider", "local_provider", "elevenlabs_provider"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = (node.module or "").rpartition(".")[2]
            names.add(module) if node.module else names.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name.rpartition(".")[2] for a in node.names)
    return names


def test_no_provider_imports_a_use_case_or_the_chain():
    for name in PROVIDERS:
        imported = _imports(AI / f"{name}.py")

        assert not imported & (USE_CASES | {"chain"}), (name, imported & (USE_CASES | {"chain"}))


def test_nothing_in_the_ai_layer_dispatches_by_a_method_name_in_a_string():
    # getattr with a name that is not a literal (getattr(provider, method)) is name dispatch
    for path in AI.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "getattr":
                name = node.args[1]
                assert isinstance(name, ast.Constant), f"{path.name}:{node.lineno}"
