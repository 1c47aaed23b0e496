"""{% storage_dashboard %}: the admin index's storage panel, the last reconciliation's counts
(media.reconcile) and the pending file records still waiting to be settled."""

from django import template

from ..models import PendingFile
from ..reconcile import last_reconciliation

register = template.Library()


@register.inclusion_tag("admin/media/storage_panel.html")
def storage_dashboard() -> dict:
    return {"run": last_reconciliation(), "pending": PendingFile.objects.count()}
