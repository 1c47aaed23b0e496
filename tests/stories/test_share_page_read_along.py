"""A grandparent's view of a shared story: Debian's chromium, driven by playwright (the system
chromium, no browser download), on a phone-sized screen. The narration plays from the page's own
audio address; read-along marks exactly the word the story's timings give for a moment."""

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from infinitestories.ai import timings
from stories.models import NarrationTimings
from tests.stories.factories import share_link, story_narrated

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}

# Functions run through the DevTools protocol (a string predicate polled by wait_for_function
# would be evaluated by the page, which its Content-Security-Policy forbids).
METADATA_LOADED = """() => new Promise((resolve) => {
    const audio = document.getElementById('narration');
    if (audio.readyState >= 1) resolve();
    else audio.addEventListener('loadedmetadata', () => resolve(), {once: true});
})"""
# Set the audio's time, wait for the seek to finish, answer what is marked then: the page's own
# listeners ran first (registered at load).
SEEK = """(moment) => new Promise((resolve) => {
    const audio = document.getElementById('narration');
    audio.addEventListener('seeked', () => {
        const marked = document.querySelectorAll('[aria-current="true"]');
        resolve(Array.from(marked).map((el) => [el.textContent, el.dataset.start]));
    }, {once: true});
    audio.currentTime = moment;
})"""
MARKED = """() => {
    const marked = document.querySelectorAll('[aria-current="true"]');
    return Array.from(marked).map((el) => [el.textContent, el.dataset.start]);
}"""


def expected_at(words: list[dict], moment: float) -> tuple[str, str]:
    """The word the timings say is being spoken at `moment`, as the page marks it."""
    word = [w for w in words if w["start"] <= moment][-1]
    return word["text"], f"{word['start']:.3f}"


def test_read_along_marks_the_word_being_spoken_and_follows_seeks_and_taps(
    live_server, transactional_db, s3_storage, user
):
    assert Path(CHROMIUM).exists(), (
        "install Debian's chromium (.ci/run does: apt-get install chromium)"
    )
    story = story_narrated(user=user)
    words = NarrationTimings.objects.get(story=story).words
    _, path = share_link(story=story)
    errors: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport=PHONE, device_scale_factor=2)
            page.on(
                "console",
                lambda m: m.type == "error" and errors.append(f"{m.text} {m.location}"),
            )
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{live_server.url}{path}")
            page.evaluate(METADATA_LOADED)
            assert page.evaluate(MARKED) == []  # nothing is spoken before playback

            # A moment inside the 9th spoken word ("lantern" of the first paragraph's text).
            moment = words[8]["start"] + 0.2
            assert page.evaluate(SEEK, moment) == [list(expected_at(words, moment))]
            expect(page.locator('[aria-current="true"]')).to_have_count(1)

            # Seeking moves the one mark.
            later = words[20]["start"] + 0.1
            assert page.evaluate(SEEK, later) == [list(expected_at(words, later))]
            assert expected_at(words, later) != expected_at(words, moment)

            # Tapping a word seeks to it (the handler runs within the click: read at once).
            tapped = page.evaluate(
                """() => {
                    const word = document.querySelectorAll('.w[data-start]')[4];
                    word.click();
                    const audio = document.getElementById('narration');
                    const time = audio.currentTime;
                    audio.pause();
                    const marked = document.querySelectorAll('[aria-current="true"]');
                    return [time, word.dataset.start, marked.length, marked[0] === word];
                }"""
            )
            assert tapped[1] == f"{words[4]['start']:.3f}"
            assert abs(tapped[0] - words[4]["start"]) < 0.01
            assert tapped[2:] == [1, True]

            # Pleasant on a phone: nothing wider than the screen.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        finally:
            browser.close()

    assert errors == []


def test_without_javascript_the_story_reads_and_the_audio_has_controls(
    live_server, transactional_db, s3_storage, user
):
    story = story_narrated(user=user)
    _, path = share_link(story=story)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            context = browser.new_context(java_script_enabled=False, viewport=PHONE)
            page = context.new_page()
            page.goto(f"{live_server.url}{path}")
            assert page.locator("h1").inner_text() == story.title
            assert page.locator(".text p").count() == 3
            assert page.locator("audio[controls]").count() == 1
            assert page.locator(".text img").count() == 2
            # The pictures load (from the share's own addresses).
            widths = page.eval_on_selector_all(".text img", "imgs => imgs.map(i => i.naturalWidth)")
            spoken = [s.text for s in timings.spoken_words(story.content)]
            assert widths == [64, 64] and spoken[0] == "Mia"
        finally:
            browser.close()
