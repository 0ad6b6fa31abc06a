"""Renditions of the live versions and the citation index, from one template rendered once.

Seed data: rendering 4 x N texts through the real pipeline would dominate the time, so one
seed-sized article is rendered once (and rolled back) and its HTML reused for every live version.
"""

from __future__ import annotations

import random
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.db import transaction

from articles import content
from articles.content import collect_citation_keys
from articles.models import CitationLink, Rendition
from articles.services import rendition_pipeline, renditions_render
from bench.generation.articles import Draft
from bench.generation.references import Library
from bench.generation.shared import AUDIENCES, CITATIONS_PER_ARTICLE, CONDITIONS
from bench.generation.text import TextBank, article_texts, join_texts

# Per audience: (body HTML, citations, source audience, pipeline)
Template = dict[str, tuple[Any, Any, Any, Any]]


def render_template(*, seed: int, bank: TextBank, library: Library) -> Template:
    """One seed-sized article rendered through the real pipeline, once; every live version's
    renditions reuse its HTML (seed data: rendering 4 x N texts would dominate the time)."""
    rng = random.Random(seed)
    markers = library.markers(library.reference_ids[:CITATIONS_PER_ARTICLE])
    texts = content.normalise_texts(
        join_texts(article_texts(bank, rng, condition=CONDITIONS[0], markers=markers))
    )
    version = SimpleNamespace(
        texts=texts, citation_keys=collect_citation_keys(texts), content_hash="0" * 64
    )
    template: Template = {}
    with transaction.atomic():
        renditions = renditions_render(
            version=version, pipelines={a: rendition_pipeline(a) for a in AUDIENCES}
        )
        for audience, rendition in renditions.items():
            template[audience] = (
                rendition.body_html,
                rendition.citations,
                rendition.source_audience,
                rendition.pipeline,
            )
        transaction.set_rollback(True)  # keep the HTML, not the row
    return template


def rendition_rows(draft: Draft, template: Template, *, now: datetime) -> list[Any]:
    """The live version's renditions, one per audience, with the template's HTML."""
    live = draft.live
    if live is None:
        return []
    rows = []
    for audience in AUDIENCES:
        body, citations, source, pipeline = template[audience]
        rows.append(
            Rendition(
                content_hash=live.content_hash,
                audience=audience,
                pipeline=pipeline,
                source_audience=source,
                body_html=body,
                citations=citations,
                created_at=now,
            )
        )
    return rows


def citation_links(draft: Draft) -> list[Any]:
    """The citation index of a published article: one link per reference it cites."""
    if draft.live is None:
        return []
    return [CitationLink(article_id=draft.plan.pk, reference_id=r) for r in sorted(set(draft.refs))]
