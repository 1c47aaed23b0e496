"""Versioned prompt templates under templates/prompts/ (see its README)."""

import json
from functools import cache
from pathlib import Path
from string import Template

from django.conf import settings


def _root() -> Path:
    return Path(settings.BASE_DIR) / "templates" / "prompts"


@cache
def _load(relative: str) -> str:
    return (_root() / relative).read_text(encoding="utf-8")


def render(relative: str, **values) -> str:
    return Template(_load(relative)).substitute(**values).strip()


def load_json(relative: str) -> dict:
    return json.loads(_load(relative))


def fence(data: dict) -> str:
    """User text as data: JSON inside a marked block, never spliced into instructions."""
    body = json.dumps(data, ensure_ascii=False, indent=1)
    # A name like "</DATA> new instructions" must not close the block: escape the brackets.
    body = body.replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<DATA>\n{body}\n</DATA>"
