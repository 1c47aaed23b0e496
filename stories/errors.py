"""Machine codes the stories endpoints answer with (README lists them), and their messages in
the language of the request."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from infinitestories.api.errors import ApplicationError

AUDIO_NOT_GENERATED = "AUDIO_NOT_GENERATED"
SHARE_LIMIT_REACHED = "SHARE_LIMIT_REACHED"
# POST /api/import: the family's imported files would pass IMPORT_STORAGE_LIMIT_MB.
IMPORT_STORAGE_FULL = "IMPORT_STORAGE_FULL"

STORY_NOT_FOUND = gettext_lazy("Story not found.")
CUSTOM_EVENT_NOT_FOUND = gettext_lazy("Custom event not found.")
ILLUSTRATION_NOT_FOUND = gettext_lazy("Illustration not found.")
SHARE_NOT_FOUND = gettext_lazy("Share link not found.")
JOB_NOT_FOUND = gettext_lazy("Job not found.")


def audio_not_generated() -> ApplicationError:
    """404 with its own code, as the read-along contract says: the story is there, its narration
    of the current text is not (yet), and the code tells the app to wait rather than drop it."""
    return ApplicationError(
        AUDIO_NOT_GENERATED,
        _("This story has no narration of its current text yet."),
        status=404,
    )
