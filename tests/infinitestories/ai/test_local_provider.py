import io

import pytest
from PIL import Image

from infinitestories.ai import chain, speech, story_text
from infinitestories.ai.audio_files import mp3_duration, mp3_join, silent_mp3
from infinitestories.ai.speech import NARRATION_SECONDS_PER_WORD as SECONDS_PER_WORD
from tests.heroes.factories import HeroFactory
from usage.models import UsageMetric


@pytest.mark.parametrize("language", ["en", "es", "fr", "de", "it"])
def test_local_story_is_multi_paragraph_in_each_language(language):
    hero = HeroFactory(name="Alice", traits=["brave", "curious"])
    ctx = chain.CallContext(operation="story_generation", user_id=hero.user_id)

    draft = story_text.story_write(ctx=ctx, hero=hero, language=language, event_type="bedtime")

    assert "Alice" in draft.title
    assert draft.content.count("\n\n") >= 4
    assert "Alice" in draft.content
    assert draft.prompt_version == "story/v1"
    again = story_text.story_write(ctx=ctx, hero=hero, language=language, event_type="bedtime")
    assert again.content == draft.content
    # one story call and one moderation call per story, each metered
    assert UsageMetric.objects.filter(operation="story_generation", success=True).count() == 2
    assert UsageMetric.objects.filter(operation="moderation").count() == 2


def test_silent_mp3_duration_is_exact_and_joins_add_up():
    one = silent_mp3(3.0)
    two = silent_mp3(4.5)
    assert mp3_duration(one) == pytest.approx(3.0, abs=0.03)
    assert mp3_duration(mp3_join([one, two])) == pytest.approx(7.5, abs=0.05)


def test_local_narration_length_follows_word_count():
    text = "The little star smiled. " * 100  # 400 words
    ctx = chain.CallContext(operation="audio_synthesis")

    narration = speech.narration_synthesize(ctx=ctx, text=text, voice="nova")

    assert narration.duration == pytest.approx(400 * SECONDS_PER_WORD, rel=0.02)


def test_local_pictures_are_real_pngs_that_differ_per_scene():
    provider = chain.get_provider("local")
    first = provider.draw(prompt="a garden").image
    second = provider.draw(prompt="a beach").image
    assert Image.open(io.BytesIO(first)).format == "PNG"
    assert first != second
