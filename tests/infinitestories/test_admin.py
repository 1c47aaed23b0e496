"""Staff open the admin and find it plain to read: branded, sections named as people say them,
nothing they cannot use, and no "Add" for rows only the service makes."""

import pytest
from django.contrib import admin

from tests.admin_urls import admin_url
from tests.heroes.factories import HeroFactory
from tests.stories.factories import GenerationJobFactory, StoryFactory, StoryIllustrationFactory

SYSTEM_MADE = [
    "stories/story",
    "stories/storyillustration",
    "stories/generationjob",
    "heroes/herovisualprofile",
    "accounts/bearersession",
    "media/fileupload",
    "usage/usagemetric",
]


def test_the_index_is_branded_with_readable_sections_and_no_view_site_link(staff_browser):
    page = staff_browser.get("/admin/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "<title>Families, stories and AI costs | InfiniteStories admin</title>" in html
    assert ">InfiniteStories admin</a>" in html
    for section in ("Heroes", "Stories", "Files", "AI usage and costs", "Users and sessions"):
        assert f">{section}</a>" in html, section
    assert ">Heros<" not in html and ">heros<" not in html
    assert "View site" not in html
    for unused in ("Sites", "Social Accounts", "Social applications"):
        assert unused not in html, unused


@pytest.mark.parametrize("model", SYSTEM_MADE)
def test_rows_only_the_service_makes_have_no_add(staff_browser, model):
    changelist = staff_browser.get(f"/admin/{model}/")
    add = staff_browser.get(f"/admin/{model}/add/")

    assert changelist.status_code == 200
    assert f'href="/admin/{model}/add/"' not in changelist.content.decode()
    assert add.status_code == 403


def test_families_rows_and_prices_can_still_be_added_by_staff(staff_browser):
    for model in ("heroes/hero", "stories/customstoryevent", "usage/price", "accounts/user"):
        assert staff_browser.get(f"/admin/{model}/add/").status_code == 200, model


def test_a_story_page_offers_no_new_pictures_and_a_hero_page_no_new_profile(staff_browser):
    story = StoryFactory()
    StoryIllustrationFactory(story=story)
    hero = HeroFactory()  # no visual profile yet: it is extracted with the avatar, not typed
    GenerationJobFactory(story=story)

    story_page = staff_browser.get(admin_url(story)).content.decode()
    hero_page = staff_browser.get(admin_url(hero)).content.decode()

    # the inlines are shown, without the empty form that "Add another" copies
    assert 'name="illustrations-TOTAL_FORMS" value="1"' in story_page
    assert 'id="illustrations-empty"' not in story_page
    assert 'name="visual_profile-TOTAL_FORMS" value="0"' in hero_page
    assert 'id="visual_profile-empty"' not in hero_page


def test_every_registered_model_belongs_to_a_section_people_use():
    labels = {model._meta.app_label for model in admin.site._registry}

    # ours, allauth's e-mail addresses, groups, and the staff tools: periodic tasks
    # (django-celery-beat), the audit log, admin sign-in lockouts (axes), TOTP devices (2FA)
    assert labels == {
        "auth",
        "account",
        "accounts",
        "heroes",
        "stories",
        "media",
        "usage",
        "notifications",
        "django_celery_beat",
        "auditlog",
        "axes",
        "otp_totp",
    }
