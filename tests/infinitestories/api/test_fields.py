"""README: a field "of the wrong type" is 400 (infinitestories.api.fields: "never silently
coerced"). A few fields still use DRF's lenient ones."""

import pytest

from media.models import FileUpload
from stories.models import GenerationJob
from tests.helpers import assert_envelope, post_json
from tests.stories.factories import StoryFactory


@pytest.mark.parametrize(
    "body", [{"count": 1, "sceneTimestamps": [True]}, {"count": 1, "sceneTimestamps": ["1.5"]}]
)
def test_illustration_request_rejects_wrong_json_types(auth_client, user, body):
    story = StoryFactory(user=user)

    response = post_json(auth_client, f"/api/stories/{story.pk}/illustrations", body)

    assert_envelope(response, 400, "VALIDATION_ERROR")
    assert not GenerationJob.objects.exists()


def test_upload_file_name_must_be_a_string(auth_client):
    body = {"fileName": 12345, "mimeType": "image/png", "fileSize": 10, "category": "avatar"}

    response = post_json(auth_client, "/api/files/upload", body)

    assert_envelope(response, 400, "VALIDATION_ERROR")
    assert not FileUpload.objects.exists()
