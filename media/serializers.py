from rest_framework import serializers

from .models import FileUpload

MB = 1024 * 1024

# What each category accepts: MIME type -> file extension of the stored object.
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
AUDIO_TYPES = {"audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/wav": "wav"}
ALLOWED_TYPES: dict[str, dict[str, str]] = {
    FileUpload.Category.AVATAR: IMAGE_TYPES,
    FileUpload.Category.ILLUSTRATION: IMAGE_TYPES,
    FileUpload.Category.PICTOGRAM: IMAGE_TYPES,
    FileUpload.Category.AUDIO: AUDIO_TYPES,
}
MAX_SIZE: dict[str, int] = {
    FileUpload.Category.AVATAR: 10 * MB,
    FileUpload.Category.ILLUSTRATION: 10 * MB,
    FileUpload.Category.PICTOGRAM: 10 * MB,
    FileUpload.Category.AUDIO: 50 * MB,
}


class UploadInputSerializer(serializers.Serializer):
    file_name = serializers.CharField(max_length=255)
    mime_type = serializers.CharField(max_length=100)
    file_size = serializers.IntegerField(min_value=1)
    category = serializers.ChoiceField(choices=FileUpload.Category.choices)

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("fileSize", data.get("file_size")), bool):
            raise serializers.ValidationError({"file_size": "A whole number is required."})
        return super().to_internal_value(data)

    def validate(self, attrs):
        category = attrs["category"]
        allowed = ALLOWED_TYPES[category]
        if attrs["mime_type"] not in allowed:
            raise serializers.ValidationError(
                {"mime_type": f"Allowed for {category}: {', '.join(sorted(allowed))}."}
            )
        if attrs["file_size"] > MAX_SIZE[category]:
            raise serializers.ValidationError(
                {"file_size": f"At most {MAX_SIZE[category] // MB} MB for {category}."}
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
