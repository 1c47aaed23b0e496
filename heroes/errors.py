"""What the heroes endpoints answer with, in the language of the request."""

from django.utils.translation import gettext_lazy

HERO_NOT_FOUND = gettext_lazy("Hero not found.")
