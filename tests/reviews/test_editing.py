"""Editing drafts through `draft_update`: versions, conflicts, voided approvals and who may edit."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from articles.models import Article, ChangeWeight
from reviews.models import AuditEvent, State
from reviews.selectors.signing import valid_approvals
from reviews.services.content import draft_update
from reviews.services.errors import EditConflict, WorkflowError
from reviews.services.transitions import transition_apply
from tests.factories import (
    approve,
    make_article,
    make_reference,
    make_user,
    publish_approved,
    submit_and_review,
)

NEW_TEXTS = {
    "patient": "## About\n\nRewritten for patients.",
    "clinician": "## About\n\nRewritten.",
}


def fresh(article: Article) -> Article:
    return Article.objects.select_related("workflow", "live_version").get(pk=article.pk)


def edit(article: Article, user: Any, **kwargs: Any) -> Article:
    """Save `fields` (new texts unless given) on top of the article's current version."""
    kwargs.setdefault("fields", {"texts": NEW_TEXTS})
    kwargs.setdefault("change_reason", "Plainer wording.")
    return draft_update(article=article, user=user, base_version=fresh(article).version, **kwargs)


def approved(*, author: Any, editor: Any, reviewer: Any) -> Article:
    article = make_article(author=author, citations=[make_reference()])
    article = submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
    approve(article, reviewer)
    return fresh(article)


def published(*, author: Any, editor: Any, reviewer: Any) -> Article:
    article = make_article(author=author, citations=[make_reference()])
    return fresh(publish_approved(article, author=author, editor=editor, reviewers=[reviewer]))


# --- versions --------------------------------------------------------------------------------------


def test_a_content_change_makes_one_version_with_its_reason_and_user(author: Any) -> None:
    """A changed text makes the next version and exactly one history row, saying who and why."""
    article = make_article(author=author)
    edit(article, author, change_reason="Plainer wording.")
    article = fresh(article)
    assert article.version == 2
    assert article.texts == NEW_TEXTS
    assert article.history.count() == 2
    row = article.history.get(version=2)
    assert row.history_change_reason == "Plainer wording."
    assert row.history_user == author
    assert row.content_hash == article.content_hash


def test_a_save_without_a_content_change_makes_no_version_history_or_audit_event(
    author: Any,
) -> None:
    """Saving the same content (even re-typed with trailing blanks) writes nothing new."""
    article = make_article(author=author)
    events = AuditEvent.objects.filter(article=article).count()
    same = {key: f"{text}  \r\n" for key, text in article.texts.items()}
    edit(article, author, fields={"texts": same, "title": article.title})
    after = fresh(article)
    assert (after.version, after.content_hash) == (article.version, article.content_hash)
    assert after.history.count() == 1
    assert AuditEvent.objects.filter(article=article).count() == events


def test_a_minor_change_is_recorded_as_minor_on_its_history_row(author: Any) -> None:
    """The change weight given with an edit is stored on the version it made."""
    article = make_article(author=author)
    edit(article, author, change_weight=ChangeWeight.MINOR, change_reason="Typo.")
    assert fresh(article).history.get(version=2).change_weight == ChangeWeight.MINOR
    assert article.history.get(version=1).change_weight == ChangeWeight.SUBSTANTIVE


def test_an_edit_without_a_reason_is_refused(author: Any) -> None:
    """Every version says why it was made; a blank reason is a validation error on that field."""
    article = make_article(author=author)
    with pytest.raises(ValidationError) as refused:
        edit(article, author, change_reason="   ")
    assert "change_reason" in refused.value.message_dict
    assert fresh(article).version == 1


def test_an_edit_from_a_stale_version_is_refused_and_writes_nothing(author: Any) -> None:
    """Saving on top of a version that is no longer current raises EditConflict; nothing changes."""
    article = make_article(author=author)
    edit(article, author)
    current = fresh(article)
    with pytest.raises(EditConflict) as conflict:
        draft_update(
            article=article,
            user=author,
            base_version=1,
            fields={"summary": "Someone else's summary."},
            change_reason="Mine.",
        )
    assert (conflict.value.base_version, conflict.value.article.version) == (1, 2)
    after = fresh(article)
    assert (after.version, after.content_hash, after.summary) == (
        2,
        current.content_hash,
        current.summary,
    )
    assert after.history.count() == 2


