"""Server-rendered SVG charts for the admin dashboard (pygal; nothing is loaded from a CDN)."""

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#333",
    foreground_strong="#333",
    foreground_subtle="#ccc",
    colors=("#417690", "#79aec8"),
    font_family="-apple-system, 'Segoe UI', Roboto, sans-serif",
)


def bar_chart(*, title: str, labels: list[str], values: list[float], css_class: str) -> SafeString:
    """A bar chart as inline SVG. pygal's tooltip script is left out (`js=[]`): it would be
    fetched from a CDN, and the admin must work without one."""
    chart = pygal.Bar(
        title=title,
        width=720,
        height=260,
        show_legend=False,
        x_label_rotation=45,
        show_minor_x_labels=False,
        x_labels_major_every=5,
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        css=["file://style.css", "file://graph.css"],
        classes=["pygal-chart", css_class],
    )
    chart.x_labels = labels
    chart.add(title, values)
    return mark_safe(chart.render(is_unicode=True))  # noqa: S308 - SVG made here from numbers
