"""The web process (the Procfile's `web`): granian serving the WSGI app.

Granian reads HTTP in Rust and runs the app on a pool of threads in each worker process. A read
then costs little more than the framework's own floor, on a new connection as on a kept one,
where gunicorn's gthread workers paid about half the floor again to hand every new connection
to a thread and back; and a story or avatar waiting on the AI vendor holds one thread, not the
process, so reads go on beside it (docs/operations.md "Scaling" has the figures of both).

Granian's own lines (start, workers) go through the app's formatter: one JSON object per line
in production, like every other line. It writes no access log: the app's `request_finished`
line is the access log.

Run: `python -m infinitestories.web --bind 0.0.0.0:8000 [--workers 2 --threads 16 ...]`.
"""

import argparse
import os

from django.conf import settings
from granian import Granian
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels

APP = "infinitestories.wsgi:application"
# Open connections a process holds, as gunicorn's threaded workers did (its default).
CONNECTIONS_PER_PROCESS = 1000


def _bind(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"--bind takes HOST:PORT, not {value!r}")
    return host, int(port)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infinitestories.web")
    parser.add_argument("--bind", type=_bind, required=True, help="HOST:PORT")
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument(
        "--threads", type=int, default=16, help="each process's threads: requests at once"
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=150,
        help="seconds a stopping process's requests may take to finish before it is killed",
    )
    parser.add_argument(
        "--keep-alive",
        type=int,
        default=75,
        help="seconds an idle connection stays open: longer than the proxy in front keeps one",
    )
    return parser


def server(argv: list[str] | None = None) -> Granian:
    """The server the arguments describe, not yet serving."""
    args = _parser().parse_args(argv)
    host, port = args.bind
    # The app's own logging settings (the settings module the app runs on, .env included): one
    # format for every line. The module is read, not set up: that is each worker's start.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infinitestories.settings")
    return Granian(
        APP,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        # Behind the platform's proxy, which speaks HTTP/1.1 to the app.
        http=HTTPModes.http1,
        websockets=False,
        workers=args.workers,
        blocking_threads=args.threads,
        # granian's "backpressure" caps a process's open connections, idle kept-alive ones
        # included, not its requests: at the thread count, the proxy's or the app's kept
        # connections took every place and the rest waited unanswered (bench/per_request.py's
        # PRD load: 100 families, 33 req/s of 100). Requests beyond the threads wait for one.
        backpressure=CONNECTIONS_PER_PROCESS,
        # An idle kept connection ends when no request starts within this time.
        http1_settings=HTTP1Settings(header_read_timeout=args.keep_alive * 1000),
        log_level=LogLevels(settings.LOG_LEVEL.lower()),
        log_dictconfig=settings.LOGGING,
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=args.timeout,
    )


if __name__ == "__main__":
    server().serve()
