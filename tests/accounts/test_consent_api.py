"""Parental consent: GET/POST/DELETE /api/user/consent, at signup, and the gate it puts on every
AI path (403 CONSENT_REQUIRED with no AI call made), while reads and the library keep working."""

import pytest
from django.contrib.admin.utils import quote
from django.test import Client
from django.urls import reverse

from accounts.models import ParentalConsent, User
from heroes.models import Hero
from stories.models import CustomStoryEvent, GenerationJob, Story, StoryIllustration
from stories.services import illustrations, narration
from tests.accounts.factories import UserFactory
from tests.helpers import client_for
from tests.heroes.factories import HeroFactory
from tests.media.photos import phone_jpeg, uploaded
from tests.stories.factories import StoryFactory
from tests.usage.factories import stories_used
from usage.models import UsageMetric

URL = "/api/user/consent"
POLICY = "2026-12-01"


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.PARENTAL_CONSENT_POLICY_VERSION = POLICY
    settings.PARENTAL_CONSENT_VENDORS = ["OpenAI"]


@pytest.fixture
def parent():
    return UserFactory(consent=False)


@pytest.fixture
def api(parent):
    return client_for(parent)


def consent(**changes) -> dict:
    return {
        "policyVersion": POLICY,
        "aiProcessing": True,
        "thirdPartyDisclosure": True,
        "appVersion": "2.3.0 (41)",
        **changes,
    }


# --- GET / POST / DELETE ------------------------------------------------------------------------


def test_without_consent_get_answers_null_and_the_current_policy(api):
    response = api.get(URL)

    assert response.status_code == 200
    assert response.json() == {"consent": None, "currentPolicyVersion": POLICY}


def test_consenting_records_what_when_from_which_app_and_address(api, parent):
    response = api.post(URL, consent(), format="json", HTTP_USER_AGENT="InfiniteStories/2.3.0")

    assert response.status_code == 201
    body = response.json()
    assert body["currentPolicyVersion"] == POLICY
    shown = body["consent"]
    assert {k: shown[k] for k in shown if k not in ("id", "consentedAt")} == {
        "policyVersion": POLICY,
        "isCurrent": True,
        "aiProcessing": True,
        "thirdPartyDisclosure": True,
        "vendors": ["OpenAI"],
        "appVersion": "2.3.0 (41)",
    }
    record = ParentalConsent.objects.get(user=parent)
    assert (record.ip_address, record.user_agent) == ("127.0.0.1", "InfiniteStories/2.3.0")
    assert record.withdrawn_at is None and record.id == shown["id"]
    parent.refresh_from_db()
    assert parent.parental_consent_version == POLICY
    assert parent.parental_consent_at == record.consented_at
    assert api.get(URL).json() == body


def test_consenting_again_to_the_same_policy_records_nothing_twice(api, parent):
    first = api.post(URL, consent(), format="json")

    again = api.post(URL, consent(), format="json")

    assert again.status_code == 200
    assert again.json()["consent"]["id"] == first.json()["consent"]["id"]
    assert ParentalConsent.objects.filter(user=parent).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (consent(policyVersion="2025-01-01"), "policyVersion"),
        (consent(aiProcessing=False), "aiProcessing"),
        (consent(thirdPartyDisclosure=False), "thirdPartyDisclosure"),
        (consent(aiProcessing="true"), "aiProcessing"),
        (consent(thirdPartyDisclosure=1), "thirdPartyDisclosure"),
        (consent(policyVersion=20260601), "policyVersion"),
        (consent(appVersion="x" * 51), "appVersion"),
        ({"aiProcessing": True, "thirdPartyDisclosure": True}, "policyVersion"),
    ],
)
def test_anything_but_full_consent_to_the_current_policy_is_400_and_records_nothing(
    api, parent, body, field
):
    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in response.json()["details"]
    assert not ParentalConsent.objects.exists()
    parent.refresh_from_db()
    assert parent.parental_consent_version == ""


