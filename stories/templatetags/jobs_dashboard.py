"""{% jobs_dashboard %}: the admin index's generation jobs panel (queued, processing, failed),
each linking to the jobs list filtered by that status."""

from django import template

from ..models import GenerationJob
from ..selectors import job_status_counts

register = template.Library()

SHOWN = [GenerationJob.Status.QUEUED, GenerationJob.Status.PROCESSING, GenerationJob.Status.FAILED]


@register.inclusion_tag("admin/stories/jobs_panel.html", takes_context=True)
def jobs_dashboard(context) -> dict:
    """Shown to staff who may see the jobs (`stories.view_generationjob`); others see nothing."""
    request = context.get("request")
    if request is None or not request.user.has_perm("stories.view_generationjob"):
        return {"hidden": True}
    counts = job_status_counts(statuses=SHOWN)
    return {"jobs": [{"status": status, "count": counts[status]} for status in SHOWN]}
