"""Template helpers for the public site."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.html import _json_script_escapes  # type: ignore[attr-defined]
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def ld_json(value: Any) -> SafeString:
    """JSON for a <script type="application/ld+json"> block, escaped so it cannot close the tag."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return mark_safe(text.translate(_json_script_escapes))  # noqa: S308 - escaped above


@register.filter
def short_hash(value: str) -> str:
    return (value or "")[:12]


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)
