"""Every model the settings can select, with what it does and how it is billed.

Why: vendors retire models with weeks of notice (OpenAI's speech models on 2027-01-06, its
transcription models on 2027-02-26) and prices drive ceilings, budgets and plans. The shutdown
watch (usage.services.model_watch), the price check (a test fails when one of these has no
price) and `make smoke` all read this one list, so a new setting is watched, priced and tried.
"""

from dataclasses import dataclass

from django.conf import settings

# What a model is billed in, by purpose: the units a Price row must exist for.
TOKENS = ("input_token", "output_token")


@dataclass(frozen=True)
class ConfiguredModel:
    vendor: str
    model: str
    purpose: str  # story, small, images, speech, transcription, moderation
    setting: str  # the setting that selects it
    price_units: tuple[str, ...]  # Price.unit values it is billed in (any one of them suffices)

    @property
    def key(self) -> tuple[str, str]:
        return (self.vendor, self.model)


def configured_models() -> list[ConfiguredModel]:
    """The models the current settings select, each vendor's (the offline provider has none),
    whether or not the chain reaches the vendor today: a fallback must be alive too."""
    return [
        ConfiguredModel("openai", settings.AI_STORY_MODEL, "story", "AI_STORY_MODEL", TOKENS),
        ConfiguredModel("openai", settings.AI_SMALL_MODEL, "small", "AI_SMALL_MODEL", TOKENS),
        ConfiguredModel(
            "openai", settings.AI_IMAGE_MODEL, "images", "AI_IMAGE_MODEL", ("output_token", "image")
        ),
        ConfiguredModel("openai", settings.AI_TTS_MODEL, "speech", "AI_TTS_MODEL", ("character",)),
        ConfiguredModel(
            "openai",
            settings.AI_TRANSCRIPTION_MODEL,
            "transcription",
            "AI_TRANSCRIPTION_MODEL",
            ("second",),
        ),
        ConfiguredModel(
            "openai",
            settings.AI_MODERATION_MODEL,
            "moderation",
            "AI_MODERATION_MODEL",
            ("character",),
        ),
        ConfiguredModel(
            "elevenlabs",
            settings.ELEVENLABS_TTS_MODEL,
            "speech",
            "ELEVENLABS_TTS_MODEL",
            ("character",),
        ),
        ConfiguredModel("polly", settings.POLLY_ENGINE, "speech", "POLLY_ENGINE", ("character",)),
    ]
