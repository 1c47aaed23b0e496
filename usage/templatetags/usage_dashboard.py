"""{% cost_dashboard %}: the admin index's spend, budget and AI health panels, with charts.

Only staff who may see usage (the `usage.view_usagemetric` permission) see them: the panels name
the top spenders by e-mail and what the service spends. Other staff see the app list only."""

from django import template

from ..charts import bar_chart
from ..selectors import cost_dashboard as dashboard_figures
from ..selectors import model_watch_rows

register = template.Library()


USAGE_PERMISSION = "usage.view_usagemetric"


@register.inclusion_tag("admin/usage/dashboard.html", takes_context=True)
def cost_dashboard(context) -> dict:
    request = context.get("request")
    if request is None or not request.user.has_perm(USAGE_PERMISSION):
        return {"hidden": True}
    figures = dashboard_figures()
    figures["models"] = model_watch_rows()
    labels = [f"{row['day']:%m-%d}" for row in figures["daily"]]
    figures["spend_chart"] = bar_chart(
        title="AI spend per day (USD)",
        labels=labels,
        values=[float(row["spend"]) for row in figures["daily"]],
        css_class="chart-daily-spend",
    )
    figures["stories_chart"] = bar_chart(
        title="New stories per day",
        labels=labels,
        values=[row["stories"] for row in figures["daily"]],
        css_class="chart-daily-stories",
    )
    return figures
