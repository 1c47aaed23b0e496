from django.contrib import admin
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

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


def devices_table(user) -> str:
    """A user's phones and the last push each got, for the user's admin page (read-only HTML,
    not an inline: the user form's POST needs no formset of devices)."""
    rows = list(Device.objects.filter(user=user).order_by("-last_used_at")) if user.pk else []
    if not rows:
        return "—"
    url = reverse("admin:notifications_device_changelist") + f"?user__id__exact={user.pk}"
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                device.environment,
                token_end(device),
                date_format(device.last_used_at, "SHORT_DATETIME_FORMAT"),
                date_format(device.last_push_at, "SHORT_DATETIME_FORMAT")
                if device.last_push_at
                else "—",
                device.last_push_result or "—",
                device.last_push_reason,
            )
            for device in rows
        ),
    )
    return format_html(
        "<table><tr><th>environment</th><th>token</th><th>last registered</th>"
        "<th>last push</th><th>result</th><th>reason</th></tr>{}</table>"
        '<a href="{}">{} device(s)</a>',
        body,
        url,
        len(rows),
    )


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