# --- edits after approval --------------------------------------------------------------------------


def test_editing_an_approved_published_article_sends_it_back_under_review(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """A content change voids the approval: back under review, and the audit trail says why."""
    article = published(author=author, editor=editor, reviewer=reviewer)
    edit(article, author, change_reason="New trial data.")
    after = fresh(article)
    assert after.workflow.state == State.UNDER_REVIEW
    event = AuditEvent.objects.filter(article=article).order_by("pk").last()
    assert event.action == "void_approvals"
    assert (event.from_state, event.to_state) == (State.APPROVED, State.UNDER_REVIEW)
    assert (event.version, event.content_hash, event.actor) == (2, after.content_hash, author)
    assert "Approval voided by change in version 2" in event.note
    assert "New trial data." in event.note
    assert valid_approvals(article=after, workflow=after.workflow) == []


def test_readers_keep_the_signed_version_while_an_edit_is_reviewed(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """After an edit to a published article the live version is still the signed one."""
    article = published(author=author, editor=editor, reviewer=reviewer)
    signed_texts, signed_hash = article.texts, article.content_hash
    edit(article, author)
    after = fresh(article)
    assert after.texts == NEW_TEXTS
    assert after.live_version.version == 1
    assert after.live_version.texts == signed_texts
    assert after.live_version.content_hash == signed_hash != after.content_hash
    assert not after.live_pending_review


def test_a_save_without_a_content_change_after_approval_voids_nothing(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """Re-saving the approved content keeps the article approved and its approval valid."""
    article = approved(author=author, editor=editor, reviewer=reviewer)
    edit(article, author, fields={"summary": article.summary})
    after = fresh(article)
    assert after.workflow.state == State.APPROVED
    assert len(valid_approvals(article=after, workflow=after.workflow)) == 1
    assert not AuditEvent.objects.filter(article=article, action="void_approvals").exists()


def test_an_edit_under_review_voids_an_approval_short_of_quorum(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    """On a high-risk article, a change after the first approval voids it and says so."""
    article = make_article(author=author, citations=[make_reference()], high_risk=True)
    article = submit_and_review(
        article, author=author, editor=editor, reviewers=[reviewer, reviewer2]
    )
    approve(article, reviewer)
    edit(article, author)
    after = fresh(article)
    assert after.workflow.state == State.UNDER_REVIEW
    assert valid_approvals(article=after, workflow=after.workflow) == []
    event = AuditEvent.objects.filter(article=article).order_by("pk").last()
    assert (event.action, event.from_state, event.to_state) == (
        "void_approvals",
        State.UNDER_REVIEW,
        State.UNDER_REVIEW,
    )


def test_reapproving_and_publishing_moves_readers_to_the_new_version(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """Once the edited version is signed and published, readers see it."""
    article = published(author=author, editor=editor, reviewer=reviewer)
    edit(article, author)
    approve(fresh(article), reviewer)
    transition_apply(article=article, user=editor, action="publish")
    after = fresh(article)
    assert after.workflow.state == State.APPROVED
    assert (after.live_version.version, after.live_version.content_hash) == (2, after.content_hash)
    assert after.live_version.texts == NEW_TEXTS


# --- who may edit ----------------------------------------------------------------------------------


def test_an_author_cannot_edit_another_authors_article(author: Any) -> None:
    """Authors edit their own articles only."""
    article = make_article(author=author)
    other = make_user(Role.AUTHOR, username="other-author")
    with pytest.raises(PermissionDenied):
        edit(article, other)
    assert fresh(article).version == 1


def test_an_editor_can_edit_any_article(author: Any, editor: Any) -> None:
    """Editors edit articles they did not write, and the version records them."""
    article = make_article(author=author)
    edit(article, editor)
    assert fresh(article).history.get(version=2).history_user == editor


def test_a_retired_article_cannot_be_edited(author: Any, editor: Any, reviewer: Any) -> None:
    """Retired articles are frozen until reopened: an edit is an illegal-state refusal."""
    article = published(author=author, editor=editor, reviewer=reviewer)
    transition_apply(article=article, user=editor, action="retire", note="Superseded.")
    with pytest.raises(WorkflowError) as refused:
        edit(article, editor)
    assert refused.value.code == "illegal_state"
    after = fresh(article)
    assert (after.version, after.texts) == (1, article.texts)
