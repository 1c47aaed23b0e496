import factory
from django.utils import timezone

from notifications.models import Device
from tests.accounts.factories import UserFactory


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    user = factory.SubFactory(UserFactory)
    token = factory.Sequence(lambda n: f"{n:064x}")
    platform = "ios"
    environment = "production"
    last_used_at = factory.LazyFunction(timezone.now)
