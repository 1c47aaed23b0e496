from django.conf import settings
from django.db import models

from infinitestories.ids import PublicIdField


class Device(models.Model):
    """A phone that receives the family's pushes (its APNs device token).

    The token is kept as Apple gave it: a push is addressed to it, so it cannot be hashed. It is
    not a credential (only our signed provider token can send to it) and is never logged whole.
    One token belongs to one account at a time: a phone signed in to another account moves.
    """

    class Platform(models.TextChoices):
        IOS = "ios"

    class Environment(models.TextChoices):
        PRODUCTION = "production"
        SANDBOX = "sandbox"

    class PushResult(models.TextChoices):
        SENT = "sent"
        FAILED = "failed"

    id = PublicIdField(prefix="dev")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices"
    )
    token = models.CharField(max_length=200, unique=True)
    platform = models.CharField(max_length=10, choices=Platform.choices, default=Platform.IOS)
    environment = models.CharField(
        max_length=12, choices=Environment.choices, default=Environment.PRODUCTION
    )
    locale = models.CharField(max_length=35, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Registered again (each app start): devices not seen for long are the first to go.
    last_used_at = models.DateTimeField()
    # What the last push to this device gave, for staff (the admin): when, sent or failed, why.
    last_push_at = models.DateTimeField(null=True, blank=True)
    last_push_result = models.CharField(max_length=10, choices=PushResult.choices, blank=True)
    last_push_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-last_used_at"])]

    def __str__(self) -> str:
        return f"{self.platform} {self.environment} …{self.token[-6:]}"
