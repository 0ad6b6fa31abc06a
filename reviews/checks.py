"""Evidence and readability checks on an article's working version, as PublishPress Checklists does.

Each check is required (it blocks submission and approval) or recommended (it blocks until
someone records a reason to go ahead anyway, for this exact version), or informational. The
level of each check can be changed in settings.EDITORIAL_CHECK_LEVELS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from statistics import median
from typing import Any

from django.conf import settings

from articles.audiences import audiences
from articles.models import Article
from articles.rendering import listed_not_cited, unresolved_keys, unresolved_markers
from articles.services import readability_scores
from references.models import Reference
from references.selectors import references_for_keys
from references.vancouver import format_short_reference
from reviews.models import CheckWaiver


class Level(StrEnum):
    REQUIRED = "required"
    RECOMMENDED = "recommended"
    INFO = "info"


@dataclass(frozen=True)
class CheckResult:
    key: str
    label: str
    level: Level
    problems: tuple[str, ...]
    detail: str = ""
    waiver: CheckWaiver | None = None

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def blocking(self) -> bool:
        if self.passed or self.level == Level.INFO:
            return False
        return self.level == Level.REQUIRED or self.waiver is None

    @property
    def waivable(self) -> bool:
        return not self.passed and self.level == Level.RECOMMENDED and self.waiver is None


@dataclass(frozen=True)
class Evidence:
    """What the checks look at, loaded once: the cited references and the readability scores.

    `references` maps the keys of the citation markers and of the listed sources; `cited` holds
    the references the markers name and `listed` those the sources name, in list order.
    """

    article: Article
    cited: list[Reference]
    references: Mapping[str, Reference]
    listed: list[Reference]
    scores: Mapping[str, Any]


Check = Callable[[Evidence], tuple[tuple[str, ...], str]]

DEFAULT_LEVELS: dict[str, Level] = {
    "citations.unresolved": Level.REQUIRED,
    "citations.retracted": Level.REQUIRED,
    "citations.superseded": Level.RECOMMENDED,
    "citations.no_identifier": Level.RECOMMENDED,
    "citations.listed_not_cited": Level.RECOMMENDED,
    "evidence.age": Level.INFO,
    "readability": Level.RECOMMENDED,
}


def level_of(key: str) -> Level:
    configured = getattr(settings, "EDITORIAL_CHECK_LEVELS", {})
    return Level(configured.get(key, DEFAULT_LEVELS[key]))


def _unresolved(ev: Evidence) -> tuple[tuple[str, ...], str]:
    problems = []
    for key, text in sorted(ev.article.texts.items()):
        unknown = unresolved_markers(text, ev.references)
        if unknown:
            markers = ", ".join(f"[@{m}]" for m in unknown)
            problems.append(f"{audiences()[key].label} text: unknown citation marker(s) {markers}.")
    return tuple(problems), ""


def _retracted(ev: Evidence) -> tuple[tuple[str, ...], str]:
    # Listed sources too: readers are shown them as further reading.
    shown = {r.pk: r for r in [*ev.cited, *ev.listed]}.values()
    return tuple(
        f"{r.citekey} was retracted on {r.retracted_on:%d %B %Y}; remove it or replace it."
        for r in shown
        if r.retracted_on
    ), ""


def _superseded(ev: Evidence) -> tuple[tuple[str, ...], str]:
    return tuple(
        f"{r.citekey} is superseded by {r.superseded_by.citekey}"
        f"{f' ({r.superseded_by.year})' if r.superseded_by.year else ''}; cite the newer source or say why not."
        for r in ev.cited
        if r.superseded_by_id
    ), ""


def _no_identifier(ev: Evidence) -> tuple[tuple[str, ...], str]:
    return tuple(
        f"{r.citekey} has no DOI, PMID or PMCID, so readers cannot look it up reliably."
        for r in ev.cited
        if not (r.doi or r.pmid or r.pmcid)
    ), ""


def _listed_not_cited(ev: Evidence) -> tuple[tuple[str, ...], str]:
    sources = ev.article.sources
    problems = [
        f"Listed but never cited: {format_short_reference(ref)} ({key}). Cite it in the text, "
        "remove it, or record why it stays."
        for key, ref in listed_not_cited(
            sources=sources, citation_keys=ev.article.citation_keys, references=ev.references
        )
    ]
    # Validation refuses such keys; a reference removed from the library since is named here.
    problems += [
        f"Listed source {key} is not in the reference library: correct it or remove it."
        for key in unresolved_keys(sources, ev.references)
    ]
    return tuple(problems), f"{len(sources)} listed." if sources else "No sources listed."


def _age(ev: Evidence) -> tuple[tuple[str, ...], str]:
    years = sorted(r.year for r in ev.cited if r.year)
    if not years:
        return (), "No dated sources cited."
    return (
        (),
        f"Oldest source {years[0]}, median {median(years):g}, newest {years[-1]} ({len(years)} dated).",
    )


def _readability(ev: Evidence) -> tuple[tuple[str, ...], str]:
    problems, details = [], []
    for key, audience in audiences().items():
        score = ev.scores.get(key)
        if score is None:
            continue
        target = audience.reading_grade
        details.append(
            f"{audience.label}: grade {score.fk_grade:g} (SMOG {score.smog:g})"
            + (f", target ≤ {target:g}" if target is not None else ", no target")
        )
        if score.words < MIN_WORDS_TO_SCORE:
            details[-1] += f" (only {score.words} words: too short to judge)"
            continue
        if target is not None and score.fk_grade > target:
            problems.append(
                f"The {audience.label.lower()} text reads at grade {score.fk_grade:g}, above the "
                f"target of {target:g}."
            )
    library = next(iter(ev.scores.values()), None)
    suffix = f" Scored by {library.library} {library.library_version}." if library else ""
    return tuple(problems), "; ".join(details) + ("." if details else "") + suffix


# Readability formulas mean little on a few sentences; below this the score is shown, not judged.
MIN_WORDS_TO_SCORE = 50

CHECKS: dict[str, tuple[str, Check]] = {
    "citations.unresolved": ("Every citation marker resolves", _unresolved),
    "citations.retracted": ("No cited or listed source is retracted", _retracted),
    "citations.superseded": ("No cited guideline is superseded", _superseded),
    "citations.no_identifier": ("Every cited source has an identifier", _no_identifier),
    "citations.listed_not_cited": ("Every listed source is cited", _listed_not_cited),
    "evidence.age": ("Age of the evidence", _age),
    "readability": ("Reading level within each audience's target", _readability),
}


@dataclass(frozen=True)
class Discredited:
    """The sources a publication must not go ahead with: retracted ones (cited or listed) and
    cited ones superseded, unless a waiver of the superseded check covers this exact version."""

    retracted: list[Reference]
    superseded: list[Reference]
    superseded_waived: bool


def discredited_sources(*, article: Article) -> Discredited:
    """What the publication guard reads: one query, a second only when something is superseded."""
    references = references_for_keys([*article.citation_keys, *article.sources])
    shown = {r.pk: r for r in references.values()}.values()
    cited = {r.pk for key in article.citation_keys if (r := references.get(key)) is not None}
    retracted = sorted((r for r in shown if r.retracted_on), key=lambda r: r.citekey)
    superseded = sorted(
        (r for r in shown if r.superseded_by_id and r.pk in cited), key=lambda r: r.citekey
    )
    waived = bool(superseded) and (
        CheckWaiver.objects.filter(
            article=article, content_hash=article.content_hash, check_key="citations.superseded"
        ).exists()
    )
    return Discredited(retracted=retracted, superseded=superseded, superseded_waived=waived)


def article_checks(*, article: Article) -> list[CheckResult]:
    """Run every check on the article's working version (a fixed number of queries)."""
    # One query for the markers' and the listed sources' references together.
    references = references_for_keys([*article.citation_keys, *article.sources])
    cited_refs = (references.get(key) for key in article.citation_keys)
    cited = sorted({r.pk: r for r in cited_refs if r is not None}.values(), key=lambda r: r.citekey)
    superseding = {r.superseded_by_id for r in cited if r.superseded_by_id}
    if superseding:
        newer = Reference.objects.in_bulk(superseding)
        for r in cited:
            if r.superseded_by_id:
                r.superseded_by = newer[r.superseded_by_id]
    listed_refs = (references.get(key) for key in article.sources)
    listed = list({r.pk: r for r in listed_refs if r is not None}.values())
    evidence = Evidence(
        article=article,
        cited=cited,
        references=references,
        listed=listed,
        scores=readability_scores(version=article),
    )
    waivers = {
        w.check_key: w
        for w in CheckWaiver.objects.filter(
            article=article, content_hash=article.content_hash
        ).select_related("waived_by")
    }
    results = []
    for key, (label, check) in CHECKS.items():
        problems, detail = check(evidence)
        results.append(
            CheckResult(
                key=key,
                label=label,
                level=level_of(key),
                problems=problems,
                detail=detail,
                waiver=waivers.get(key),
            )
        )
    return results
