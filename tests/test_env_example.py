"""A newcomer configures the service from .env.example: it names every variable the settings and
the Procfile read, each with a comment above it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _read_by_settings() -> set[str]:
    source = (ROOT / "infinitestories" / "settings.py").read_text()
    names = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    names |= set(re.findall(r'"([A-Z][A-Z0-9_]+)" in env', source))
    procfile = (ROOT / "Procfile").read_text()
    return names | set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", procfile))


def test_env_example_lists_every_variable_with_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    listed = {}
    for number, line in enumerate(lines):
        match = re.match(r"#? ?([A-Z][A-Z0-9_]+)=", line)
        if match:
            listed[match.group(1)] = number

    read = _read_by_settings()

    assert len(read) > 40  # the scan finds the settings' variables at all
    assert sorted(read - set(listed)) == []
    for name, number in listed.items():
        # a comment, or a variable of the same group under the group's comment
        assert lines[number - 1].startswith("#"), name
