"""The configured audiences (settings.EDITORIAL_AUDIENCES) as typed objects."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver


@dataclass(frozen=True)
class Audience:
    key: str
    label: str
    description: str
    reading_grade: float | None
    fallback: tuple[str, ...]
    schema_audience: str


@cache
def audiences() -> dict[str, Audience]:
    """Every configured audience by key, in the order of the settings."""
    configured = {
        item["key"]: Audience(
            key=item["key"],
            label=item["label"],
            description=item.get("description", ""),
            reading_grade=item.get("reading_grade"),
            fallback=tuple(item.get("fallback", ())),
            schema_audience=item.get("schema_audience", "MedicalAudience"),
        )
        for item in settings.EDITORIAL_AUDIENCES
    }
    for audience in configured.values():
        unknown = set(audience.fallback) - configured.keys()
        if unknown:
            raise ImproperlyConfigured(
                f"Audience {audience.key!r} falls back to unknown audiences: {sorted(unknown)}"
            )
    if settings.EDITORIAL_DEFAULT_AUDIENCE not in configured:
        raise ImproperlyConfigured("EDITORIAL_DEFAULT_AUDIENCE names no configured audience.")
    return configured


def audience_keys() -> list[str]:
    return list(audiences())


def default_audience() -> Audience:
    return audiences()[settings.EDITORIAL_DEFAULT_AUDIENCE]


def audience_choices() -> list[tuple[str, str]]:
    return [(a.key, a.label) for a in audiences().values()]


def resolve_text(texts: dict[str, str], audience_key: str) -> tuple[str, str] | None:
    """Return (source audience key, text) for `audience_key`, following its fallback order.

    None when no audience in the chain has any text.
    """
    audience = audiences()[audience_key]
    for key in (audience.key, *audience.fallback):
        text = texts.get(key, "")
        if text.strip():
            return key, text
    return None


@receiver(setting_changed)
def _forget_audiences(*, setting: str, **kwargs: object) -> None:
    if setting in {"EDITORIAL_AUDIENCES", "EDITORIAL_DEFAULT_AUDIENCE"}:
        audiences.cache_clear()
