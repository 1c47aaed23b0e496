"""A person's view of the dashboard: Debian's chromium, driven by playwright (no browser
download: the system chromium at CHROMIUM), signs in to the admin as staff, opens the dashboard,
sees both charts, and saves a screenshot (var/screenshots/admin-dashboard.png)."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from tests.accounts.factories import PASSWORD, UserFactory
from usage.models import UsageMetric

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "admin-dashboard.png"


def test_staff_sign_in_and_see_the_dashboards_charts(live_server, transactional_db):
    assert Path(CHROMIUM).exists(), (
        "install Debian's chromium (.ci/run does: apt-get install chromium)"
    )
    staff = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    family = UserFactory(email="family@example.com")
    for days, cost in [(0, "0.12"), (1, "0.30"), (3, "0.08")]:
        UsageMetric.objects.create(
            user=family,
            operation="story_generation",
            vendor="openai",
            model="gpt-5.4",
            cost=Decimal(cost),
            latency_ms=900,
            story_id=f"story_{days}",
            created_at=timezone.now() - timezone.timedelta(days=days),
        )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.goto(f"{live_server.url}/admin/login/?next=/admin/")
            page.fill("#id_username", staff.email)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")

            expect(page.locator("#spend-panel")).to_be_visible()
            expect(page.locator("svg.chart-daily-spend")).to_be_visible()
            expect(page.locator("svg.chart-daily-stories")).to_be_visible()
            expect(page.locator('[data-figure="spent-today"]')).to_have_text("$0.1200")
            expect(page.locator("#top-users-panel")).to_contain_text("family@example.com")
            assert page.locator("svg.chart-daily-spend rect.rect").count() >= 3  # the bars
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()

    assert SCREENSHOT.stat().st_size > 10_000
