"""gunicorn builds no access-log line: the app's `request_finished` line is the access log, and
with a logging config gunicorn would format one per request for a logger nothing writes."""

import runpy
from pathlib import Path

from gunicorn.config import Config
from gunicorn.glogging import Logger

ROOT = Path(__file__).resolve().parents[1]


class Formatting(Exception):
    pass


def test_the_configured_logger_formats_no_access_line(monkeypatch):
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    logger_class = conf["logger_class"]
    assert issubclass(logger_class, Logger)

    def atoms(*args, **kwargs):
        raise Formatting

    monkeypatch.setattr(Logger, "atoms", atoms)
    cfg = Config()
    cfg.set("logconfig_dict", conf["logconfig_dict"])
    logger = logger_class(cfg)

    assert logger.access_log_enabled is False
    assert logger.access(None, None, {}, None) is None
