"""What a published article's reference downloads (RIS, CSL-JSON) hold."""

from __future__ import annotations

from collections.abc import Sequence

from articles.models import Article
from references.models import Reference
from references.selectors import references_for_keys


def published_article_references(*, slug: str) -> Sequence[Reference] | None:
    """The references of a published article's live version: those it cites, in order of first
    citation, then the sources it lists without citing them, in the list's order.

    None when no published article has this slug: drafts and unpublished articles do not expose
    what they cite.
    """
    article = (
        Article.objects.filter(slug=slug, live_version__isnull=False)
        .select_related("live_version")
        .only("slug", "live_version__citation_keys", "live_version__sources")
        .first()
    )
    if article is None:
        return None
    version = article.live_version
    keys = [*(version.citation_keys or []), *(version.sources or [])]
    found = references_for_keys(keys)
    ordered: dict[int, Reference] = {}
    for key in keys:
        ref = found.get(key)
        if ref is not None:
            ordered.setdefault(ref.pk, ref)
    # The exports name what supersedes a reference by its citekey: fetch those in one query.
    targets = Reference.objects.only("citekey").in_bulk(
        {r.superseded_by_id for r in ordered.values() if r.superseded_by_id}
    )
    for ref in ordered.values():
        if ref.superseded_by_id in targets:
            ref.superseded_by = targets[ref.superseded_by_id]
    return list(ordered.values())
