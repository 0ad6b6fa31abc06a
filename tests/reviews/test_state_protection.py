"""The workflow state is protected: only the transition service moves it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from articles.models import Article
from reviews.models import ArticleWorkflow, AuditEvent, State
from reviews.services.transitions import transition_apply
from reviews.state import StateWriteError
from tests.factories import make_article


def test_assigning_the_state_outside_the_service_raises(author: Any) -> None:
    """A view, a script or the admin cannot put an article in a state the table did not lead to."""
    workflow = make_article(author=author).workflow
    with pytest.raises(StateWriteError):
        workflow.state = State.APPROVED
    assert workflow.state == State.DRAFT
    assert ArticleWorkflow.objects.get(pk=workflow.pk).state == State.DRAFT


def test_assigning_the_state_of_a_new_unsaved_workflow_raises(author: Any) -> None:
    workflow = ArticleWorkflow(article=make_article(author=author))
    with pytest.raises(StateWriteError):
        workflow.state = State.APPROVED


def test_a_bulk_update_of_the_state_raises(author: Any) -> None:
    """A queryset update would move articles without an audit event: refused, nothing changes."""
    article = make_article(author=author)
    with pytest.raises(StateWriteError), transaction.atomic():
        ArticleWorkflow.objects.filter(article=article).update(state=State.APPROVED)
    with pytest.raises(StateWriteError), transaction.atomic():
        workflow = ArticleWorkflow.objects.get(article=article)
        ArticleWorkflow.objects.bulk_update([workflow], ["state"])
    assert ArticleWorkflow.objects.get(article=article).state == State.DRAFT


def test_a_bulk_update_of_other_fields_still_works(author: Any) -> None:
    article = make_article(author=author)
    assert ArticleWorkflow.objects.filter(article=article).update(review_interval_days=30) == 1
    assert ArticleWorkflow.objects.get(article=article).review_interval_days == 30


def test_the_service_still_moves_the_state_and_records_it(author: Any) -> None:
    article = make_article(author=author)
    workflow = transition_apply(article=article, user=author, action="submit")
    assert workflow.state == State.SUBMITTED
    assert ArticleWorkflow.objects.get(article=article).state == State.SUBMITTED
    assert AuditEvent.objects.filter(article=article).last().to_state == State.SUBMITTED


def test_loading_and_reloading_from_the_database_work(author: Any) -> None:
    """Reading rows (whole, deferred, refreshed) sets the attribute without tripping the guard."""
    article = make_article(author=author)
    stale = ArticleWorkflow.objects.get(article=article)
    transition_apply(article=article, user=author, action="submit")
    assert ArticleWorkflow.objects.get(article=article).state == State.SUBMITTED
    assert ArticleWorkflow.objects.only("cycle").get(article=article).state == State.SUBMITTED
    assert Article.objects.select_related("workflow").get(pk=article.pk).workflow.state == (
        State.SUBMITTED
    )
    stale.refresh_from_db()
    assert stale.state == State.SUBMITTED
    with pytest.raises(StateWriteError):
        stale.state = State.DRAFT


def test_a_workflow_is_created_in_draft(author: Any) -> None:
    """Every article starts in draft; creating one in another state is refused."""
    article = make_article(author=author)
    assert article.workflow.state == State.DRAFT
    ArticleWorkflow.objects.filter(article=article).delete()
    with pytest.raises(StateWriteError), transaction.atomic():
        ArticleWorkflow.objects.create(article=article, state=State.APPROVED)
    assert ArticleWorkflow.objects.create(article=article).state == State.DRAFT


def test_the_permission_to_move_is_for_one_object_only(author: Any) -> None:
    """While the service moves one workflow, another object for the same row stays protected."""
    article = make_article(author=author)
    moving = ArticleWorkflow.objects.get(article=article)
    other = ArticleWorkflow.objects.get(article=article)
    with moving.moving():
        moving.state = State.SUBMITTED
        with pytest.raises(StateWriteError):
            other.state = State.APPROVED
    with pytest.raises(StateWriteError):
        moving.state = State.APPROVED
