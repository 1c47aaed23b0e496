"""Messages the devices endpoints answer with, in the language of the request."""

from django.utils.translation import gettext_lazy

DEVICE_NOT_FOUND = gettext_lazy("Device not found.")
DEVICE_TOKEN_INVALID = gettext_lazy(
    "Send the APNs device token in hexadecimal: 64 to 200 characters, an even number."
)
