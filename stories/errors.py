"""Machine codes the stories endpoints answer with (README lists them)."""

from infinitestories.api.errors import ApplicationError

AUDIO_NOT_GENERATED = "AUDIO_NOT_GENERATED"


def audio_not_generated() -> ApplicationError:
    return ApplicationError(
        AUDIO_NOT_GENERATED,
        "This story has no narration of its current text yet.",
        status=404,
    )