def test_withdrawing_stops_ai_work_and_keeps_the_history(api, parent):
    given = api.post(URL, consent(), format="json").json()["consent"]
    hero = HeroFactory(user=parent)

    response = api.delete(URL)

    assert response.status_code == 200
    assert response.json() == {"consent": None, "currentPolicyVersion": POLICY}
    record = ParentalConsent.objects.get(pk=given["id"])
    assert record.withdrawn_at is not None  # kept, as proof of both
    parent.refresh_from_db()
    assert (parent.parental_consent_version, parent.parental_consent_at) == ("", None)
    refused = api.post("/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "CONSENT_REQUIRED"
    assert api.delete(URL).status_code == 200  # withdrawing twice changes nothing
    assert ParentalConsent.objects.filter(user=parent).count() == 1


def test_consent_can_be_given_again_after_a_withdrawal(api, parent):
    api.post(URL, consent(), format="json")
    api.delete(URL)

    again = api.post(URL, consent(), format="json")

    assert again.status_code == 201
    assert ParentalConsent.objects.filter(user=parent, withdrawn_at__isnull=True).count() == 1
    assert ParentalConsent.objects.filter(user=parent).count() == 2


def test_consent_needs_a_session_and_is_only_ever_ones_own(client, api, parent):
    other = UserFactory()

    assert client.get(URL).status_code == 401
    assert client.post(URL, consent(), format="json").status_code == 401
    api.post(URL, consent(), format="json")
    assert client_for(other).delete(URL).status_code == 200
    parent.refresh_from_db()
    assert parent.parental_consent_version == POLICY  # the other family withdrew only theirs


# --- a new policy version --------------------------------------------------------------------


def test_a_new_policy_version_asks_the_parent_again(settings, api, parent):
    api.post(URL, consent(), format="json")
    hero = HeroFactory(user=parent)

    settings.PARENTAL_CONSENT_POLICY_VERSION = "2027-01-01"

    shown = api.get(URL).json()
    assert shown["currentPolicyVersion"] == "2027-01-01"
    assert (shown["consent"]["policyVersion"], shown["consent"]["isCurrent"]) == (POLICY, False)
    refused = api.post("/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["details"] == {"currentPolicyVersion": "2027-01-01"}
    renewed = api.post(URL, consent(policyVersion="2027-01-01"), format="json")
    assert renewed.status_code == 201 and renewed.json()["consent"]["isCurrent"] is True


# --- the gate: no AI call without consent -----------------------------------------------------


def ai_paths(parent, api) -> dict:
    """Every endpoint that makes an AI vendor process the family's data, as the app calls it."""
    hero = HeroFactory(user=parent, name="Alice")
    story = StoryFactory(user=parent, hero=hero)
    key = uploaded(parent, phone_jpeg(), mime_type="image/jpeg").storage_key
    hero_body = {"name": "Bob", "age": 6, "traits": ["brave"], "appearance": "red hair"}
    event_body = {"title": "Zoo", "promptSeed": "a day at the zoo", "category": "adventure"}
    return {
        "story": lambda: api.post(
            "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
        ),
        "avatar drawn": lambda: api.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json"),
        "avatar uploaded": lambda: api.post(
            f"/api/heroes/{hero.pk}/avatar", {"storageKey": key}, format="json"
        ),
        "narration": lambda: api.post(f"/api/stories/{story.pk}/audio", {}, format="json"),
        "illustrations": lambda: api.post(
            f"/api/stories/{story.pk}/illustrations", {"count": 2}, format="json"
        ),
        "story edit": lambda: api.patch(
            f"/api/stories/{story.pk}",
            {"content": "A new night.", "regenerateAudio": True},
            format="json",
        ),
        "hero create": lambda: api.post("/api/heroes", hero_body, format="json"),
        "hero edit": lambda: api.patch(
            f"/api/heroes/{hero.pk}", {"appearance": "brown hair"}, format="json"
        ),
        "custom event": lambda: api.post("/api/custom-events", event_body, format="json"),
    }


def test_without_consent_every_ai_path_is_403_and_no_ai_call_is_made(
    openai_provider, api, parent, django_capture_on_commit_callbacks
):
    paths = ai_paths(parent, api)
    stories_before = Story.objects.count()

    for name, call in paths.items():
        with django_capture_on_commit_callbacks(execute=True):
            response = call()

        assert response.status_code == 403, name
        assert response.json()["code"] == "CONSENT_REQUIRED", name
        assert response.json()["details"] == {"currentPolicyVersion": POLICY}

    assert openai_provider.requests == []  # nothing left for any vendor
    assert UsageMetric.objects.count() == 0
    assert Story.objects.count() == stories_before
    assert not GenerationJob.objects.exists()
    assert Hero.objects.filter(user=parent).count() == 1
    assert not CustomStoryEvent.objects.exists()
    assert stories_used(parent) == 0


def test_with_consent_the_same_paths_work(
    openai_provider, openai_speech_alive, api, parent, django_capture_on_commit_callbacks
):
    api.post(URL, consent(), format="json")
    paths = ai_paths(parent, api)

    for name, call in paths.items():
        with django_capture_on_commit_callbacks(execute=True):
            response = call()

        assert response.status_code in (200, 201, 202), (name, response.json())

    assert openai_provider.calls("/v1/chat/completions")
    assert openai_provider.calls("/v1/images/")
    assert openai_provider.calls("/v1/audio/speech")


def test_without_consent_reads_and_the_library_keep_working(api, parent):
    hero = HeroFactory(user=parent)
    story = StoryFactory(user=parent, hero=hero)

    assert api.get("/api/heroes").status_code == 200
    assert api.get(f"/api/heroes/{hero.pk}").status_code == 200
    assert api.get("/api/stories").status_code == 200
    assert api.get(f"/api/stories/{story.pk}").status_code == 200
    assert api.post(f"/api/stories/{story.pk}/listen").status_code == 200
    favourite = api.patch(f"/api/stories/{story.pk}", {"isFavorite": True}, format="json")
    assert favourite.status_code == 200 and favourite.json()["story"]["isFavorite"] is True
    assert api.get("/api/user/profile").json()["user"]["parentalConsent"] is None
    assert api.get("/api/user/export").status_code == 200
    assert api.get("/api/user/usage").status_code == 200
    assert api.delete(f"/api/stories/{story.pk}").status_code == 200
    assert api.delete(f"/api/heroes/{hero.pk}").status_code == 200
    assert UsageMetric.objects.count() == 0


def test_the_gate_can_be_switched_off(settings, api, parent, django_capture_on_commit_callbacks):
    settings.PARENTAL_CONSENT_REQUIRED = False
    hero = HeroFactory(user=parent)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
        )

    assert response.status_code == 201


def test_withdrawing_stops_the_familys_waiting_jobs_before_any_ai_call(
    openai_provider, api, parent, django_capture_on_commit_callbacks
):
    # given narration and pictures queued while consent was in force (not yet run)
    api.post(URL, consent(), format="json")
    parent.refresh_from_db()
    story = StoryFactory(user=parent, hero=HeroFactory(user=parent))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        narration.audio_request(user=parent, story=story)
        illustrations.illustrations_request(user=parent, story=story, count=2)
    other_family_job = narration.audio_request(
        user=UserFactory(), story=StoryFactory(), voice="nova"
    )

    # when the parent withdraws consent, and the queued tasks then arrive at a worker
    assert api.delete(URL).status_code == 200
    for callback in queued:
        callback()

    # then the jobs failed with a message the app shows, and nothing went to any vendor
    jobs = GenerationJob.objects.filter(user=parent)
    assert {job.status for job in jobs} == {"failed"}
    assert all("withdrew consent" in job.error_message for job in jobs)
    assert {i.generation_status for i in StoryIllustration.objects.filter(story=story)} == {
        "failed"
    }
    assert openai_provider.requests == []
    other_family_job.refresh_from_db()
    assert other_family_job.status == "queued"


def test_a_job_whose_parent_withdrew_meanwhile_fails_when_a_worker_claims_it(
    openai_provider, parent, django_capture_on_commit_callbacks
):
    # given a job queued with consent (as a sweeper or a redelivery may run it again later)
    from accounts.services import consent_record
    from stories import tasks

    consent_record(
        user=parent,
        policy_version=POLICY,
        ai_processing=True,
        third_party_disclosure=True,
        ip_address=None,
        user_agent="",
    )
    parent.refresh_from_db()
    story = StoryFactory(user=parent, hero=HeroFactory(user=parent))
    with django_capture_on_commit_callbacks(execute=False):
        job = narration.audio_request(user=parent, story=story)
    User.objects.filter(pk=parent.pk).update(parental_consent_version="")  # consent gone

    tasks.audio_generate_task(job.pk)

    job.refresh_from_db()
    assert job.status == "failed" and job.error_message.startswith("A parent needs to agree")
    assert openai_provider.requests == []


# --- signup ----------------------------------------------------------------------------------


SIGNUP = {"email": "new@example.com", "password": "SecurePass123!", "name": "New Parent"}


def test_signup_may_carry_the_parents_consent(client):
    response = client.post(
        "/api/auth/signup",
        {**SIGNUP, "parentalConsent": consent()},
        format="json",
        HTTP_USER_AGENT="InfiniteStories/2.3.0",
    )

    assert response.status_code == 201, response.json()
    user = User.objects.get(email="new@example.com")
    record = ParentalConsent.objects.get(user=user)
    assert (record.policy_version, record.app_version, record.ip_address) == (
        POLICY,
        "2.3.0 (41)",
        "127.0.0.1",
    )
    assert user.parental_consent_version == POLICY


def test_signup_without_consent_creates_an_account_that_must_consent_first(client):
    response = client.post("/api/auth/signup", SIGNUP, format="json")

    assert response.status_code == 201
    token = response.json()["session"]["token"]
    api = client.__class__()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get(URL).json()["consent"] is None
    hero = api.post(
        "/api/heroes",
        {"name": "Max", "age": 6, "traits": ["brave"], "appearance": "red hair"},
        format="json",
    )
    assert hero.status_code == 403 and hero.json()["code"] == "CONSENT_REQUIRED"


def test_signup_with_an_invalid_consent_is_400_and_creates_nothing(client):
    response = client.post(
        "/api/auth/signup",
        {**SIGNUP, "parentalConsent": consent(thirdPartyDisclosure=False)},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["details"] == {
        "parentalConsent": {
            "thirdPartyDisclosure": "Stories are made with AI vendors: both consents are needed."
        }
    }
    assert not User.objects.filter(email="new@example.com").exists()
    assert not ParentalConsent.objects.exists()


# --- admin -----------------------------------------------------------------------------------


def test_the_admin_shows_consent_per_user_and_filters_by_it(parent):
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True, consent=False))
    consenting = UserFactory(email="consenting@example.com")
    ParentalConsent.objects.filter(user=consenting).update(app_version="9.9.9-admin")

    page = staff.get(reverse("admin:accounts_user_change", args=[quote(consenting.pk)]))
    none = staff.get("/admin/accounts/user/", {"consent": "none"})
    current = staff.get("/admin/accounts/user/", {"consent": "current"})

    assert page.status_code == 200
    assert b"9.9.9-admin" in page.content and POLICY.encode() in page.content
    assert parent.email.encode() in none.content
    assert b"consenting@example.com" not in none.content
    assert b"consenting@example.com" in current.content
    assert parent.email.encode() not in current.content
