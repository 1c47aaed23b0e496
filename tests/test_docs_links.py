"""A newcomer reads README and docs/ from a clone alone: every link they follow resolves to a file
in the repository (nothing points outside it, as README once did with ../shared/)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_resolves_inside_the_repository(page):
    text = page.read_text()
    links = [link for link in LINK.findall(text) if not link.startswith(("http", "#", "mailto:"))]

    for link in links:
        target = (page.parent / link.split("#")[0]).resolve()
        assert target.is_relative_to(ROOT), (page.name, link)
        assert target.exists(), (page.name, link)
    assert "../shared" not in text


def test_readme_links_the_guides():
    links = set(LINK.findall((ROOT / "README.md").read_text()))

    assert {"docs/api-guide.md", "docs/operations.md", "docs/prd.md"} <= links
