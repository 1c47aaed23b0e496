"""`make smoke`: one minimal real call per configured AI vendor and model, with the keys in the
environment, so staff can check the voices, shapes and usage units before they matter (the
narration vendors before OpenAI's speech models shut down on 2027-01-06). Never run in CI: it
spends a few cents and needs real keys.

Per vendor, skipped (and saying so) without its credentials:
- OpenAI (OPENAI_API_KEY): a tiny chat on AI_STORY_MODEL and AI_SMALL_MODEL (usage in tokens),
  one moderation (AI_MODERATION_MODEL), the model list (each configured model listed, its
  shutdown date shown), and a 20-word narration on AI_TTS_MODEL while it still answers.
- ElevenLabs (ELEVENLABS_API_KEY): a 20-word narration in every voice of the voice table (the
  voice ids exist; an MP3; word timings for every word; usage = the characters sent).
- Amazon Polly (AWS credentials): a 20-word narration in each language's two voices (an MP3;
  word timings from speech marks for every word; usage = twice the characters).
Pictures are not drawn unless SMOKE_IMAGES=true (about $0.01 each).
Exit status 1 when any call fails or answers in a shape the app cannot use. No database needed.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = (
    os.environ.get("DJANGO_SETTINGS_MODULE") or "infinitestories.settings"
)
# Development mode: production secrets are not needed to call the vendors.
os.environ.setdefault("DJANGO_DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from infinitestories.ai import chain, timings  # noqa: E402
from infinitestories.ai.audio_files import mp3_duration  # noqa: E402

# 20 words in each language: what a narration of a story sounds like, cheaply.
SAMPLES = {
    "en": "Once upon a time, a small fox looked at the moon and whispered good night to every "
    "sleepy star.",
    "es": "Había una vez un pequeño zorro que miró la luna y susurró buenas noches a cada "
    "estrella dormida del cielo.",
    "fr": "Il était une fois un petit renard qui regarda la lune et murmura bonne nuit à chaque "
    "étoile endormie du ciel.",
    "de": "Es war einmal ein kleiner Fuchs, der den Mond ansah und jedem müden Stern am Himmel "
    "leise gute Nacht flüsterte.",
    "it": "C'era una volta una piccola volpe che guardò la luna e sussurrò buona notte a ogni "
    "stella addormentata nel cielo.",
}

results: list[tuple[str, str]] = []


def report(status: str, what: str) -> None:
    results.append((status, what))
    print(f"{status:4} {what}", flush=True)


def check(what: str, test) -> None:
    try:
        detail = test()
    except Exception as exc:  # every failure is reported, the others still tried
        report("FAIL", f"{what}: {type(exc).__name__}: {exc}")
    else:
        report("OK", f"{what}{': ' + detail if detail else ''}")


def narration_checked(provider, *, text: str, voice: str, billed_per_character: int, **more):
    def test() -> str:
        result = provider.speak(text=text, voice=voice, **more)
        duration = mp3_duration(result.audio)
        assert duration > 1.0, f"audio of {duration:.2f} s"
        assert result.usage.unit == "characters", result.usage.unit
        expected = len(text) * billed_per_character
        assert result.usage.input_units == expected, f"{result.usage.input_units} != {expected}"
        spoken = [s.text for s in timings.spoken_words(text)]
        if provider.speech_timings == timings.VENDOR:
            assert result.words is not None, "no word timings"
            assert [w.text for w in result.words] == spoken, "timings do not match the words"
        return f"{duration:.1f} s, {result.usage.input_units} characters billed"

    return test


def smoke_openai() -> None:
    if not settings.OPENAI_API_KEY:
        report("SKIP", "openai: OPENAI_API_KEY is not set")
        return
    provider = chain.get_provider("openai")
    client = provider.client

    def chat(model: str):
        def test() -> str:
            answer = client.chat.completions.create(
                model=model,
                messages=[{"role": "user", "content": "Say the word moon."}],
                max_completion_tokens=200,
            )
            assert answer.choices and answer.choices[0].message is not None
            assert answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0
            return f"{answer.usage.prompt_tokens} + {answer.usage.completion_tokens} tokens"

        return test

    for model in dict.fromkeys([settings.AI_STORY_MODEL, settings.AI_SMALL_MODEL]):
        check(f"openai chat {model}", chat(model))

    def moderation() -> str:
        answer = client.moderations.create(model=settings.AI_MODERATION_MODEL, input="A kind fox.")
        assert answer.results and answer.results[0].flagged is False
        return "not flagged"

    check(f"openai moderation {settings.AI_MODERATION_MODEL}", moderation)

    def listed() -> str:
        models = {m.id: getattr(m, "shutdown_date", None) for m in client.models.list()}
        wanted = [
            settings.AI_STORY_MODEL,
            settings.AI_SMALL_MODEL,
            settings.AI_IMAGE_MODEL,
            settings.AI_MODERATION_MODEL,
            settings.AI_TRANSCRIPTION_MODEL,
            settings.AI_TTS_MODEL,
        ]
        missing = [m for m in wanted if m not in models]
        assert not missing, f"not listed: {', '.join(missing)}"
        dated = [f"{m} shuts down {models[m]}" for m in wanted if models[m]]
        return "; ".join(dated) or "all listed, no shutdown dates"

    check("openai model list", listed)
    if timezone.now().date() < settings.AI_OPENAI_TTS_SHUTDOWN:
        check(
            f"openai speech {settings.AI_TTS_MODEL} voice {settings.AI_DEFAULT_VOICE}",
            narration_checked(
                provider,
                text=SAMPLES["en"],
                voice=settings.AI_DEFAULT_VOICE,
                billed_per_character=1,
            ),
        )
    else:
        report("SKIP", "openai speech: past AI_OPENAI_TTS_SHUTDOWN")
    if os.environ.get("SMOKE_IMAGES", "").lower() == "true":
        check(
            f"openai picture {settings.AI_IMAGE_MODEL}",
            lambda: (
                f"{len(provider.draw(prompt='A small fox under the moon.', quality='low').image)} bytes"
            ),
        )
    else:
        report("SKIP", "openai pictures: SMOKE_IMAGES is not true")


def smoke_elevenlabs() -> None:
    if not settings.ELEVENLABS_API_KEY:
        report("SKIP", "elevenlabs: ELEVENLABS_API_KEY is not set")
        return
    provider = chain.get_provider("elevenlabs")
    for name, voice_id in settings.AI_TTS_VOICES["elevenlabs"].items():
        check(
            f"elevenlabs {settings.ELEVENLABS_TTS_MODEL} voice {name} ({voice_id})",
            narration_checked(provider, text=SAMPLES["en"], voice=name, billed_per_character=1),
        )


def smoke_polly() -> None:
    import boto3

    if boto3.Session().get_credentials() is None:
        report("SKIP", "polly: no AWS credentials (AWS_ACCESS_KEY_ID...)")
        return
    provider = chain.get_provider("polly")
    names = {kind: name for name, kind in settings.AI_TTS_VOICES["polly"].items()}
    for language, voices in settings.POLLY_VOICES.items():
        for kind, voice_id in voices.items():
            check(
                f"polly {settings.POLLY_ENGINE} {language} {kind} ({voice_id})",
                narration_checked(
                    provider,
                    text=SAMPLES[language],
                    voice=names[kind],
                    language=language,
                    billed_per_character=2,
                ),
            )


def main() -> int:
    smoke_openai()
    smoke_elevenlabs()
    smoke_polly()
    failed = [what for status, what in results if status == "FAIL"]
    tried = [what for status, what in results if status == "OK"]
    if not tried and not failed:
        print("Nothing tried: no vendor key in the environment.")
    print(
        f"{len(tried)} passed, {len(failed)} failed, "
        f"{sum(1 for s, _ in results if s == 'SKIP')} skipped"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
