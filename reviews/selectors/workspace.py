"""The editorial workspace of one article: its page, its versions, their preview."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator

from articles.audiences import audiences as configured_audiences
from articles.content import collect_citation_keys
from articles.models import Article, GlossaryTerm, HistoricalArticle, ProblemReport
from articles.services import (
    evidence_fingerprint,
    rendition_get_or_create,
    renditions_get_or_create,
)
from articles.sourcemap import plain_text
from references.selectors import references_for_keys
from reviews import risk
from reviews.checks import article_checks
from reviews.diff import Side, count_summary, diff_fields, diff_versions, plain_fields, side_by_side
from reviews.models import Assignment, AuditEvent, Meaning, ReviewComment, SignOff
from reviews.selectors.actions import available_actions
from reviews.selectors.roles import roles_for
from reviews.selectors.signing import valid_approvals
from reviews.selectors.threads import TextPanel, ThreadView, text_panel, thread_views

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def open_comment_threads(*, article: Article) -> list[ReviewComment]:
    """Unresolved root comments of the article, oldest first, with their replies (2 queries)."""
    return list(
        ReviewComment.objects.filter(article=article, parent__isnull=True, resolution__isnull=True)
        .select_related("author")
        .prefetch_related("replies__author")
        .order_by("created_at", "pk")
    )


def working_text(
    *, article: Article, user: AbstractBaseUser, threads: list[ReviewComment]
) -> tuple[list[TextPanel], list[ThreadView]]:
    """The working version's rendered text, one panel per audience that has its own text, with
    the open threads placed in it: no query when the renditions are cached, and at most the
    three of `renditions_get_or_create` (kept, references, insert) when they are not."""
    keys = [key for key in configured_audiences() if (article.texts or {}).get(key, "").strip()]
    renditions = renditions_get_or_create(version=article, audiences=keys) if keys else {}
    bodies = {key: renditions[key].body_html for key in keys}
    views = thread_views(
        threads=threads,
        plain_texts={key: plain_text(body) for key, body in bodies.items()},
        user=user,
        roles=roles_for(user=user, article=article, workflow=article.workflow),
        version=article.version,
    )
    labels = configured_audiences()
    panels = [
        text_panel(
            key=key,
            label=labels[key].label,
            body_html=body,
            views=views,
            citations=renditions[key].citations,
        )
        for key, body in bodies.items()
    ]
    return panels, views


def workspace_article(*, slug: str, user: AbstractBaseUser) -> Article | None:
    """The article if `user` holds any role on it (editor, its author, assigned reviewer)."""
    article = Article.objects.select_related("workflow", "live_version").filter(slug=slug).first()
    if article is None or not roles_for(user=user, article=article, workflow=article.workflow):
        return None
    return article


def references_for_text(*, text: str) -> dict[str, Any]:
    return references_for_keys(collect_citation_keys({"text": text}))


def evidence_changes_since_publication(*, article: Article) -> list[str]:
    """Glossary terms and cited or listed references edited since the live version went live.

    Live pages keep the definitions and bibliography they were published with (the rendition is
    pinned); editors and reviewers see here what the next reviewed version would pick up.
    A deleted glossary term leaves no row, so a changed glossary is named even then.
    """
    live = article.live_version
    if live is None or article.published_at is None:
        return []
    since = article.published_at
    terms = GlossaryTerm.objects.filter(updated_at__gt=since).order_by("term")
    changes = [f"Glossary term “{t}” edited" for t in terms.values_list("term", flat=True)]
    references = references_for_keys([*live.citation_keys, *(live.sources or ())])
    changes += sorted(
        {f"Reference {r.citekey} edited" for r in references.values() if r.updated_at > since}
    )
    if (
        not changes
        and article.live_rendering
        and (evidence_fingerprint(references=references) != article.live_rendering)
    ):
        changes.append("The glossary changed (a term was removed)")
    return changes


def workspace_page(*, article: Article, user: AbstractBaseUser) -> dict[str, Any]:
    """Everything the article's workspace page shows, in a fixed number of queries."""
    workflow = article.workflow
    memo: dict[str, Any] = {}
    actions = available_actions(article=article, user=user, memo=memo)
    if "checks" not in memo:
        memo["checks"] = article_checks(article=article)
    signoffs = list(
        SignOff.objects.filter(article=article)
        .select_related("reviewer")
        .order_by("-signed_at", "-pk")[:50]
    )
    approvals = valid_approvals(article=article, workflow=workflow)
    references = references_for_keys(article.citation_keys)
    threads = list(
        ReviewComment.objects.filter(article=article, parent__isnull=True)
        .select_related("author", "resolution__resolved_by")
        .prefetch_related("replies__author")
        .order_by("-created_at", "-pk")[:100]
    )
    # Oldest first in the margin and the list, as a conversation reads.
    open_threads = [t for t in reversed(threads) if not hasattr(t, "resolution")]
    panels, views = working_text(article=article, user=user, threads=open_threads)
    return {
        "article": article,
        "workflow": workflow,
        "roles": roles_for(user=user, article=article, workflow=workflow),
        "actions": actions,
        "signoffs": signoffs,
        "approvals": approvals,
        "approvals_needed": workflow.approvals_needed,
        "approvals_explanation": risk.explanation(workflow=workflow),
        "approvals_choices": range(1, risk.MAX_APPROVALS + 1),
        "pending_review_policy": risk.POLICY_TEXT[risk.publish_pending_policy()],
        "assignments": list(
            Assignment.objects.filter(article=article, cycle=workflow.cycle)
            .select_related("reviewer__reviewer_profile")
            .order_by("assigned_at")
        ),
        "audit_events": list(
            AuditEvent.objects.filter(article=article)
            .select_related("actor")
            .order_by("-created_at", "-pk")[:30]
        ),
        "open_threads": open_threads,
        "text_panels": panels,
        "listed_threads": [v for v in views if v.place != "text"],
        "resolvable": {v.thread.pk for v in views if v.may_resolve},
        "resolved_threads": [t for t in threads if hasattr(t, "resolution")],
        "references": sorted(
            {r.pk: r for r in references.values()}.values(), key=lambda r: r.citekey
        ),
        "authors": list(article.authors.all()),
        "problem_reports": list(
            ProblemReport.objects.filter(article=article)
            .exclude(status=ProblemReport.Status.CLOSED)
            .order_by("-created_at")[:20]
        ),
        "checks": memo["checks"],
        "evidence_changes": evidence_changes_since_publication(article=article),
        "live_is_current": article.live_version_id is not None
        and article.live_version.content_hash == article.content_hash,
    }


