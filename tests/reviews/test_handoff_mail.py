"""Mail at every hand-off: who gets what, with which subject and which link."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings

from articles.models import Article
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import PASSWORD, approve, make_article, make_reference, submit_and_review

pytestmark = pytest.mark.django_db

SITE = "https://health.example.org"


def _sent(callable_: Any, capture: Any) -> list[Any]:
    """The mail one committed step sends (tasks run at once in tests: tests/settings.py)."""
    mail.outbox.clear()
    with capture(execute=True):
        callable_()
    return list(mail.outbox)


def _request_changes(article: Article, reviewer: Any) -> None:
    transition_apply(
        article=article,
        user=reviewer,
        action="request_changes",
        password=PASSWORD,
        note="Cite the dose.",
        params={"content_hash": article.content_hash},
    )


@override_settings(SITE_URL=SITE)
def test_submission_mails_the_editors_with_a_link_on_the_configured_site(
    author: Any, editor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A submission tells every editor, and the link is built on SITE_URL, not a local port."""
    article = make_article(author=author, citations=[make_reference()])
    sent = _sent(
        lambda: transition_apply(article=article, user=author, action="submit"),
        django_capture_on_commit_callbacks,
    )
    assert [(m.to, m.subject) for m in sent] == [([editor.email], f"[Submitted] “{article.title}”")]
    assert f"{SITE}/workspace/articles/{article.slug}/" in sent[0].body
    assert "127.0.0.1" not in sent[0].body


@override_settings(SITE_URL=SITE)
def test_a_resubmission_mails_the_rounds_reviewers_the_diff_and_the_editors(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """After changes were requested, the revised version reaches the reviewer with its diff."""
    article = submit_and_review(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    _request_changes(article, reviewer)
    signed = article.version
    draft_update(
        article=article,
        user=author,
        base_version=article.version,
        fields={"summary": "With the dose cited."},
        change_reason="Answer the review",
    )
    article.refresh_from_db()
    sent = _sent(
        lambda: transition_apply(article=article, user=author, action="submit"),
        django_capture_on_commit_callbacks,
    )
    by_subject = {m.subject: m for m in sent}
    assert by_subject[f"[Resubmitted] “{article.title}”"].to == [editor.email]
    new_version = by_subject[f"[Review] New version of “{article.title}” ready"]
    assert new_version.to == [reviewer.email]
    assert (
        f"{SITE}/workspace/articles/{article.slug}/diff/?from={signed}&to={article.version}"
        in new_version.body
    )


@override_settings(SITE_URL=SITE)
def test_a_new_round_after_a_signed_version_gives_the_reviewer_the_diff(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A reviewer added to a later round is sent what changed since the board last signed."""
    article = submit_and_review(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    _request_changes(article, reviewer)
    signed = article.version
    draft_update(
        article=article,
        user=author,
        base_version=article.version,
        fields={"summary": "Revised."},
        change_reason="Answer the review",
    )
    article.refresh_from_db()
    transition_apply(article=article, user=author, action="submit")
    sent = _sent(
        lambda: transition_apply(
            article=article,
            user=editor,
            action="start_review",
            params={"reviewers": [reviewer, reviewer2]},
        ),
        django_capture_on_commit_callbacks,
    )
    # The reviewer already in the round is not asked twice; the new one gets the diff.
    assert [m.to for m in sent] == [[reviewer2.email]]
    assert sent[0].subject == f"[Review] Please review “{article.title}”"
    assert f"{SITE}/workspace/articles/{article.slug}/diff/?from={signed}&to={article.version}" in (
        sent[0].body
    )


def test_an_approval_short_of_the_quorum_says_1_of_2_and_only_the_quorum_says_approved(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """With two approvals needed, the first decision mail is "1 of 2 approvals", not "Approved"."""
    article = submit_and_review(
        make_article(author=author, citations=[make_reference()], high_risk=True),
        author=author,
        editor=editor,
        reviewers=[reviewer, reviewer2],
    )
    first = _sent(lambda: approve(article, reviewer), django_capture_on_commit_callbacks)
    assert [m.subject for m in first] == [f"[Review] 1 of 2 approvals: “{article.title}”"]
    assert sorted(first[0].to) == sorted([author.email, editor.email])
    assert "Approved" not in first[0].subject
    assert "approval 1 of the 2 needed" in first[0].body
    second = _sent(lambda: approve(article, reviewer2), django_capture_on_commit_callbacks)
    assert [m.subject for m in second] == [f"[Review] Approved: “{article.title}”"]
    assert "2 of 2 approvals" in second[0].body


@override_settings(SITE_URL=SITE)
def test_publication_mails_the_author_the_public_page(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Publishing tells the authors (not the editor who published) where readers see it."""
    article = submit_and_review(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    approve(article, reviewer)
    sent = _sent(
        lambda: transition_apply(article=article, user=editor, action="publish"),
        django_capture_on_commit_callbacks,
    )
    assert [(m.to, m.subject) for m in sent] == [([author.email], f"[Published] “{article.title}”")]
    assert f"{SITE}/articles/{article.slug}/" in sent[0].body
    assert "pending" not in sent[0].body


def test_publishing_pending_review_tells_the_author_it_is_not_signed(
    author: Any, editor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """An unsigned publication says so in the author's mail."""
    article = make_article(author=author, citations=[make_reference()])
    transition_apply(article=article, user=author, action="submit")
    sent = _sent(
        lambda: transition_apply(
            article=article, user=editor, action="publish_pending_review", note="Urgent."
        ),
        django_capture_on_commit_callbacks,
    )
    assert [m.to for m in sent] == [[author.email]]
    assert "pending medical review" in sent[0].body


def test_no_mail_leaves_when_the_change_rolls_back(
    author: Any, editor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A submission whose transaction rolls back enqueues and sends nothing."""
    article = make_article(author=author, citations=[make_reference()])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            transition_apply(article=article, user=author, action="submit")
            raise RuntimeError("something after the submission failed")
    assert callbacks == []
    assert mail.outbox == []
