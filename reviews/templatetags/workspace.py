"""Template helpers for the editorial workspace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from reviews import workflow

register = template.Library()

BAR_HEIGHT, GAP, LABEL_WIDTH, CHART_WIDTH = 22, 6, 70, 420


@register.simple_tag
def turnaround_chart(months: Sequence[Any]) -> SafeString:
    """A horizontal bar chart (inline SVG, no script) of median review days per month."""
    if not months:
        return format_html(
            '<p class="empty">{}</p>', "No article has been approved in the last year."
        )
    longest = max(m.median_days for m in months) or 1
    height = len(months) * (BAR_HEIGHT + GAP)
    bars = format_html_join(
        "",
        '<g><text x="0" y="{}" class="chart-label">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" class="chart-bar"></rect>'
        '<text x="{}" y="{}" class="chart-value">{} d ({} reviews)</text></g>',
        (
            (
                i * (BAR_HEIGHT + GAP) + 15,
                m.month,
                LABEL_WIDTH,
                i * (BAR_HEIGHT + GAP),
                max(2, round(m.median_days / longest * (CHART_WIDTH - LABEL_WIDTH - 110))),
                BAR_HEIGHT,
                LABEL_WIDTH
                + max(2, round(m.median_days / longest * (CHART_WIDTH - LABEL_WIDTH - 110)))
                + 6,
                i * (BAR_HEIGHT + GAP) + 15,
                m.median_days,
                m.reviews,
            )
            for i, m in enumerate(months)
        ),
    )
    summary = "; ".join(
        f"{m.month}: median {m.median_days} days over {m.reviews} reviews" for m in months
    )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%">{}</svg>',
        f"Review turnaround by month. {summary}",
        CHART_WIDTH,
        height,
        bars,
    )


@register.filter
def action_label(action: str) -> str:
    """`{{ event.action|action_label }}`: the workflow table's label for an audit action."""
    return workflow.action_label(action)


@register.simple_tag(takes_context=True)
def page_link(context: Any, param: str, number: int) -> str:
    """`?…` for page `number` of the list paged by `param`, keeping the page's other parameters
    (the state tab, the other lists' pages), so paging one list does not reset the rest."""
    query = context["request"].GET.copy()
    query[param] = number
    return "?" + query.urlencode()
