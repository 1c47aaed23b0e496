"""docs/architecture.md names the code a newcomer should read: every dotted Python name it quotes
(`stories.services.narration.audio_generate`) and every repository path it quotes
(`usage/services/admission.py`) exists, so a rename that leaves the page behind fails here."""

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
PACKAGES = ("infinitestories", "accounts", "heroes", "stories", "media", "usage")
QUOTED = re.compile(r"`([^`\s]+)`")
DOTTED = re.compile(rf"^(?:{'|'.join(PACKAGES)})(?:\.[A-Za-z_]\w*)+$")
PATH = re.compile(r"^[\w.-]+(?:/[\w.-]+)+/?$")


def _quoted() -> list[str]:
    return QUOTED.findall(PAGE.read_text())


def _resolves(name: str) -> bool:
    """Import the longest module prefix of `name`, then walk the rest as attributes."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


def test_every_dotted_name_in_architecture_resolves():
    names = sorted({name for name in _quoted() if DOTTED.match(name) and not name.endswith(".py")})

    assert len(names) > 20  # the scan finds the page's names at all
    assert [name for name in names if not _resolves(name)] == []


def test_every_path_in_architecture_exists():
    paths = sorted({path for path in _quoted() if PATH.match(path)})

    assert len(paths) > 5
    assert [path for path in paths if not (ROOT / path).exists()] == []


def test_the_check_catches_a_name_that_does_not_exist():
    assert _resolves("stories.services.stories.story_create")
    assert not _resolves("stories.services.create_story")
