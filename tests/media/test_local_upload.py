"""PUT /api/files/upload/<token> (local storage stand-in for a presigned S3 PUT)."""

import json

from django.core.files.storage import default_storage

from tests.helpers import assert_envelope


def test_negative_content_length_is_refused_and_nothing_is_stored(auth_client, client):
    body = {"fileName": "a.png", "mimeType": "image/png", "fileSize": 100, "category": "avatar"}
    answer = auth_client.post(
        "/api/files/upload", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 200
    path = "/" + answer.json()["uploadUrl"].split("://", 1)[1].split("/", 1)[1]

    response = client.put(path, b"x" * 10, content_type="image/png", CONTENT_LENGTH="-5")

    # Today: 200 and an empty object is stored under the key.
    assert response.status_code in (400, 411), response.content[:300]
    assert_envelope(response, response.status_code, "VALIDATION_ERROR")
    assert not default_storage.exists(answer.json()["storageKey"])
