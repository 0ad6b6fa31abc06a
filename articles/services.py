"""Writes for content: renditions (rendered once per content hash and audience, then kept)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from .audiences import resolve_text
from .models import ProblemReport, Rendition
from .rendering import PIPELINE_VERSION, references_for_keys, render_markdown

RENDITION_CACHE_SECONDS = 60 * 60 * 24


def rendition_cache_key(*, content_hash: str, audience: str) -> str:
    return f"rendition:{PIPELINE_VERSION}:{content_hash}:{audience}"


def rendition_get_or_create(*, version: Any, audience: str) -> Rendition:
    """The rendition of a frozen version for one audience, rendering it the first time only.

    `version` is a historical Article row (or the Article itself for a preview): anything with
    `content_hash`, `texts` and `citation_keys`. The cache answers first; the database keeps it.
    """
    key = rendition_cache_key(content_hash=version.content_hash, audience=audience)
    cached = cache.get(key)
    if cached is not None:
        return cached
    rendition = Rendition.objects.filter(
        content_hash=version.content_hash, audience=audience, pipeline=PIPELINE_VERSION
    ).first()
    if rendition is None:
        rendition = _render(version=version, audience=audience)
    cache.set(key, rendition, RENDITION_CACHE_SECONDS)
    return rendition


def _render(*, version: Any, audience: str) -> Rendition:
    resolved = resolve_text(version.texts, audience)
    source_audience, text = resolved if resolved else (audience, "")
    rendered = render_markdown(text, references=references_for_keys(version.citation_keys))
    rendition = Rendition(
        content_hash=version.content_hash,
        audience=audience,
        pipeline=PIPELINE_VERSION,
        source_audience=source_audience,
        body_html=rendered.html,
        citations=[citation.as_dict() for citation in rendered.citations],
    )
    try:
        with transaction.atomic():
            rendition.save()
    except IntegrityError:
        # Another request rendered the same version at the same moment; keep theirs.
        rendition = Rendition.objects.get(
            content_hash=version.content_hash, audience=audience, pipeline=PIPELINE_VERSION
        )
    return rendition


class RateLimited(Exception):
    """Too many problem reports from one address in the last hour."""


REPORTS_PER_HOUR = 5


def reporter_fingerprint(address: str) -> str:
    """A keyed hash of the reader's address: enough to rate-limit, useless to identify them."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def problem_report_create(
    *, article: Any, version: int, audience: str, kind: str, message: str, email: str, address: str
) -> ProblemReport:
    """Store a reader's report about a published version; at most REPORTS_PER_HOUR per address."""
    fingerprint = reporter_fingerprint(address)
    key = f"problem-reports:{fingerprint}"
    cache.add(key, 0, 60 * 60)
    if cache.incr(key) > REPORTS_PER_HOUR:
        raise RateLimited("You have sent several reports in the last hour; please try again later.")
    report = ProblemReport(article=article, version=version, audience=audience, kind=kind,
                           message=message.strip(), email=email, reporter_fingerprint=fingerprint)
    report.full_clean()
    report.save()
    return report
