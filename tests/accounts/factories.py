import factory

from accounts.models import User
from accounts.services import consent_to_current_policy

PASSWORD = "SecurePass123!"


class UserFactory(factory.django.DjangoModelFactory):
    """A parent. By default they have consented to the current policy, as every family must
    before any AI work (PARENTAL_CONSENT_REQUIRED); `UserFactory(consent=False)` has not."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"parent{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def consent(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        consent_to_current_policy(
            user=obj, app_version="tests", ip_address="127.0.0.1", user_agent="tests"
        )
        obj.refresh_from_db(fields=["parental_consent_version", "parental_consent_at"])
