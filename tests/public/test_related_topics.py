"""Related questions (editor-chosen, then automatic by shared topics and sources) and topic pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from articles.models import Article, CitationLink, Topic
from reviews.models import AuditEvent
from reviews.services.topics import article_topics_set
from reviews.services.transitions import transition_apply
from tests.factories import make_article, make_reference, publish_approved

pytestmark = pytest.mark.django_db


def published(author: Any, editor: Any, reviewer: Any, **kwargs: Any) -> Article:
    kwargs.setdefault("citations", [make_reference()])
    return publish_approved(
        make_article(author=author, **kwargs), author=author, editor=editor, reviewers=[reviewer]
    )


def related_titles(client: Client, slug: str) -> list[str]:
    import re

    html = client.get(f"/articles/{slug}/?audience=patient").content.decode()
    section = (
        html.split('id="related-title"', 1)[1].split("</section>", 1)[0]
        if 'id="related-title"' in html
        else ""
    )
    return re.findall(r'">([^<]+)</a></li>', section)


def test_publishing_indexes_the_sources_of_the_live_version(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """The citation index follows the live version: set at publish, cleared at unpublish."""
    ref = make_reference()
    article = published(author, editor, reviewer, citations=[ref])
    assert list(
        CitationLink.objects.filter(article=article).values_list("reference_id", flat=True)
    ) == [ref.pk]
    transition_apply(article=article, user=editor, action="unpublish", note="Off.")
    assert not CitationLink.objects.filter(article=article).exists()


def test_articles_sharing_sources_or_topics_are_related_automatically(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """After the editor's choices come articles sharing topics (weighted double) or cited sources."""
    shared_ref = make_reference()
    topic = Topic.objects.create(name="Bones", slug="bones")
    main = published(author, editor, reviewer, slug="main", title="Main?", citations=[shared_ref])
    by_source = published(
        author, editor, reviewer, title="Shares a source?", citations=[shared_ref]
    )
    by_topic = published(author, editor, reviewer, title="Shares a topic?")
    published(author, editor, reviewer, title="Unrelated?")
    for article in (main, by_topic):
        article_topics_set(article=article, user=editor, topics=[topic])
    assert related_titles(client, "main") == ["Shares a topic?", "Shares a source?"]
    assert by_source.pk


def test_editor_chosen_related_come_first(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """An editor's choice leads, and is not repeated among the automatic ones."""
    shared_ref = make_reference()
    chosen = published(author, editor, reviewer, title="Chosen?", citations=[shared_ref])
    published(author, editor, reviewer, title="Automatic?", citations=[shared_ref])
    published(
        author,
        editor,
        reviewer,
        slug="main",
        title="Main?",
        citations=[shared_ref],
        related_ids=[chosen.pk],
    )
    assert related_titles(client, "main") == ["Chosen?", "Automatic?"]


def test_topics_are_filing_not_content(author: Any, editor: Any) -> None:
    """Changing topics makes no version; it leaves an audit event."""
    article = make_article(author=author)
    article_topics_set(
        article=article, user=editor, topics=[Topic.objects.create(name="Bones", slug="bones")]
    )
    assert Article.objects.get(pk=article.pk).version == 1
    assert AuditEvent.objects.get(article=article, action="topics").note == "Topics: Bones."


def test_topic_pages_list_only_published_articles(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """/topics/<slug>/ lists the topic's published articles; /topics/ counts them; unknown 404."""
    topic = Topic.objects.create(name="Bones", slug="bones", description="Bone health.")
    live = published(author, editor, reviewer, title="Live?")
    draft = make_article(author=author, title="Draft?")
    for article in (live, draft):
        article_topics_set(article=article, user=editor, topics=[topic])
    html = client.get("/topics/bones/").content.decode()
    assert "Live?" in html and "Draft?" not in html and "Bone health." in html
    assert "Bones</a> (1)" in client.get("/topics/").content.decode()
    assert client.get("/topics/nope/").status_code == 404


def test_the_article_page_names_its_topics_and_json_ld_says_what_it_is_about(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """Topics link to their pages, and appear as `about` in the structured data."""
    import json
    import re

    article = published(author, editor, reviewer, slug="alp")
    article_topics_set(
        article=article, user=editor, topics=[Topic.objects.create(name="Bones", slug="bones")]
    )
    html = client.get("/articles/alp/?audience=patient").content.decode()
    assert '<a href="/topics/bones/">Bones</a>' in html
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    )
    assert data["about"] == [{"@type": "Thing", "name": "Bones"}]