def version_history(*, article: Article, page_number: Any, per_page: int = 25) -> dict[str, Any]:
    """Every version, newest first, paginated, with who saved it, why and how heavy the change."""
    versions = (
        article.history.select_related("history_user")
        .only(
            "history_id",
            "version",
            "content_hash",
            "history_date",
            "history_user__username",
            "history_user__first_name",
            "history_user__last_name",
            "history_change_reason",
            "change_weight",
            "id",
        )
        .order_by("-version", "-history_id")
    )
    page = Paginator(versions, per_page).get_page(page_number)
    signed = dict(
        SignOff.objects.filter(
            article=article, version__in=[v.version for v in page], meaning=Meaning.APPROVED
        ).values_list("version", "printed_name")
    )
    return {
        "article": article,
        "page_obj": page,
        "signed": signed,
        "live_version": article.live_version.version if article.live_version_id else None,
    }


def version_pair(
    *, article: Article, from_version: int, to_version: int
) -> tuple[HistoricalArticle, HistoricalArticle] | None:
    """Two frozen versions of the article (one query), or None when either does not exist."""
    rows = {v.version: v for v in article.history.filter(version__in=[from_version, to_version])}
    if from_version not in rows or to_version not in rows:
        return None
    return rows[from_version], rows[to_version]


def version_preview(*, article: Article, snapshot: HistoricalArticle) -> dict[str, Any]:
    renditions = []
    for key, audience in configured_audiences().items():
        if key in snapshot.texts:
            try:
                renditions.append(
                    (audience, rendition_get_or_create(version=snapshot, audience=key), None)
                )
            except ValidationError as error:
                renditions.append((audience, None, error.messages))
    return {"article": article, "snapshot": snapshot, "renditions": renditions}


def version_diff(
    *, article: Article, old: HistoricalArticle, new: HistoricalArticle
) -> dict[str, Any]:
    """The diff page's content: each changed audience text side by side as readers get it, with
    its clinical changes counted, and the source (Markdown) and field diffs.

    Only the changed texts are rendered, through the readers' pipeline (renditions, kept once
    made): at most a few queries per version, whatever the number of audiences or citations.
    """
    configured = configured_audiences()
    present = old.texts.keys() | new.texts.keys()
    keys = [k for k in configured if k in present] + sorted(present - configured.keys())
    changed = [k for k in keys if (old.texts.get(k) or "") != (new.texts.get(k) or "")]
    renderings = {v.version: _renderings(version=v, audiences=changed) for v in (old, new)}
    sides = [
        side_by_side(
            audience=key,
            label=configured[key].label if key in configured else key,
            old=renderings[old.version].get(key),
            new=renderings[new.version].get(key),
            old_version=old.version,
            new_version=new.version,
        )
        for key in changed
    ]
    shown = [side for side in sides if side.changed]
    shown_keys = {side.audience for side in shown}
    total: Counter[str] = Counter()
    for side in shown:
        total.update(side.counts)
    return {
        "article": article,
        "old": old,
        "new": new,
        "sides": shown,
        "unchanged_audiences": [
            configured[k].label if k in configured else k for k in keys if k not in shown_keys
        ],
        "clinical_summary": count_summary(total),
        "fields": diff_fields(plain_fields(old), plain_fields(new)),
        "texts": diff_versions(old.texts, new.texts),
        "related_changed": old.related_ids != new.related_ids,
    }


def _renderings(*, version: HistoricalArticle, audiences: list[str]) -> dict[str, Side]:
    """The version's renditions of those audiences it has a text for, as the diff reads them."""
    present = [key for key in audiences if version.texts.get(key)]
    if not present:
        return {}
    renditions = renditions_get_or_create(version=version, audiences=present)
    return {
        key: Side(
            version=version.version,
            body_html=rendition.body_html,
            citations=rendition.citations or [],
        )
        for key, rendition in renditions.items()
    }
