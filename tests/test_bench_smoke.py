"""The benchmark's data generator works, at a tiny scale, on the test database (bench/generate.py)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from articles import content
from articles.audiences import audiences
from articles.models import Article, HistoricalArticle, Rendition
from bench.generate import FEATURED_SLUG, WRITE_PATH_SLUGS, generate
from public.models import SearchEntry
from reviews.models import ArticleWorkflow, AuditEvent, SignOff, State


@pytest.mark.django_db
def test_generator_writes_consistent_data_at_five_articles(client: Any) -> None:
    stats = generate(articles=5, versions=3, progress=False, jobs=1, out=io.StringIO())

    assert stats["articles"] == 5 == Article.objects.count()
    assert Article.objects.get(slug=WRITE_PATH_SLUGS[50]).version == 50
    assert HistoricalArticle.objects.count() == stats["versions"] >= 5 + 50
    # Every version's hash is the one articles.content computes; the draft is the last version.
    for version in HistoricalArticle.objects.all():
        assert version.content_hash == content.content_hash(
            title=version.title,
            summary=version.summary,
            texts=version.texts,
            citation_keys=version.citation_keys,
            related_ids=version.related_ids,
        )
    for article in Article.objects.all():
        assert article.compute_content_hash() == article.content_hash
        assert article.history.order_by("-version").first().content_hash == article.content_hash
    # The featured article is published and approved, with renditions of its live version.
    featured = Article.objects.select_related("live_version", "workflow").get(slug=FEATURED_SLUG)
    assert featured.workflow.state == State.APPROVED
    assert Rendition.objects.filter(content_hash=featured.live_version.content_hash).count() == 4
    assert SignOff.objects.filter(
        article=featured, content_hash=featured.live_version.content_hash
    ).exists()
    assert ArticleWorkflow.objects.count() == 5
    # Audit events and sign-offs are chained as the app chains them.
    from reviews.selectors.audit import chain_breaks

    assert list(chain_breaks()) == []
    assert AuditEvent.objects.filter(article=featured, action="publish").exists()
    # The pages the benchmark loads answer.
    for path in (
        f"/articles/{FEATURED_SLUG}/?audience=patient",
        f"/articles/{FEATURED_SLUG}/history/",
        "/",
        f"/api/v1/articles/{FEATURED_SLUG}/",
    ):
        assert client.get(path).status_code == 200, path
    # Search reads the entries the generator writes: every live article, every audience.
    live = Article.objects.filter(live_version__isnull=False).count()
    assert stats["search_entries"] == SearchEntry.objects.count() == live * len(audiences())
    html = client.get("/search/?q=hypophosphatasia&audience=patient").content.decode()
    assert f'href="/articles/{FEATURED_SLUG}/?audience=patient"' in html
