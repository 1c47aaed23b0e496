"""GET and PATCH /api/user/profile (PRD 6.6)."""

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings

from usage.selectors import story_quota

PROFILE_KEYS = {
    "id",
    "email",
    "emailVerified",
    "appleLinked",
    "name",
    "preferredLanguage",
    "themePreference",
    "subscriptionTier",
    "subscriptionExpiry",
    "monthlyStoriesUsed",
    "monthlyStoriesLimit",
    "usageAlert",
    "parentalConsent",
    "createdAt",
    "updatedAt",
    "lastSeenAt",
}


def test_profile_shows_the_user(auth_client, user):
    response = auth_client.get("/api/user/profile")

    assert response.status_code == 200
    body = response.json()["user"]
    assert set(body) == PROFILE_KEYS
    assert body["id"] == user.id
    assert body["email"] == user.email
    assert (body["subscriptionTier"], body["monthlyStoriesLimit"], body["monthlyStoriesUsed"]) == (
        "free",
        10,
        0,
    )
    assert body["usageAlert"] is None
    assert body["emailVerified"] is False
    consent = body["parentalConsent"]
    assert consent["policyVersion"] == settings.PARENTAL_CONSENT_POLICY_VERSION
    assert consent["isCurrent"] is True
    assert consent["aiProcessing"] is consent["thirdPartyDisclosure"] is True


def test_profile_shows_verified_email(auth_client, user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    assert auth_client.get("/api/user/profile").json()["user"]["emailVerified"] is True


def test_patch_updates_preferences(auth_client, user):
    response = auth_client.patch(
        "/api/user/profile",
        {"name": "John Updated", "preferredLanguage": "es", "themePreference": "light"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()["user"]
    assert (body["name"], body["preferredLanguage"], body["themePreference"]) == (
        "John Updated",
        "es",
        "light",
    )
    user.refresh_from_db()
    assert (user.name, user.preferred_language, user.theme_preference) == (
        "John Updated",
        "es",
        "light",
    )


def test_patch_cannot_set_server_owned_fields(auth_client, user):
    response = auth_client.patch(
        "/api/user/profile",
        {
            "subscriptionTier": "family",
            "monthlyStoriesLimit": 9999,
            "monthlyStoriesUsed": 0,
            "subscriptionExpiry": "2099-01-01T00:00:00Z",
            "emailVerified": True,
            "parentalConsent": None,
            "email": "new@example.com",
            "isStaff": True,
            "name": "Still allowed",
        },
        format="json",
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.subscription_tier == "free"
    assert story_quota(user=user).stories_limit == 10
    assert user.subscription_expiry is None
    assert user.email.startswith("parent")
    assert user.is_staff is False
    assert not EmailAddress.objects.filter(user=user, verified=True).exists()
    assert user.name == "Still allowed"
    assert user.parental_consent_version == settings.PARENTAL_CONSENT_POLICY_VERSION


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"preferredLanguage": "xx"}, "preferredLanguage"),
        ({"themePreference": "neon"}, "themePreference"),
        ({"name": "x" * 101}, "name"),
        ({"name": 12}, "name"),
    ],
)
def test_patch_invalid_is_400_and_changes_nothing(auth_client, user, body, field):
    before = (user.name, user.preferred_language, user.theme_preference)

    response = auth_client.patch("/api/user/profile", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["details"]
    user.refresh_from_db()
    assert (user.name, user.preferred_language, user.theme_preference) == before


def test_profile_needs_a_session(client):
    assert client.get("/api/user/profile").status_code == 401
