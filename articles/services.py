"""Writes for content: renditions (rendered once per content hash and audience, then kept)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from articles import readability
from articles.audiences import resolve_text
from articles.glossary import annotate, current_glossary
from articles.models import (
    Article,
    CitationLink,
    HistoricalArticle,
    ProblemReport,
    ReadabilityScore,
    Rendition,
)
from articles.rendering import PIPELINE_VERSION, Rendered, further_reading, render_markdown
from references.models import Reference
from references.selectors import references_for_keys

RENDITION_CACHE_SECONDS = 60 * 60 * 24


def rendition_pipeline(audience: str) -> str:
    """The rendering recipe for an audience: the code's version, plus the glossary's fingerprint
    where definitions are added (so a glossary edit makes new renditions, not stale pages)."""
    if audience in settings.EDITORIAL_GLOSSARY_AUDIENCES:
        return f"{PIPELINE_VERSION}+g{current_glossary().fingerprint}"
    return PIPELINE_VERSION


def audience_rendering(
    text: str,
    *,
    audience: str,
    references: Mapping[str, Reference],
    keep_unknown: bool = False,
) -> Rendered:
    """One audience's text as its readers get it: numbered citations, and glossary definitions
    in the renderings that carry them. Renditions and the editor's live preview both use it, so
    the preview cannot drift from the page."""
    rendered = render_markdown(text, references=references, keep_unknown=keep_unknown)
    if audience not in settings.EDITORIAL_GLOSSARY_AUDIENCES:
        return rendered
    return Rendered(html=annotate(rendered.html, current_glossary()), citations=rendered.citations)


def rendition_cache_key(*, content_hash: str, audience: str, pipeline: str) -> str:
    return f"rendition:{pipeline}:{content_hash}:{audience}"


def _version_keys(version: HistoricalArticle) -> list[str]:
    return [*version.citation_keys, *(getattr(version, "sources", None) or ())]


def evidence_fingerprint(*, references: Mapping[str, Reference]) -> str:
    """The pipeline a publication pins: the code's version, and a digest of the glossary and of
    the metadata of the sources the version cites or lists, as they are now.

    Renditions are stored per pipeline, so a live page keeps the definitions and bibliography it
    went live with; a later glossary or library edit reaches readers when the article is next
    published (after review), not silently.
    """
    sources = sorted({(r.pk, r.updated_at.isoformat()) for r in references.values()})
    digest = hashlib.sha256(repr((current_glossary().fingerprint, sources)).encode())
    return f"{PIPELINE_VERSION}+{digest.hexdigest()[:12]}"


def live_renditions_render(
    *, version: HistoricalArticle, audiences: Iterable[str]
) -> tuple[str, dict[str, Rendition]]:
    """Render a version going live for every audience under a pipeline pinned to the glossary and
    reference metadata of this moment; returns the pipeline to keep on the article."""
    references = references_for_keys(_version_keys(version))
    pipeline = evidence_fingerprint(references=references)
    return pipeline, renditions_get_or_create(
        version=version, audiences=audiences, pipeline=pipeline, references=references
    )


def rendition_get_or_create(
    *, version: HistoricalArticle, audience: str, pinned: str = ""
) -> Rendition:
    """The rendition of a frozen version for one audience, rendering it the first time only.

    `version` is a historical Article row (or the Article itself for a preview): anything with
    `content_hash`, `texts` and `citation_keys`. The cache answers first; the database keeps it.
    `pinned` is a live article's `live_rendering`: honoured while the rendering code is the one
    that made it (a new PIPELINE_VERSION re-renders, as for any rendition).
    """
    pipeline = pinned if pinned.startswith(f"{PIPELINE_VERSION}+") else None
    return renditions_get_or_create(version=version, audiences=[audience], pipeline=pipeline)[
        audience
    ]


def renditions_get_or_create(
    *,
    version: HistoricalArticle,
    audiences: Iterable[str],
    pipeline: str | None = None,
    references: Mapping[str, Reference] | None = None,
) -> dict[str, Rendition]:
    """The renditions of a version for several audiences: one cache round trip, then at most one
    query for those kept, one for the cited references and one insert for those never rendered.

    `pipeline` pins the renditions of a live version (see `live_renditions_render`); without it,
    each audience's current pipeline. `references` saves looking the sources up again."""
    pipelines = {audience: pipeline or rendition_pipeline(audience) for audience in audiences}
    keys = {
        audience: rendition_cache_key(
            content_hash=version.content_hash, audience=audience, pipeline=pipeline
        )
        for audience, pipeline in pipelines.items()
    }
    cached = cache.get_many(list(keys.values()))
    found = {audience: cached[key] for audience, key in keys.items() if key in cached}
    missing = [audience for audience in pipelines if audience not in found]
    if not missing:
        return found
    found |= _stored_renditions(version=version, pipelines={a: pipelines[a] for a in missing})
    unrendered = [audience for audience in missing if audience not in found]
    if unrendered:
        found |= renditions_render(
            version=version,
            pipelines={a: pipelines[a] for a in unrendered},
            references=references,
        )
    cache.set_many(
        {keys[audience]: found[audience] for audience in missing}, RENDITION_CACHE_SECONDS
    )
    return found


