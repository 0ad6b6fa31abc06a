"""Risk is computed, not ticked: dose statements ask for two approvals; editors may change it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from articles.models import Article
from reviews.models import AuditEvent, State
from reviews.services.content import draft_update
from reviews.services.errors import WorkflowError
from reviews.services.risk import approvals_set
from reviews.services.transitions import transition_apply
from tests.factories import (
    PASSWORD,
    approve,
    article_texts,
    logged_in,
    make_article,
    make_reference,
    submit_and_review,
)

pytestmark = pytest.mark.django_db

DOSE_TEXT = "## Treatment\n\nZinc 15-30 mg daily helps when zinc is low."


def dose_article(author: Any) -> Article:
    texts = article_texts(citations=[make_reference()])
    texts["patient"] += "\n\n" + DOSE_TEXT
    return make_article(author=author, texts=texts)


def reviewed(article: Article, *, author: Any, editor: Any, reviewers: list[Any]) -> Article:
    return submit_and_review(article, author=author, editor=editor, reviewers=reviewers)


def test_a_dose_article_needs_two_signatures_without_anyone_ticking_a_box(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    article = reviewed(
        dose_article(author), author=author, editor=editor, reviewers=[reviewer, reviewer2]
    )
    assert article.workflow.approvals_needed == 2
    approve(article, reviewer)
    assert Article.objects.get(pk=article.pk).workflow.state == State.UNDER_REVIEW
    approve(Article.objects.get(pk=article.pk), reviewer2)
    assert Article.objects.get(pk=article.pk).workflow.state == State.APPROVED


def test_doses_added_by_an_edit_raise_the_quorum_and_removing_them_lowers_it(
    author: Any,
) -> None:
    article = make_article(author=author, citations=[make_reference()])
    assert article.workflow.approvals_needed == 1
    texts = {**article.texts, "clinician": "Alendronate 70 mg once weekly."}
    article = draft_update(
        article=article, user=author, base_version=1, fields={"texts": texts}, change_reason="Dose."
    )
    article = Article.objects.get(pk=article.pk)
    assert article.workflow.approvals_needed == 2
    assert article.workflow.dose_statements == [["clinician", "Alendronate 70 mg once weekly"]]
    texts["clinician"] = "Alendronate is taken once a week."
    draft_update(
        article=article, user=author, base_version=2, fields={"texts": texts}, change_reason="No."
    )
    assert Article.objects.get(pk=article.pk).workflow.approvals_needed == 1


def test_an_editor_lowers_the_quorum_with_a_reason_and_one_signature_suffices(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    article = dose_article(author)
    approvals_set(
        article=article,
        user=editor,
        approvals=1,
        reason="The dose is the supplement label's; a second reviewer adds nothing.",
    )
    event = AuditEvent.objects.filter(article=article, action="approvals_set").get()
    assert event.actor == editor
    assert "2 → 1" in event.note and "supplement label" in event.note
    assert "Zinc 15-30 mg daily" in event.note
    article = reviewed(article, author=author, editor=editor, reviewers=[reviewer])
    approve(article, reviewer)
    assert Article.objects.get(pk=article.pk).workflow.state == State.APPROVED


def test_lowering_needs_a_reason_and_an_editor(author: Any, editor: Any) -> None:
    article = dose_article(author)
    with pytest.raises(ValidationError, match="Say why"):
        approvals_set(article=article, user=editor, approvals=1, reason="  ")
    with pytest.raises(PermissionDenied):
        approvals_set(article=article, user=author, approvals=1, reason="I know best.")
    with pytest.raises(ValidationError, match="between 1 and 5"):
        approvals_set(article=article, user=editor, approvals=0, reason="None needed.")
    assert Article.objects.get(pk=article.pk).workflow.approvals_needed == 2
    assert not AuditEvent.objects.filter(article=article, action="approvals_set").exists()


def test_publishing_a_dose_article_pending_review_is_refused_by_default(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    article = reviewed(
        dose_article(author), author=author, editor=editor, reviewers=[reviewer, reviewer2]
    )
    with pytest.raises(WorkflowError) as refusal:
        transition_apply(
            article=article, user=editor, action="publish_pending_review", note="Urgent."
        )
    assert "High-risk content cannot go live before the board signs" in str(refusal.value)
    assert "Zinc 15-30 mg daily" in str(refusal.value)
    assert Article.objects.get(pk=article.pk).live_version_id is None


def test_an_editor_raised_article_is_high_risk_for_publishing_pending_review(
    author: Any, editor: Any, reviewer: Any
) -> None:
    article = make_article(author=author, citations=[make_reference()])
    approvals_set(article=article, user=editor, approvals=2, reason="Contested advice.")
    article = reviewed(article, author=author, editor=editor, reviewers=[reviewer])
    with pytest.raises(WorkflowError, match="raised by an editor"):
        transition_apply(article=article, user=editor, action="publish_pending_review", note="Go.")


@override_settings(EDITORIAL_PUBLISH_PENDING_REVIEW="always")
def test_publishing_pending_review_is_allowed_for_doses_under_always(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    article = reviewed(
        dose_article(author), author=author, editor=editor, reviewers=[reviewer, reviewer2]
    )
    transition_apply(article=article, user=editor, action="publish_pending_review", note="Go.")
    article = Article.objects.get(pk=article.pk)
    assert article.live_version_id is not None and article.live_pending_review


@override_settings(EDITORIAL_PUBLISH_PENDING_REVIEW="never")
def test_publishing_pending_review_is_refused_for_everything_under_never(
    author: Any, editor: Any, reviewer: Any
) -> None:
    article = reviewed(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    with pytest.raises(WorkflowError, match="does not publish content pending review"):
        transition_apply(article=article, user=editor, action="publish_pending_review", note="Go.")


class TestThroughTheWorkspace:
    def test_a_dose_article_created_in_the_workspace_needs_two_and_says_why(
        self, author: Any, editor: Any, reviewer: Any, reviewer2: Any
    ) -> None:
        reference = make_reference()
        response = logged_in(author).post(
            "/workspace/new/",
            {
                "slug": "zinc",
                "title": "Should I take zinc?",
                "summary": "Short.",
                "text_patient": f"{DOSE_TEXT} [@pmid:{reference.pmid}]",
                "text_clinician": f"Clinical words [@pmid:{reference.pmid}].",
                "change_reason": "First version.",
                "change_weight": "substantive",
            },
        )
        assert response.status_code == 302
        article = reviewed(
            Article.objects.get(slug="zinc"),
            author=author,
            editor=editor,
            reviewers=[reviewer, reviewer2],
        )
        html = logged_in(editor).get("/workspace/articles/zinc/").content.decode()
        assert "0 of 2" in html
        assert "Needs 2 approvals: dose statements found:" in html
        assert "Zinc 15-30 mg daily" in html and "(patient text)" in html
        for signer in (reviewer, reviewer2):
            client = logged_in(signer)
            response = client.post(
                "/workspace/articles/zinc/actions/approve/",
                {"password": PASSWORD, "content_hash": article.content_hash, "note": "OK."},
            )
            assert response.status_code == 302
            state = Article.objects.get(pk=article.pk).workflow.state
            assert state == (State.UNDER_REVIEW if signer == reviewer else State.APPROVED)

    def test_an_editor_lowers_it_on_the_article_page_and_it_shows(
        self, author: Any, editor: Any
    ) -> None:
        article = dose_article(author)
        client = logged_in(editor)
        url = f"/workspace/articles/{article.slug}/approvals/"
        refused = client.post(url, {"approvals": "1", "reason": ""})
        assert refused.status_code == 422
        assert Article.objects.get(pk=article.pk).workflow.approvals_needed == 2
        assert client.post(url, {"approvals": "1", "reason": "Label dose."}).status_code == 302
        html = client.get(f"/workspace/articles/{article.slug}/").content.decode()
        assert "Needs 1 approval: lowered by an editor from 2" in html
        assert "Label dose." in html
        dossier = client.get(f"/workspace/articles/{article.slug}/dossier/").content.decode()
        assert "lowered by an editor" in dossier and "Label dose." in dossier

    def test_an_author_cannot_change_the_quorum(self, author: Any) -> None:
        article = dose_article(author)
        response = logged_in(author).post(
            f"/workspace/articles/{article.slug}/approvals/", {"approvals": "1", "reason": "Mine."}
        )
        assert response.status_code == 403
        assert Article.objects.get(pk=article.pk).workflow.approvals_needed == 2

    def test_the_pending_review_button_is_secondary_and_explained(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        article = reviewed(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        html = logged_in(editor).get(f"/workspace/articles/{article.slug}/").content.decode()
        assert 'class="button button-secondary"' in html
        assert "By exception only: readers get this version before the board signs it" in html

    def test_a_bracketed_strength_and_a_dose_table_row_need_two_and_are_listed(
        self, author: Any, editor: Any, reviewer: Any, reviewer2: Any
    ) -> None:
        """Issue #13: these once read as "no dose statements found" and could go live unsigned."""
        reference = make_reference()
        response = logged_in(author).post(
            "/workspace/new/",
            {
                "slug": "paracetamol",
                "title": "How much paracetamol?",
                "summary": "Short.",
                "text_patient": f"take 2 tablets (500 mg) every 8 hours. [@pmid:{reference.pmid}]",
                "text_clinician": (
                    f"Dosing [@pmid:{reference.pmid}]:\n\n| Group | Dose | Interval |\n"
                    "|---|---|---|\n| Adults | 1000 mg | every 6 hours |"
                ),
                "change_reason": "First version.",
                "change_weight": "substantive",
            },
        )
        assert response.status_code == 302
        article = reviewed(
            Article.objects.get(slug="paracetamol"),
            author=author,
            editor=editor,
            reviewers=[reviewer, reviewer2],
        )
        html = logged_in(editor).get("/workspace/articles/paracetamol/").content.decode()
        assert "0 of 2" in html
        assert "Needs 2 approvals: dose statements found:" in html
        assert "2 tablets (500 mg) every 8 hours" in html and "(patient text)" in html
        assert "Adults | 1000 mg | every 6 hours" in html and "(clinician text)" in html
        assert "/actions/publish_pending_review/" not in html
        with pytest.raises(WorkflowError, match="High-risk content cannot go live"):
            transition_apply(
                article=article, user=editor, action="publish_pending_review", note="Urgent."
            )
