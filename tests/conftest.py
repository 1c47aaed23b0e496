import io
import json
import logging

import pytest
from django.conf import settings as settings_module
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils import translation
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory
from tests.helpers import client_for


def clear_cache() -> None:
    """Empty this run's cache: on Redis only the keys under the run's own prefix (another process
    may use the same database), in local memory the whole cache (it is this process's own)."""
    if not isinstance(caches["default"], RedisCache):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{settings_module.REDIS_KEY_PREFIX}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _isolated(db, settings, tmp_path):
    """Each test starts with empty rate-limit counters, its own media folder and no language
    left active by an earlier test's request (a request activates one and keeps it)."""
    clear_cache()
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    clear_cache()
    translation.deactivate()


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def staff_browser():
    """A browser signed in to the admin as a superuser (Django's session login)."""
    from django.test import Client

    browser = Client()
    browser.force_login(UserFactory(is_staff=True, is_superuser=True))
    return browser


@pytest.fixture
def other_user():
    return UserFactory()


@pytest.fixture
def other_client(other_user) -> APIClient:
    return client_for(other_user)


# --- Object storage on a real S3-compatible server (moto's server mode on loopback) ----------

S3_BUCKET = "infinite-stories-test"


@pytest.fixture(scope="session")
def _moto_server():
    """One moto S3 server for the whole test session, on a free loopback port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _reset_default_storage():
    from django.core.files.storage import default_storage, storages
    from django.utils.functional import empty

    # Django's setting_changed handler does this too; done again so the fixture never depends on it.
    storages.__dict__.pop("backends", None)
    storages._backends = None
    storages._storages = {}
    default_storage._wrapped = empty


@pytest.fixture
def s3_storage(_moto_server, settings):
    """Django's default storage is django-storages S3 against moto, with an empty bucket.

    Yields the boto3 client so a test can look at the bucket directly.
    """
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=_moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    existing = {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
    if S3_BUCKET in existing:
        for obj in client.list_objects_v2(Bucket=S3_BUCKET).get("Contents", []):
            client.delete_object(Bucket=S3_BUCKET, Key=obj["Key"])
    else:
        client.create_bucket(Bucket=S3_BUCKET)
    settings.R2_BUCKET_NAME = S3_BUCKET
    settings.R2_PUBLIC_URL = ""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "endpoint_url": _moto_server,
                "access_key": "testing",
                "secret_key": "testing",
                "bucket_name": S3_BUCKET,
                "region_name": "us-east-1",
                "signature_version": "s3v4",
                "file_overwrite": False,
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": int(settings.MEDIA_URL_EXPIRY.total_seconds()),
            },
        },
    }
    _reset_default_storage()
    yield client
    _reset_default_storage()


@pytest.fixture
def log_lines():
    """What the configured log handler writes, one line per entry."""
    config = dict(settings_module.LOGGING["formatters"]["structured"])
    formatter = config.pop("()")(**config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: stream.getvalue()
    root.removeHandler(handler)


@pytest.fixture
def log_records(log_lines):
    """The same lines, each parsed as the JSON object it is."""
    return lambda: [json.loads(line) for line in log_lines().splitlines() if line]
