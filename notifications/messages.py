"""What a push says, in the family's language. Never the child's name, the story's title or its
text: a push crosses Apple's servers and shows on a locked screen. The app fetches the rest with
the ids the push carries."""

from django.utils.translation import gettext_lazy

# (kind, status) -> the alert.
ALERTS = {
    ("story", "completed"): gettext_lazy("Your bedtime story is ready."),
    ("story", "failed"): gettext_lazy("Your bedtime story could not be written."),
    ("audio", "completed"): gettext_lazy("The narration is ready."),
    ("audio", "failed"): gettext_lazy("The narration could not be made."),
    ("illustrations", "completed"): gettext_lazy("The pictures are ready."),
    ("illustrations", "failed"): gettext_lazy("The pictures could not be drawn."),
    ("avatar", "completed"): gettext_lazy("Your hero's portrait is ready."),
}
