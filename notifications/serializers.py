from django.core.validators import RegexValidator
from rest_framework import serializers

from infinitestories.api.fields import StrictCharField

from .errors import DEVICE_TOKEN_INVALID
from .models import Device

# APNs device tokens are 32 bytes today (64 hex digits); Apple says they may grow.
HEX_PAIRS = r"^(?:[0-9a-fA-F]{2}){32,100}$"


class DeviceInputSerializer(serializers.Serializer):
    token = StrictCharField(
        min_length=64,
        max_length=200,
        validators=[RegexValidator(HEX_PAIRS, DEVICE_TOKEN_INVALID)],
        help_text="The APNs device token, in hexadecimal (64 to 200 digits).",
    )
    platform = serializers.ChoiceField(choices=Device.Platform.choices)
    environment = serializers.ChoiceField(
        choices=Device.Environment.choices,
        default=Device.Environment.PRODUCTION,
        help_text="`sandbox` for a development build (Xcode), else `production`.",
    )
    locale = StrictCharField(
        max_length=35,
        required=False,
        allow_blank=True,
        default="",
        help_text="The phone's locale (for example fr-FR). Pushes speak the family's language.",
    )

    def validate_token(self, token: str) -> str:
        return token.lower()


class DeviceOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "platform", "environment", "created_at", "last_used_at"]


class DeviceExportSerializer(serializers.ModelSerializer):
    """A device in the account export (GET /api/user/export): all but the token."""

    class Meta:
        model = Device
        fields = [
            "id",
            "platform",
            "environment",
            "locale",
            "created_at",
            "last_used_at",
            "last_push_at",
            "last_push_result",
        ]


class DeviceEnvelopeSerializer(serializers.Serializer):
    device = DeviceOutputSerializer()


class DeviceListEnvelopeSerializer(serializers.Serializer):
    devices = DeviceOutputSerializer(many=True)
