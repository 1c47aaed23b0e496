"""POST /api/files/upload (PRD 6.7) and the local signed upload endpoint."""

import re
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.utils import timezone

from media import selectors
from media.models import FileUpload
from media.services import UPLOAD_SIGNING_SALT

URL = "/api/files/upload"
REQUEST = {
    "fileName": "avatar.png",
    "mimeType": "image/png",
    "fileSize": 1024,
    "category": "avatar",
}


def test_upload_answers_signed_url_key_public_url_and_expiry(auth_client, user):
    # when
    response = auth_client.post(URL, REQUEST, format="json")

    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"uploadUrl", "storageKey", "publicUrl", "expiresAt"}
    assert re.match(r"^avatars/[0-9a-f]{32}\.png$", body["storageKey"])
    assert body["uploadUrl"].startswith("http://testserver/api/files/upload/")
    assert body["publicUrl"] == f"http://testserver/media/{body['storageKey']}"
    upload = FileUpload.objects.get()
    assert upload.user == user
    assert (upload.file_name, upload.file_size, upload.mime_type, upload.category) == (
        "avatar.png",
        1024,
        "image/png",
        "avatar",
    )
    assert upload.storage_key == body["storageKey"]
    assert upload.expires_at > timezone.now()


def test_key_never_comes_from_the_file_name(auth_client):
    body = {**REQUEST, "fileName": "../../etc/passwd.png"}

    response = auth_client.post(URL, body, format="json")

    assert response.status_code == 200
    assert "passwd" not in response.json()["storageKey"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mimeType": "image/gif"}, "mimeType"),
        ({"mimeType": "audio/mpeg"}, "mimeType"),
        ({"fileSize": 10 * 1024 * 1024 + 1}, "fileSize"),
        ({"fileSize": 0}, "fileSize"),
        ({"fileSize": "big"}, "fileSize"),
        ({"fileSize": True}, "fileSize"),
        ({"fileName": "a" * 256}, "fileName"),
        ({"category": "secrets"}, "category"),
    ],
)
def test_invalid_upload_requests_are_400_and_record_nothing(auth_client, change, field):
    response = auth_client.post(URL, {**REQUEST, **change}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in response.json()["details"]
    assert FileUpload.objects.count() == 0


def test_upload_needs_a_session(client):
    assert client.post(URL, REQUEST, format="json").status_code == 401


def test_local_signed_put_stores_the_body(auth_client, client):
    upload = auth_client.post(URL, REQUEST, format="json").json()

    response = client.put(upload["uploadUrl"], b"\x89PNG fake", content_type="image/png")

    assert response.status_code == 200
    assert selectors.media_read(key=upload["storageKey"]) == b"\x89PNG fake"


def test_local_put_with_a_forged_token_is_403_and_stores_nothing(auth_client, client):
    upload = auth_client.post(URL, REQUEST, format="json").json()
    forged = signing.TimestampSigner(salt="other").sign_object({"key": upload["storageKey"]})

    response = client.put(f"/api/files/upload/{forged}", b"x", content_type="image/png")

    assert response.status_code == 403
    assert response.json()["code"] == "UPLOAD_SIGNATURE_INVALID"
    assert not selectors.media_exists(key=upload["storageKey"])


def test_local_put_after_expiry_is_403(auth_client, client, settings):
    upload = auth_client.post(URL, REQUEST, format="json").json()
    token = upload["uploadUrl"].rsplit("/", 1)[1]
    settings.MEDIA_URL_EXPIRY = settings.MEDIA_URL_EXPIRY * 0  # every signature is now too old

    response = client.put(f"/api/files/upload/{token}", b"x", content_type="image/png")

    assert response.status_code == 403
    assert not selectors.media_exists(key=upload["storageKey"])


def test_local_put_with_another_content_type_is_403(auth_client, client):
    upload = auth_client.post(URL, REQUEST, format="json").json()

    response = client.put(upload["uploadUrl"], b"x", content_type="text/html")

    assert response.status_code == 403
    assert not selectors.media_exists(key=upload["storageKey"])


def test_local_put_larger_than_declared_is_413(auth_client, client):
    upload = auth_client.post(URL, REQUEST, format="json").json()  # declared 1024 bytes

    response = client.put(upload["uploadUrl"], b"x" * 1025, content_type="image/png")

    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert not selectors.media_exists(key=upload["storageKey"])


def test_local_put_may_exceed_the_json_body_limit(auth_client, client):
    size = 3 * 1024 * 1024  # larger than DATA_UPLOAD_MAX_MEMORY_SIZE (1 MB)
    body = {**REQUEST, "fileSize": size}
    upload = auth_client.post(URL, body, format="json").json()

    response = client.put(upload["uploadUrl"], b"x" * size, content_type="image/png")

    assert response.status_code == 200
    assert len(selectors.media_read(key=upload["storageKey"])) == size


def test_signing_salt_is_specific_to_uploads():
    assert UPLOAD_SIGNING_SALT == "media.upload"


def test_s3_upload_url_is_a_presigned_put_that_works(auth_client, s3_storage):
    # when
    body = auth_client.post(URL, REQUEST, format="json").json()

    # then it is a presigned PUT bound to the key and its content type
    query = parse_qs(urlsplit(body["uploadUrl"]).query)
    assert urlsplit(body["uploadUrl"]).path.endswith(body["storageKey"])
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["3600"]
    # moto does not check signatures: check here that the type and the size are signed
    assert query["X-Amz-SignedHeaders"] == ["content-length;content-type;host"]
    data = b"p" * REQUEST["fileSize"]
    put = urllib.request.Request(  # noqa: S310 - loopback moto server
        body["uploadUrl"], data=data, method="PUT", headers={"Content-Type": "image/png"}
    )
    with urllib.request.urlopen(put) as response:  # noqa: S310
        assert response.status == 200
    assert selectors.media_read(key=body["storageKey"]) == data


def test_local_upload_endpoint_is_off_on_s3(auth_client, client, s3_storage):
    token = signing.TimestampSigner(salt=UPLOAD_SIGNING_SALT).sign_object({"key": "avatars/x.png"})

    response = client.put(f"/api/files/upload/{token}", b"x", content_type="image/png")

    assert response.status_code == 404


def test_local_put_after_the_upload_was_used_is_403(auth_client, client):
    upload = auth_client.post(URL, REQUEST, format="json").json()
    FileUpload.objects.filter(storage_key=upload["storageKey"]).update(entity_id="hero_x")

    response = client.put(upload["uploadUrl"], b"x", content_type="image/png")

    assert response.status_code == 403
    assert not selectors.media_exists(key=upload["storageKey"])
