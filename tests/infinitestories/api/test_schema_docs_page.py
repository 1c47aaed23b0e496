"""/api/docs is the page the iOS team reads: it renders in a real browser (headless Chromium)
from our own server alone, with nothing fetched from a CDN, and lists the operations by the
summaries written for them."""

from urllib.parse import urlsplit

import pytest
from PIL import Image

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        yield page
        browser.close()


def test_the_docs_page_renders_from_our_own_server_only(live_server, browser_page, tmp_path):
    ours = urlsplit(live_server.url).netloc
    requested: list[str] = []
    elsewhere: list[str] = []

    def only_ours(route):
        url = route.request.url
        requested.append(url)
        if urlsplit(url).netloc != ours:
            elsewhere.append(url)
            return route.abort()  # the page must work without it
        return route.continue_()

    browser_page.route("**/*", only_ours)

    browser_page.goto(f"{live_server.url}/api/docs")
    browser_page.wait_for_selector(".opblock-summary-description", timeout=30_000)
    summaries = browser_page.locator(".opblock-summary-description").all_inner_texts()
    shot = tmp_path / "docs.png"
    browser_page.screenshot(path=str(shot))
    title = browser_page.locator(".info .title").inner_text(timeout=5000)

    assert elsewhere == []
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in requested)
    assert any(url.endswith("/api/schema") for url in requested)
    assert title.startswith("InfiniteStories API")
    for summary in ("Write a story", "Narration status", "Service health", "Start an upload"):
        assert summary in summaries
    assert len(summaries) >= 40
    with Image.open(shot) as picture:
        assert picture.size == (1280, 1600)
        # a rendered page, not a blank one: many colours
        assert len(picture.convert("RGB").getcolors(maxcolors=100_000) or []) > 50
