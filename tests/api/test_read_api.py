"""The public read API: published articles as JSON, the signed version only, errors as JSON."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from articles.models import Article, Disclaimer
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import (
    approve,
    make_article,
    make_reference,
    publish_approved,
    submit_and_review,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"


def publish(author: Any, editor: Any, reviewer: Any, **fields: Any) -> Article:
    return publish_approved(
        make_article(author=author, **fields), author=author, editor=editor, reviewers=[reviewer]
    )


@pytest.fixture
def published(author: Any, editor: Any, reviewer: Any) -> Article:
    ref = make_reference(doi="10.1038/s41581-019-0152-5", pmcid="PMC6543210")
    Disclaimer.objects.create(audience="clinician", text="For clinicians.")
    texts = {
        "patient": f"Patient words [@pmid:{ref.pmid}].",
        "clinician": f"## Mechanism\n\nClinician words [@{ref.citekey}].",
    }
    return publish(
        author,
        editor,
        reviewer,
        slug="low-alp",
        title="What is low ALP?",
        summary="Short.",
        texts=texts,
    )


class TestList:
    def test_lists_published_articles_with_their_version_and_review_status(
        self, client: Client, published: Article, author: Any
    ) -> None:
        """Each result: slug, title, summary, urls, version, hash, dates, review status; drafts absent."""
        make_article(author=author, slug="a-draft")
        response = client.get(f"{API}/articles/")
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=300"
        body = response.json()
        assert (body["count"], body["next"], body["previous"]) == (1, None, None)
        [item] = body["results"]
        assert item["slug"] == "low-alp"
        assert item["title"] == "What is low ALP?" and item["summary"] == "Short."
        assert item["url"] == "http://testserver/articles/low-alp/"
        assert item["api_url"] == "http://testserver/api/v1/articles/low-alp/"
        assert item["version"] == published.version
        assert item["content_hash"] == published.content_hash
        assert item["published_at"] and item["updated_at"]
        assert (item["review_status"], item["pending_review"]) == ("approved", False)

    def test_pending_review_articles_are_listed_as_such(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Published pending review: listed (it is public), status under_review."""
        article = make_article(author=author, slug="pending", citations=[make_reference()])
        submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        transition_apply(
            article=article, user=editor, action="publish_pending_review", note="Early."
        )
        [item] = client.get(f"{API}/articles/").json()["results"]
        assert (item["review_status"], item["pending_review"]) == ("under_review", True)

    def test_is_paginated_twenty_a_page(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """count, next and previous as absolute URLs; a page past the end is a JSON 404."""
        for _ in range(23):
            publish(author, editor, reviewer)
        first = client.get(f"{API}/articles/").json()
        assert first["count"] == 23 and len(first["results"]) == 20
        assert (
            first["next"] == "http://testserver/api/v1/articles/?page=2"
            and first["previous"] is None
        )
        second = client.get(first["next"]).json()
        assert len(second["results"]) == 3 and second["next"] is None
        assert second["previous"] == "http://testserver/api/v1/articles/?page=1"
        assert {r["slug"] for r in first["results"]}.isdisjoint(
            r["slug"] for r in second["results"]
        )
        for page in ("3", "0", "two"):
            response = client.get(f"{API}/articles/?page={page}")
            assert response.status_code == 404 and response.json()["error"] == "invalid_page"

    @pytest.mark.parametrize("n_articles", [2, 25])
    def test_query_count_is_flat(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        n_articles: int,
        django_assert_max_num_queries: Any,
    ) -> None:
        """Count, page and the page's sign-offs: three queries for 2 or 25 articles."""
        for _ in range(n_articles):
            publish(author, editor, reviewer)
        with django_assert_max_num_queries(3):
            assert client.get(f"{API}/articles/").status_code == 200


class TestDetail:
    def test_answers_the_signed_rendering_with_citations_and_review(
        self, client: Client, published: Article, reviewer: Any
    ) -> None:
        """HTML, structured citations, who signed which version, dates, disclaimer."""
        response = client.get(f"{API}/articles/low-alp/?audience=clinician")
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=300"
        body = response.json()
        assert body["url"] == "http://testserver/articles/low-alp/?audience=clinician"
        assert (body["audience"], body["source_audience"], body["fallback"]) == (
            "clinician",
            "clinician",
            False,
        )
        assert (body["version"], body["content_hash"]) == (
            published.version,
            published.content_hash,
        )
        assert "<h2>Mechanism</h2>" in body["body_html"] and 'href="#ref-1"' in body["body_html"]
        [citation] = body["citations"]
        assert citation["number"] == 1
        assert citation["kind"] == "journal-article"
        assert (citation["doi"], citation["pmcid"]) == ("10.1038/s41581-019-0152-5", "PMC6543210")
        assert citation["text"].startswith("Author A. A study number")
        assert set(citation) == {"number", "citekey", "kind", "text", "doi", "pmid", "pmcid", "url"}
        review = body["review"]
        assert (review["status"], review["pending_review"]) == ("approved", False)
        [signature] = review["reviewed_by"]
        assert signature["name"] == reviewer.reviewer_profile.display_name
        assert signature["credentials"] == "MD"
        assert (signature["version"], signature["content_hash"]) == (
            published.version,
            published.content_hash,
        )
        assert signature["signed_at"]
        assert review["last_reviewed"] and review["next_review_due"]
        assert body["disclaimer"] == "For clinicians."
        assert body["related"] == []

    def test_a_missing_audience_text_falls_back_and_says_so(
        self, client: Client, published: Article
    ) -> None:
        """A caregiver gets the patient text, with fallback true and the source audience named."""
        body = client.get(f"{API}/articles/low-alp/?audience=caregiver").json()
        assert (body["source_audience"], body["fallback"]) == ("patient", True)
        assert "Patient words" in body["body_html"]

    def test_without_audience_the_default_is_used_never_the_cookie(
        self, client: Client, published: Article
    ) -> None:
        """Answers are cached by URL, so the audience cookie is ignored."""
        client.cookies["audience"] = "clinician"
        response = client.get(f"{API}/articles/low-alp/")
        assert response.json()["audience"] == "patient"
        assert "Cookie" not in response.get("Vary", "")

    def test_readers_keep_getting_the_signed_version_while_a_draft_is_edited(
        self, client: Client, published: Article, author: Any
    ) -> None:
        """An unreviewed edit changes nothing in the API until it is approved and published."""
        draft_update(
            article=published,
            user=author,
            base_version=published.version,
            fields={"texts": {**published.texts, "patient": "Unreviewed."}},
            change_reason="Rewrite",
        )
        body = client.get(f"{API}/articles/low-alp/").json()
        assert "Patient words" in body["body_html"] and body["version"] == published.version

    def test_pending_review_article_names_no_reviewer(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Published pending review: status under_review, pending_review true, reviewed_by empty."""
        article = make_article(author=author, slug="pending", citations=[make_reference()])
        submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        transition_apply(
            article=article, user=editor, action="publish_pending_review", note="Early."
        )
        review = client.get(f"{API}/articles/pending/").json()["review"]
        assert review == {
            "status": "under_review",
            "pending_review": True,
            "reviewed_by": [],
            "last_reviewed": None,
            "next_review_due": None,
        }

    def test_related_articles_are_published_ones_with_the_same_audience(
        self, client: Client, published: Article, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Related: slug, title and the page URL for the same audience; drafts left out."""
        other = publish(author, editor, reviewer, slug="other", title="Is it genetic?")
        hidden = make_article(author=author, slug="hidden")
        article = draft_update(
            article=published,
            user=editor,
            base_version=published.version,
            fields={"related_ids": [other.pk, hidden.pk]},
            change_reason="Link",
        )
        approve(article, reviewer)
        transition_apply(article=article, user=editor, action="publish")
        body = client.get(f"{API}/articles/low-alp/?audience=clinician").json()
        assert body["related"] == [
            {
                "slug": "other",
                "title": "Is it genetic?",
                "url": "http://testserver/articles/other/?audience=clinician",
            }
        ]

    def test_drafts_and_unknown_slugs_are_json_404s(
        self, client: Client, author: Any, published: Article, editor: Any
    ) -> None:
        """Never published, unpublished and unknown answer the same JSON 404."""
        make_article(author=author, slug="secret-draft")
        for slug in ("secret-draft", "no-such-article"):
            response = client.get(f"{API}/articles/{slug}/")
            assert response.status_code == 404
            assert response.json()["error"] == "not_found"
        transition_apply(article=published, user=editor, action="unpublish", note="Withdrawn.")
        assert client.get(f"{API}/articles/low-alp/").status_code == 404

    def test_unknown_audience_is_a_400_naming_the_valid_ones(
        self, client: Client, published: Article
    ) -> None:
        """?audience=martian: 400 unknown_audience with the list of audiences."""
        response = client.get(f"{API}/articles/low-alp/?audience=martian")
        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "unknown_audience"
        assert body["audiences"] == ["patient", "caregiver", "student", "clinician"]
        assert "martian" in body["message"]

    @pytest.mark.parametrize("n_related", [1, 10])
    def test_query_count_is_flat(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        n_related: int,
        django_assert_max_num_queries: Any,
    ) -> None:
        """Nine queries cold (automatic related questions +2, topics +1), four warm, for 1 or 10 related."""
        refs = [make_reference() for _ in range(n_related)]
        related = [publish(author, editor, reviewer).pk for _ in range(n_related)]
        texts = {
            key: " ".join(f"S [@pmid:{r.pmid}]." for r in refs) for key in ("patient", "clinician")
        }
        publish(author, editor, reviewer, slug="many", texts=texts, related_ids=related)
        cache.clear()
        # 10 cold: the article page's sources' live status (retracted, superseded) is one query.
        with django_assert_max_num_queries(10):
            assert client.get(f"{API}/articles/many/?audience=clinician").status_code == 200
        with django_assert_max_num_queries(4):
            assert client.get(f"{API}/articles/many/?audience=clinician").status_code == 200


class TestEnvelope:
    @pytest.mark.parametrize("path", ["/articles/", "/articles/low-alp/"])
    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_other_methods_are_json_405s(
        self, client: Client, published: Article, path: str, method: str
    ) -> None:
        """Read-only: anything but GET or HEAD is 405 with Allow."""
        response = getattr(client, method)(f"{API}{path}")
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"
        assert response.json()["error"] == "method_not_allowed"

    def test_head_is_answered_like_get(self, client: Client, published: Article) -> None:
        """HEAD is allowed (caches and link checkers use it), with the same headers."""
        response = client.head(f"{API}/articles/low-alp/")
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=300"

    @pytest.mark.parametrize(
        "path", ["/api/v1/nope", "/api/v1/articles/low-alp/extra", "/api/v2/articles/", "/api/"]
    )
    def test_unknown_api_paths_are_json_404s(self, client: Client, path: str) -> None:
        """Anything under /api/ without a route answers JSON, not the HTML 404 page."""
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"

    def test_openapi_document_describes_the_read_api_as_public(self, client: Client) -> None:
        """Both paths, their schemas and errors; no security requirement on them."""
        document = client.get(f"{API}/openapi.json").json()
        listing = document["paths"]["/articles/"]["get"]
        detail = document["paths"]["/articles/{slug}/"]["get"]
        assert listing["security"] == [] and detail["security"] == []
        assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ArticlePage"
        }
        assert set(detail["responses"]) == {"200", "400", "404", "405"}
        schemas = document["components"]["schemas"]
        assert {
            "ArticleSummary",
            "ArticlePage",
            "Article",
            "Citation",
            "Signature",
            "UnknownAudience",
        } <= schemas.keys()
        assert set(schemas["Article"]["required"]) <= schemas["Article"]["properties"].keys()
        assert [p["schema"]["enum"] for p in detail["parameters"] if p["name"] == "audience"] == [
            ["patient", "caregiver", "student", "clinician"]
        ]

    def test_documented_fields_are_the_fields_answered(
        self, client: Client, published: Article
    ) -> None:
        """The schemas name exactly the keys the endpoints send."""
        schemas = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
        item = client.get(f"{API}/articles/").json()["results"][0]
        assert set(item) == set(schemas["ArticleSummary"]["properties"])
        body = client.get(f"{API}/articles/low-alp/").json()
        assert set(body) == set(schemas["Article"]["properties"])
        review = schemas["Article"]["properties"]["review"]["$ref"].rsplit("/", 1)[-1]
        assert set(body["review"]) == set(schemas[review]["properties"])
        assert set(body["citations"][0]) == set(schemas["Citation"]["properties"])
