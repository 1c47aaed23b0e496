from django.utils.translation import gettext as _
from rest_framework import serializers

from infinitestories.api.fields import StrictCharField, StrictIntegerField

from .models import ALLOWED_TYPES, MAX_SIZE, MB, FileUpload


class UploadInputSerializer(serializers.Serializer):
    file_name = StrictCharField(max_length=255)
    mime_type = StrictCharField(max_length=100)
    file_size = StrictIntegerField(min_value=1)
    category = serializers.ChoiceField(choices=FileUpload.Category.choices)

    @staticmethod
    def schema_rules() -> dict:
        """Each category with its own types and size (PRD 6.7)."""
        return {
            "anyOf": [
                {
                    "properties": {
                        "category": {"enum": [category]},
                        "mime_type": {"enum": sorted(ALLOWED_TYPES[category])},
                        "file_size": {"maximum": MAX_SIZE[category]},
                    }
                }
                for category in sorted(ALLOWED_TYPES)
            ]
        }

    def validate(self, attrs):
        category = attrs["category"]
        allowed = ALLOWED_TYPES[category]
        if attrs["mime_type"] not in allowed:
            raise serializers.ValidationError(
                {
                    "mime_type": _("Allowed for %(category)s: %(types)s.")
                    % {"category": category, "types": ", ".join(sorted(allowed))}
                }
            )
        if attrs["file_size"] > MAX_SIZE[category]:
            raise serializers.ValidationError(
                {
                    "file_size": _("At most %(size)d MB for %(category)s.")
                    % {"size": MAX_SIZE[category] // MB, "category": category}
                }
            )
        return attrs


class UploadOutputSerializer(serializers.Serializer):
    upload_url = serializers.CharField()
    storage_key = serializers.CharField()
    public_url = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField()


class FileUploadOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = FileUpload
        fields = [
            "id",
            "file_name",
            "file_size",
            "mime_type",
            "storage_key",
            "category",
            "entity_id",
            "is_public",
            "expires_at",
            "created_at",
        ]
