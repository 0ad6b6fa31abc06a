"""The editor's "Approved, not yet published" list: what to publish next, who approved it and
when, kept under the workspace epoch and costing the same whatever its length."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from reviews.models import SignOff
from reviews.services.transitions import transition_apply
from tests.factories import (
    approve,
    logged_in,
    make_article,
    make_reference,
    publish_approved,
    submit_and_review,
)

pytestmark = pytest.mark.django_db


def _approved(author: Any, editor: Any, reviewer: Any, title: str) -> Article:
    article = submit_and_review(
        make_article(author=author, title=title, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    approve(article, reviewer)
    return Article.objects.get(pk=article.pk)


def _ready_list(html: str) -> str:
    found = re.search(r'id="ready-title".*?(?=<nav aria-label="Queue by state">)', html, re.S)
    assert found, "the list is on the editor's dashboard"
    return found.group()


def test_the_ready_list_shows_approved_unpublished_articles_with_who_approved_and_when(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """An approved article not yet live is listed with its approver; a published one is not,
    and in the Approved tab it is marked published."""
    waiting = _approved(author, editor, reviewer, "Waiting to go live?")
    publish_approved(
        make_article(author=author, title="Already live?", citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    signoff = SignOff.objects.get(article=waiting)
    html = logged_in(editor).get("/workspace/?state=approved").content.decode()
    ready = _ready_list(html)
    assert "Waiting to go live?" in ready and "Already live?" not in ready
    assert signoff.printed_name in ready
    assert f'datetime="{signoff.signed_at.isoformat()}"' in ready
    assert "not published" in ready
    queue = html.split('<nav aria-label="Queue by state">', 1)[1]
    row = re.search(r"<tr>\s*<td><a [^>]*>Already live\?</a>.*?</tr>", queue, re.S)
    assert row and '<span class="badge">published</span>' in row.group()


def test_publishing_takes_the_article_off_the_ready_list_at_once(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The kept counts move with the publication (workspace epoch): no stale row or count."""
    article = _approved(author, editor, reviewer, "Publish me?")
    client = logged_in(editor)
    assert "Publish me?" in _ready_list(client.get("/workspace/").content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(article=article, user=editor, action="publish")
    ready = _ready_list(client.get("/workspace/").content.decode())
    assert "Publish me?" not in ready
    assert "No approved article is waiting to be published." in ready


def test_the_editor_dashboard_costs_the_same_with_one_or_many_ready_articles(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """One query for the list, whatever its length (no prefetch, no query per row)."""
    _approved(author, editor, reviewer, "First?")
    client = logged_in(editor)
    client.get("/workspace/")  # the counts kept
    with CaptureQueriesContext(connection) as one:
        client.get("/workspace/")
    with django_capture_on_commit_callbacks(execute=True):  # the epoch moves, as on commit
        for n in range(4):
            _approved(author, editor, reviewer, f"More {n}?")
    client.get("/workspace/")
    with CaptureQueriesContext(connection) as many:
        assert "More 3?" in _ready_list(client.get("/workspace/").content.decode())
    assert len(many) == len(one)
