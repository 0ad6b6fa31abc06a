"""What crawlers and feed readers get: /sitemap.xml, /robots.txt and the Atom feed at /feed/."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from articles.models import Article, SitePage
from public import feeds
from reviews.models import SignOff
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import (
    approve,
    make_article,
    make_reference,
    publish_approved,
    submit_and_review,
    triggers_bypassed,
)

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


def publish(author: Any, editor: Any, reviewer: Any, **fields: Any) -> Article:
    return publish_approved(
        make_article(author=author, **fields), author=author, editor=editor, reviewers=[reviewer]
    )


def publish_pending(author: Any, editor: Any, reviewer: Any, **fields: Any) -> Article:
    article = make_article(author=author, citations=[make_reference()], **fields)
    submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
    transition_apply(article=article, user=editor, action="publish_pending_review", note="Early.")
    return Article.objects.get(pk=article.pk)


def sitemap_entries(client: Client) -> dict[str, str | None]:
    """Every URL of every section page that the index at /sitemap.xml lists."""
    index = ET.fromstring(client.get("/sitemap.xml").content)
    entries = {}
    for loc in index.iter(f"{SITEMAP}loc"):
        root = ET.fromstring(client.get(loc.text.removeprefix("http://testserver")).content)
        entries |= {
            url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
            for url in root.iter(f"{SITEMAP}url")
        }
    return entries


def feed_entries(client: Client) -> list[ET.Element]:
    return list(ET.fromstring(client.get("/feed/").content).iter(f"{ATOM}entry"))


class TestSitemap:
    def test_lists_approved_articles_with_lastmod_and_the_site_pages(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Home, board, editorial policy and each approved article at its canonical address."""
        SitePage.objects.create(
            slug="editorial-policy", title="Editorial policy", body="How we work."
        )
        article = publish(author, editor, reviewer, slug="low-alp")
        response = client.get("/sitemap.xml")
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=300"
        entries = sitemap_entries(client)
        assert entries["http://testserver/articles/low-alp/?audience=patient"] == (
            article.live_version.updated_at.date().isoformat()
        )
        assert {
            "http://testserver/",
            "http://testserver/board/",
            "http://testserver/pages/editorial-policy/",
        } < entries.keys()
        assert len(entries) == 4

    def test_leaves_out_drafts_pending_review_and_unpublished_articles(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Only what is public and approved (pending pages carry noindex) is offered to crawlers."""
        make_article(author=author, slug="a-draft")
        publish_pending(author, editor, reviewer, slug="pending")
        withdrawn = publish(author, editor, reviewer, slug="withdrawn")
        transition_apply(article=withdrawn, user=editor, action="unpublish", note="Withdrawn.")
        publish(author, editor, reviewer, slug="approved")
        articles = [loc for loc in sitemap_entries(client) if "/articles/" in loc]
        assert articles == ["http://testserver/articles/approved/?audience=patient"]

    def test_lastmod_is_the_live_versions_not_the_drafts(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """An unpublished edit does not move lastmod: crawlers see the signed version's date."""
        article = publish(author, editor, reviewer, slug="low-alp")
        live_date = article.live_version.updated_at.date().isoformat()
        draft_update(
            article=article,
            user=author,
            base_version=article.version,
            fields={"summary": "A new summary."},
            change_reason="Edit",
        )
        assert (
            sitemap_entries(client)["http://testserver/articles/low-alp/?audience=patient"]
            == live_date
        )

    def test_an_approval_that_does_not_verify_is_no_approval(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A sign-off altered in the database fails its keyed hash: the article page shows no
        review, so the sitemap does not list the article as reviewed either."""
        publish(author, editor, reviewer, slug="kept")
        tampered = publish(author, editor, reviewer, slug="tampered")
        signoff = SignOff.objects.get(article=tampered)
        with triggers_bypassed(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {SignOff._meta.db_table} SET printed_name = %s WHERE id = %s",
                ["Dr Impostor", signoff.pk],
            )
        page = client.get("/articles/tampered/?audience=patient").content.decode()
        assert "Dr Impostor" not in page
        articles = [loc for loc in sitemap_entries(client) if "/articles/" in loc]
        assert articles == ["http://testserver/articles/kept/?audience=patient"]

    @pytest.mark.parametrize("n_articles", [2, 12])
    def test_query_count_is_flat(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        n_articles: int,
        django_assert_max_num_queries: Any,
    ) -> None:
        """The index and its three sections in eleven queries however many articles are listed:
        the index counts and dates each section (4), each section page counts and reads (7)."""
        for _ in range(n_articles):
            publish(author, editor, reviewer)
        with django_assert_max_num_queries(11):
            assert len(sitemap_entries(client)) == n_articles + 2


class TestRobots:
    def test_robots_txt_keeps_crawlers_out_of_private_areas_and_names_the_sitemap(
        self, client: Client
    ) -> None:
        """Plain text; the workspace, admin, sign-in and drafting API are disallowed; sitemap absolute."""
        response = client.get("/robots.txt")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        lines = response.content.decode().splitlines()
        assert lines[0] == "User-agent: *"
        assert {line for line in lines if line.startswith("Disallow:")} == {
            "Disallow: /workspace/",
            "Disallow: /admin/",
            "Disallow: /accounts/",
            "Disallow: /api/v1/drafts/",
        }
        assert "Disallow: /" not in lines
        assert "Sitemap: http://testserver/sitemap.xml" in lines


class TestFeed:
    def test_entries_carry_title_canonical_link_summary_updated_and_reviewer(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """An approved entry says who medically reviewed it and when."""
        article = publish(
            author,
            editor,
            reviewer,
            slug="low-alp",
            title="What is low ALP?",
            summary="Low ALP, explained.",
        )
        response = client.get("/feed/")
        assert response["Content-Type"].startswith("application/atom+xml")
        assert response["Cache-Control"] == "public, max-age=300"
        [entry] = feed_entries(client)
        assert entry.findtext(f"{ATOM}title") == "What is low ALP?"
        assert (
            entry.find(f"{ATOM}link").get("href")
            == "http://testserver/articles/low-alp/?audience=patient"
        )
        assert entry.findtext(f"{ATOM}updated").startswith(article.published_at.date().isoformat())
        assert entry.findtext(f"{ATOM}id").endswith(
            f"/articles/low-alp/?audience=patient#version-{article.version}"
        )
        summary = entry.findtext(f"{ATOM}summary")
        assert "<p>Low ALP, explained.</p>" in summary
        today = timezone.localdate()
        assert (
            f"Medically reviewed by {reviewer.reviewer_profile.display_name}, MD on {today.day} {today:%B %Y}."
            in summary
        )

    def test_pending_review_entry_claims_no_review(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Published pending review: the entry says so and names no reviewer."""
        publish_pending(author, editor, reviewer, slug="pending")
        summary = feed_entries(client)[0].findtext(f"{ATOM}summary")
        assert "pending medical review" in summary
        assert "Medically reviewed by" not in summary

    def test_entries_are_newest_publication_first_and_drafts_are_absent(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Ordered by published_at; republishing a new version brings the article to the top."""
        first = publish(author, editor, reviewer, title="First?")
        publish(author, editor, reviewer, title="Second?")
        make_article(author=author, title="Draft?")
        assert [e.findtext(f"{ATOM}title") for e in feed_entries(client)] == ["Second?", "First?"]
        article = draft_update(
            article=first,
            user=author,
            base_version=first.version,
            fields={"title": "First, revised?"},
            change_reason="Retitle",
        )
        approve(article, reviewer)  # the edit sent it back into review
        transition_apply(article=article, user=editor, action="publish")
        assert [e.findtext(f"{ATOM}title") for e in feed_entries(client)] == [
            "First, revised?",
            "Second?",
        ]

    def test_feed_is_limited_to_the_latest_publications(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Only the newest FEED_LENGTH publications are listed."""
        monkeypatch.setattr(feeds, "FEED_LENGTH", 2)
        for n in range(3):
            publish(author, editor, reviewer, title=f"Question {n}?")
        assert [e.findtext(f"{ATOM}title") for e in feed_entries(client)] == [
            "Question 2?",
            "Question 1?",
        ]

    def test_summaries_are_escaped_html(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A summary's markup reaches feed readers as text, never as HTML."""
        publish(author, editor, reviewer, summary="Beware <script>alert(1)</script> & co.")
        summary = feed_entries(client)[0].findtext(f"{ATOM}summary")
        assert "<script>" not in summary
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co." in summary

    def test_control_characters_in_stored_content_do_not_break_the_feed(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """XML 1.0 cannot hold them, and Django refuses to write them: they are left out."""
        article = publish(author, editor, reviewer, slug="ctl")
        article.history.update(title="Bell\x07 title", summary="Escape\x1b summary")
        response = client.get("/feed/")
        assert response.status_code == 200
        assert "Bell title" in response.content.decode()

    def test_every_page_links_to_the_feed(self, client: Client) -> None:
        """base.html announces the feed to browsers and feed readers."""
        html = client.get("/").content.decode()
        assert '<link rel="alternate" type="application/atom+xml" href="/feed/"' in html

    @pytest.mark.parametrize("n_articles", [2, 12])
    def test_query_count_is_flat(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        n_articles: int,
        django_assert_max_num_queries: Any,
    ) -> None:
        """Entries and their sign-offs in two queries, whatever their number."""
        for _ in range(n_articles):
            publish(author, editor, reviewer)
        with django_assert_max_num_queries(2):
            assert (
                len(ET.fromstring(client.get("/feed/").content).findall(f"{ATOM}entry"))
                == n_articles
            )
