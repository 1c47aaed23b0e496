from django.contrib import admin

from infinitestories.admin import SystemMadeMixin

from .models import Device

# What staff see of a phone, wherever devices are listed: never the whole token.
DEVICE_COLUMNS = [
    "platform",
    "environment",
    "token_end",
    "locale",
    "created_at",
    "last_used_at",
    "last_push_at",
    "last_push_result",
    "last_push_reason",
]


@admin.display(description="token")
def token_end(device: Device) -> str:
    return f"…{device.token[-6:]}" if device.token else ""


class DeviceInline(SystemMadeMixin, admin.TabularInline):
    """A user's phones and the last push each got (on the user's page). Staff may delete one
    (it stops getting pushes); only the app registers them."""

    model = Device
    extra = 0
    can_delete = True
    fields = DEVICE_COLUMNS
    readonly_fields = [*DEVICE_COLUMNS]
    ordering = ["-last_used_at"]

    token_end = staticmethod(token_end)


@admin.register(Device)
class DeviceAdmin(SystemMadeMixin, admin.ModelAdmin):
    list_display = ["id", "user", *DEVICE_COLUMNS]
    list_filter = ["environment", "last_push_result"]
    search_fields = ["id", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["id", "user", *DEVICE_COLUMNS]
    fields = readonly_fields
    ordering = ["-last_used_at"]

    token_end = staticmethod(token_end)
