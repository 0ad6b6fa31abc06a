"""Trust signals for readers: review dates, overdue notice, conflicts, history, problem reports."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from articles.models import Article, ProblemReport
from reviews.models import ArticleWorkflow
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


@pytest.fixture
def published(author: Any, editor: Any, reviewer: Any) -> Article:
    return publish_approved(
        make_article(author=author, slug="low-alp", citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )


def report_data(**overrides: Any) -> dict[str, Any]:
    started = signing.dumps(time.time() - 30, salt="problem-report")
    return {
        "kind": "error",
        "message": "The dose in the list looks ten times too high.",
        "email": "",
        "website": "",
        "started": started,
        "version": 1,
        **overrides,
    }


class TestTrustSignals:
    def test_page_shows_last_reviewed_next_due_and_reviewer_conflicts(
        self, client: Client, published: Article, reviewer: Any
    ) -> None:
        """Approved pages date the review, the next one, and list the reviewers' declared conflicts."""
        profile = reviewer.reviewer_profile
        profile.conflicts_of_interest = "Speaker fees from a drug maker (2024)."
        profile.save()
        html = client.get("/articles/low-alp/?audience=patient").content.decode()
        assert "Last reviewed:" in html and "Next review due:" in html
        assert "Speaker fees from a drug maker (2024)." in html
        assert 'href="/articles/low-alp/history/"' in html
        assert "overdue for its scheduled medical review" not in html

    def test_an_overdue_review_is_announced_automatically(
        self, client: Client, published: Article
    ) -> None:
        """When the next review date has passed, the page says so."""
        ArticleWorkflow.objects.filter(article=published).update(
            next_review_due=timezone.localdate() - timedelta(days=3)
        )
        html = client.get("/articles/low-alp/?audience=patient").content.decode()
        assert "overdue for its scheduled medical review" in html

    def test_a_typo_fix_moves_last_updated_but_not_last_reviewed(
        self, client: Client, published: Article, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Re-approving a minor fix updates the page but keeps the last full review's dates."""
        earlier = timezone.localdate() - timedelta(days=100)
        ArticleWorkflow.objects.filter(article=published).update(
            last_reviewed_on=earlier, next_review_due=earlier + timedelta(days=365)
        )
        article = draft_update(
            article=published,
            user=author,
            base_version=1,
            fields={"summary": "Typo fixed."},
            change_reason="Typo",
            change_weight="minor",
        )
        approve(article, reviewer)
        transition_apply(article=article, user=editor, action="publish")
        workflow = ArticleWorkflow.objects.get(article=article)
        assert workflow.last_reviewed_on == earlier
        html = client.get("/articles/low-alp/?audience=patient").content.decode()
        assert f'Last reviewed: <time datetime="{earlier:%Y-%m-%d}">' in html
        assert "Version 2" in html

    def test_a_substantive_change_approved_moves_last_reviewed(
        self, published: Article, author: Any, reviewer: Any
    ) -> None:
        """Approving a substantive change is a new review: the dates move to today."""
        earlier = timezone.localdate() - timedelta(days=100)
        ArticleWorkflow.objects.filter(article=published).update(last_reviewed_on=earlier)
        article = draft_update(
            article=published,
            user=author,
            base_version=1,
            fields={"summary": "New advice."},
            change_reason="New evidence",
            change_weight="substantive",
        )
        approve(article, reviewer)
        assert ArticleWorkflow.objects.get(article=article).last_reviewed_on == timezone.localdate()


class TestPublicHistory:
    def test_history_lists_published_versions_with_weight_changes_and_reviewers(
        self, client: Client, published: Article, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Each publication appears with its weight, the change notes since the last one and who reviewed it."""
        article = draft_update(
            article=published,
            user=author,
            base_version=1,
            fields={"summary": "Clearer."},
            change_reason="Clarified the summary.",
            change_weight="minor",
        )
        approve(article, reviewer)
        transition_apply(article=article, user=editor, action="publish")
        html = client.get("/articles/low-alp/history/").content.decode()
        assert "Version 2" in html and "Version 1" in html
        assert "Clarified the summary." in html and "Minor (wording, typography)" in html
        assert reviewer.reviewer_profile.signature_name in html

    def test_history_never_shows_draft_versions_or_text(
        self, client: Client, published: Article, author: Any
    ) -> None:
        """An unpublished later version and its change note stay out of the public history."""
        draft_update(
            article=published,
            user=author,
            base_version=1,
            fields={"texts": {**published.texts, "patient": "SECRET DRAFT WORDS"}},
            change_reason="Internal rewrite note",
        )
        html = client.get("/articles/low-alp/history/").content.decode()
        assert "Version 2" not in html
        assert "SECRET DRAFT WORDS" not in html and "Internal rewrite note" not in html

    def test_history_of_an_unpublished_article_is_404(self, client: Client, author: Any) -> None:
        """Drafts have no public history."""
        make_article(author=author, slug="draft")
        assert client.get("/articles/draft/history/").status_code == 404

    def test_pending_review_publication_is_marked_as_such(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A version published pending review says it was not yet reviewed."""
        article = submit_and_review(
            make_article(author=author, slug="pending", citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        transition_apply(
            article=article, user=editor, action="publish_pending_review", note="Early"
        )
        html = client.get("/articles/pending/history/").content.decode()
        assert "published pending review" in html and "Not yet medically reviewed" in html


class TestProblemReports:
    def test_a_reader_reports_a_problem_tied_to_the_version_read(
        self, client: Client, published: Article
    ) -> None:
        """The report is stored with the article, version and audience, for editors."""
        form = client.get("/articles/low-alp/report/?audience=caregiver&version=1")
        assert form.status_code == 200 and "csrfmiddlewaretoken" in form.content.decode()
        response = client.post("/articles/low-alp/report/?audience=caregiver", report_data())
        assert response.status_code == 200 and "Thank you" in response.content.decode()
        report = ProblemReport.objects.get()
        assert (report.article, report.version, report.audience, report.kind) == (
            published,
            1,
            "caregiver",
            "error",
        )
        assert report.reporter_fingerprint and "127.0.0.1" not in report.reporter_fingerprint

    def test_the_article_page_itself_sets_no_cookie(
        self, client: Client, published: Article
    ) -> None:
        """Plain reads stay cacheable: the report form is a separate page."""
        response = client.get("/articles/low-alp/?audience=patient")
        assert not response.cookies

    @pytest.mark.parametrize(
        ("overrides", "reason"),
        [
            ({"website": "http://spam.example"}, "must be left empty"),
            ({"started": "forged"}, "expired"),
            ({"message": ""}, "This field is required"),
            ({"kind": "nonsense"}, "Select a valid choice"),
        ],
    )
    def test_spam_and_bad_input_are_refused_with_a_message(
        self, client: Client, published: Article, overrides: dict[str, Any], reason: str
    ) -> None:
        """Honeypot, forged or missing timestamp, empty message, bad kind: 400 with a reason, nothing stored."""
        response = client.post("/articles/low-alp/report/", report_data(**overrides))
        assert response.status_code == 400
        assert reason in response.content.decode()
        assert not ProblemReport.objects.exists()

    def test_a_form_sent_too_fast_is_refused(self, client: Client, published: Article) -> None:
        """A post within seconds of loading the form is treated as a bot."""
        started = signing.dumps(time.time(), salt="problem-report")
        response = client.post("/articles/low-alp/report/", report_data(started=started))
        assert response.status_code == 400 and "very quick" in response.content.decode()

    def test_reports_are_rate_limited_per_address(self, client: Client, published: Article) -> None:
        """The sixth report within an hour from one address answers 429 and is not stored."""
        for _ in range(5):
            assert client.post("/articles/low-alp/report/", report_data()).status_code == 200
        response = client.post("/articles/low-alp/report/", report_data())
        assert response.status_code == 429
        assert ProblemReport.objects.count() == 5

    def test_reports_on_unpublished_articles_are_404(self, client: Client, author: Any) -> None:
        """There is nothing to report on a draft."""
        make_article(author=author, slug="draft")
        assert client.post("/articles/draft/report/", report_data()).status_code == 404

    def test_editors_see_open_reports_in_the_workspace(
        self, client: Client, published: Article, editor: Any
    ) -> None:
        """The article's workspace page lists readers' open reports."""
        client.post("/articles/low-alp/report/", report_data())
        client.force_login(editor)
        html = client.get("/workspace/articles/low-alp/").content.decode()
        assert "The dose in the list looks ten times too high." in html
