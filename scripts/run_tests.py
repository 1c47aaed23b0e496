"""`make test`: the whole suite against PostgreSQL and Redis, or on the embedded default when
they cannot be reached.

- DATABASE_URL / REDIS_URL (else TEST_DATABASE_URL / TEST_REDIS_URL, else the machine's
  PostgreSQL and Redis on their usual ports) name the servers.
- TEST_SERVICES=auto (the default): when either server does not answer, the suite runs on the
  embedded default (SQLite, local-memory cache, in-process tasks) and says so; the tests that
  need both servers (marked e2e: real Celery workers; servers: a cache shared across processes)
  are left out.
- TEST_SERVICES=required (CI): a server that does not answer is an error, never a fallback.

Arguments are passed on to pytest.
"""

import os
import socket
import sys
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/infinitestories"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"


def address(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def reachable(url: str, default_port: int) -> bool:
    try:
        with socket.create_connection(address(url, default_port), timeout=2):
            return True
    except OSError:
        return False


def main(args: list[str]) -> int:
    database = os.environ.get("DATABASE_URL") or os.environ.get(
        "TEST_DATABASE_URL", DEFAULT_DATABASE_URL
    )
    redis = os.environ.get("REDIS_URL") or os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    mode = os.environ.get("TEST_SERVICES", "auto")
    if mode not in ("auto", "required"):
        print("TEST_SERVICES must be auto or required.", file=sys.stderr)
        return 2
    down = [
        "{} at {}:{}".format(name, *address(url, port))
        for name, url, port in (("PostgreSQL", database, 5432), ("Redis", redis, 6379))
        if not reachable(url, port)
    ]
    env = dict(os.environ)
    if not down:
        env |= {"DATABASE_URL": database, "REDIS_URL": redis}
        print(
            "make test: on PostgreSQL at {}:{} and Redis at {}:{}.".format(
                *address(database, 5432), *address(redis, 6379)
            )
        )
    elif mode == "required":
        print(f"make test: {' and '.join(down)} not reachable (TEST_SERVICES=required).")
        return 2
    else:
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        print(
            f"make test: {' and '.join(down)} not reachable: running on the embedded default "
            "(SQLite, local-memory cache, in-process tasks), without the tests that need both "
            "servers (e2e, servers). CI runs every test against the real servers."
        )
        args = ["-m", "not e2e and not servers", *args]
    sys.stdout.flush()
    pytest = os.path.join(os.path.dirname(sys.executable), "pytest")
    os.execve(pytest, [pytest, *args], env)  # noqa: S606 - our own venv's pytest


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