def _stored_renditions(
    *, version: HistoricalArticle, pipelines: dict[str, str]
) -> dict[str, Rendition]:
    stored = Rendition.objects.filter(
        content_hash=version.content_hash,
        audience__in=list(pipelines),
        pipeline__in=set(pipelines.values()),
    )
    return {r.audience: r for r in stored if pipelines[r.audience] == r.pipeline}


def renditions_render(
    *,
    version: HistoricalArticle,
    pipelines: dict[str, str],
    references: Mapping[str, Reference] | None = None,
) -> dict[str, Rendition]:
    """Render and store one version's renditions for the given audiences and pipelines.

    Public for the benchmark generator, which renders a template article through the real pipeline.
    """
    sources = list(getattr(version, "sources", None) or ())
    if references is None:
        references = references_for_keys(_version_keys(version))
    further = further_reading(
        sources=sources, citation_keys=version.citation_keys, references=references
    )
    renditions = {}
    for audience, pipeline in pipelines.items():
        resolved = resolve_text(version.texts, audience)
        source_audience, text = resolved if resolved else (audience, "")
        rendered = audience_rendering(
            text, audience=audience, references=references, keep_unknown=True
        )
        renditions[audience] = Rendition(
            content_hash=version.content_hash,
            audience=audience,
            pipeline=pipeline,
            source_audience=source_audience,
            body_html=rendered.html,
            citations=[citation.as_dict() for citation in rendered.citations],
            further_reading=further,
        )
    try:
        with transaction.atomic():
            Rendition.objects.bulk_create(renditions.values())
    except IntegrityError:
        # Another request rendered some of them at the same moment: keep theirs, store the rest.
        Rendition.objects.bulk_create(renditions.values(), ignore_conflicts=True)
        renditions = _stored_renditions(version=version, pipelines=pipelines)
    return renditions


class RateLimited(Exception):
    """Too many problem reports from one address in the last hour."""


REPORTS_PER_HOUR = 5


def reporter_fingerprint(address: str) -> str:
    """A keyed hash of the reader's address: enough to rate-limit, useless to identify them."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def problem_report_create(
    *,
    article: Article,
    version: int,
    audience: str,
    kind: str,
    message: str,
    email: str,
    address: str,
) -> ProblemReport:
    """Store a reader's report about a published version; at most REPORTS_PER_HOUR per address."""
    fingerprint = reporter_fingerprint(address)
    key = f"problem-reports:{fingerprint}"
    cache.add(key, 0, 60 * 60)
    if cache.incr(key) > REPORTS_PER_HOUR:
        raise RateLimited("You have sent several reports in the last hour; please try again later.")
    report = ProblemReport(
        article=article,
        version=version,
        audience=audience,
        kind=kind,
        message=message.strip(),
        email=email,
        reporter_fingerprint=fingerprint,
    )
    report.full_clean()
    report.save()
    return report


def readability_scores(*, version: HistoricalArticle) -> dict[str, ReadabilityScore]:
    """Scores of every audience text of a version (article or history row), computed once."""
    stored = {
        s.audience: s
        for s in ReadabilityScore.objects.filter(
            content_hash=version.content_hash,
            library=readability.LIBRARY,
            library_version=readability.LIBRARY_VERSION,
        )
    }
    for audience, text in sorted((version.texts or {}).items()):
        if audience in stored:
            continue
        result = readability.score(text)
        try:
            with transaction.atomic():
                stored[audience] = ReadabilityScore.objects.create(
                    content_hash=version.content_hash,
                    audience=audience,
                    fk_grade=result.fk_grade,
                    smog=result.smog,
                    words=result.words,
                    library=result.library,
                    library_version=result.library_version,
                )
        except IntegrityError:
            stored[audience] = ReadabilityScore.objects.get(
                content_hash=version.content_hash,
                audience=audience,
                library=result.library,
                library_version=result.library_version,
            )
    return stored


def citation_links_set(*, article: Article, reference_ids: Iterable[int]) -> None:
    """Index the references the article's live version cites (empty when it is not live)."""
    CitationLink.objects.filter(article=article).delete()
    CitationLink.objects.bulk_create(
        [CitationLink(article=article, reference_id=pk) for pk in sorted(set(reference_ids))]
    )
