"""A Redis that is down (nothing listens on its port) or hung (a TCP server on loopback that
accepts connections and never answers), for real: the app's own Redis client meets them over
real sockets. Import the fixtures into a test module."""

import socket
import threading
from contextlib import contextmanager

import pytest

from tests.helpers import free_port


class HungServer:
    """Accepts every connection and never answers a byte."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed by stop()
                return
            self.accepted.append(conn)

    def stop(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@contextmanager
def redis_at(settings, url: str):
    """Cache, rate limits and health check on a Redis at `url`, as production sets them up (also
    where the suite runs on the embedded default); the run's own cache is back afterwards (before
    other fixtures clean the cache up)."""
    cache_settings, redis_url = settings.CACHES, settings.REDIS_URL
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": settings.REDIS_CLIENT_OPTIONS,
            "KEY_PREFIX": settings.REDIS_KEY_PREFIX,
        }
    }
    try:
        yield
    finally:
        settings.CACHES, settings.REDIS_URL = cache_settings, redis_url


@pytest.fixture
def redis_down(settings):
    with redis_at(settings, f"redis://127.0.0.1:{free_port()}/0"):
        yield


@pytest.fixture
def redis_hung(settings):
    server = HungServer()
    with redis_at(settings, f"redis://127.0.0.1:{server.port}/0"):
        yield server
    server.stop()
