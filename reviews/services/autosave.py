"""Autosaves of the edit form: kept on the server, never a version, never a workflow event.

Who may autosave is who may save: the `edit` row of the workflow table for an article (its
authors and editors, in a state that allows editing), the writing roles for a new article. One
autosave per person and article (and one for "new article"), replaced at each write. When a new
one is created, autosaves untouched for AUTOSAVE_KEEP_DAYS are deleted: a draft abandoned for a
month is not coming back, and the table stays as small as the number of people writing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from articles import limits
from articles.audiences import audience_keys, audiences
from articles.forms import text_field_name
from articles.models import Article
from reviews.models import Autosave
from reviews.selectors.roles import can_create_articles
from reviews.services.transitions import authorize

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

AUTOSAVE_KEEP_DAYS = 30
MAX_LINE_CHARS = 2_000  # title, slug, change reason, change weight: far above their limits
MAX_LIST_ITEMS = 200  # related articles, topics
MAX_ID_DIGITS = 18  # an id a 64-bit column holds


class AutosaveTooLarge(ValidationError):
    """Over a size limit: its own class so the endpoint answers 413 rather than 400."""


def long_fields() -> tuple[str, ...]:
    """The fields kept as typed up to one text's size: every audience text, summary, sources."""
    return (*(text_field_name(key) for key in audience_keys()), "summary", "sources")


LINE_FIELDS = ("title", "slug", "change_reason", "change_weight")
LIST_FIELDS = ("related", "topics")
# How messages name a field: as the form's labels do, never by its internal name.
FIELD_LABELS = {
    "summary": "The summary",
    "sources": "The sources",
    "title": "The title",
    "slug": "The address",
    "change_reason": "The reason for the change",
    "change_weight": "The kind of change",
    "related": "Related articles",
    "topics": "Topics",
}


def field_label(name: str) -> str:
    """ "The patient text" for text_patient, the form's wording for the others."""
    for key, audience in audiences().items():
        if name == text_field_name(key):
            return limits.text_label(audience.label)
    return FIELD_LABELS.get(name, name)


def max_autosave_bytes() -> int:
    """The largest request an autosave may be: every long field full, twice over (JSON escapes
    quotes, backslashes and line breaks), plus room for the rest. Under Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), so this limit, with its message, is the one met."""
    return 2 * len(long_fields()) * limits.MAX_TEXT_BYTES + 64 * 1024


def autosave_clean(data: object) -> dict[str, str | list[str]]:
    """The form state as stored: known fields only, strings and lists of ids, each bounded.

    Invalid content (an unknown citation, a missing title) is kept: it is what the person typed,
    and the form will say what is wrong when they save. Only the shape and the size are refused.
    """
    if not isinstance(data, Mapping):
        raise ValidationError("“fields” must be an object of form field names and values.")
    unknown = sorted(set(data) - {*long_fields(), *LINE_FIELDS, *LIST_FIELDS})
    if unknown:
        raise ValidationError(
            "Unknown form field(s): %(names)s.", params={"names": ", ".join(unknown[:10])}
        )
    cleaned: dict[str, str | list[str]] = {}
    for name, value in data.items():
        if name in LIST_FIELDS:
            cleaned[name] = _id_list(name, value)
            continue
        if not isinstance(value, str):
            raise ValidationError(
                "%(label)s must be a string.", params={"label": field_label(name)}
            )
        if name in LINE_FIELDS and len(value) > MAX_LINE_CHARS:
            raise _over(name, len(value), MAX_LINE_CHARS, "characters")
        # Raw, before the one limit message: a text of spaces normalises to nothing but is
        # still stored as typed, so what is kept is bounded too.
        raw_size = len(value.encode("utf-8", "surrogatepass"))
        too_large = limits.too_large(value, label=field_label(name))
        if too_large is not None:
            raise AutosaveTooLarge(too_large.message, code="too_large")
        if raw_size > 2 * limits.MAX_TEXT_BYTES:
            raise _over(name, raw_size, 2 * limits.MAX_TEXT_BYTES, "bytes as typed")
        cleaned[name] = value
    return cleaned


def _over(name: str, size: int, limit: int, unit: str) -> AutosaveTooLarge:
    """The refusal of a field over what an autosave keeps, in the field's own words."""
    return AutosaveTooLarge(
        "%(label)s is %(size)s %(unit)s; at most %(limit)s are kept.",
        params={
            "label": field_label(name),
            "size": f"{size:,}",
            "unit": unit,
            "limit": f"{limit:,}",
        },
    )


def _id_list(name: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(
            "%(label)s must be a list of ids as strings.", params={"label": field_label(name)}
        )
    if len(value) > MAX_LIST_ITEMS:
        raise AutosaveTooLarge(
            "%(label)s lists %(count)s items; at most %(limit)s are kept.",
            params={"label": field_label(name), "count": len(value), "limit": MAX_LIST_ITEMS},
        )
    bad = [item for item in value if not (item.isdigit() and len(item) <= MAX_ID_DIGITS)]
    if bad:
        raise ValidationError(
            "%(label)s holds something that is no id: %(value)s.",
            params={"label": field_label(name), "value": bad[0][:40]},
        )
    return list(dict.fromkeys(value))


def autosave_store(
    *,
    user: AbstractBaseUser,
    article: Article | None,
    data: object,
    base_version: object = None,
) -> Autosave:
    """Keep the form state of `user` for `article` (None: the new-article form).

    Refused as a save would be: PermissionDenied (403) for someone who may not edit it,
    WorkflowError (409) in a state where editing is closed, ValidationError (400) for a bad shape,
    AutosaveTooLarge (413). Writes nothing else: no version, no history, no audit event.
    """
    if article is None:
        if not can_create_articles(user=user):
            raise PermissionDenied("Only authors and editors write articles.")
        version = 0
    else:
        authorize(user=user, article=article, workflow=article.workflow, action="edit")
        version = _base_version(base_version, current=article.version)
    fields = autosave_clean(data)
    now = timezone.now()
    values = {"data": fields, "base_version": version, "saved_at": now}
    # Two tabs creating it at once: update_or_create finds the other's row and updates it.
    autosave, created = Autosave.objects.update_or_create(
        user=user, article=article, defaults=values
    )
    if created:
        Autosave.objects.filter(saved_at__lt=now - timedelta(days=AUTOSAVE_KEEP_DAYS)).delete()
    return autosave


def _base_version(value: object, *, current: int) -> int:
    if value is None:
        return current
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= current:
        raise ValidationError(
            "“base_version” must be the number of a version of this article (1 to %(current)s).",
            params={"current": current},
        )
    return value


def autosave_discard(*, user: AbstractBaseUser, article: Article | None) -> int:
    """Forget the user's autosave of `article` (or of their new article); how many were removed.

    Only ever the user's own row, so no other permission is needed.
    """
    deleted, _ = Autosave.objects.filter(user=user, article=article).delete()
    return deleted
