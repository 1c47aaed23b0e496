"""Machine codes the stories endpoints answer with (README lists them)."""

from infinitestories.api.errors import ApplicationError

AUDIO_NOT_GENERATED = "AUDIO_NOT_GENERATED"


def audio_not_generated() -> ApplicationError:
    """409: the story is there, its narration is not yet (a state to wait for, not a 404)."""
    return ApplicationError(
        AUDIO_NOT_GENERATED,
        "This story has no narration of its current text yet.",
        status=409,
    )
