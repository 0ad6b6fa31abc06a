"""Content live pending review does not outlive a reviewer's "changes requested" or a withdrawal."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client, override_settings

from articles.models import Article
from reviews.models import AuditEvent
from reviews.selectors.audit import chain_breaks
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import PASSWORD, make_article, publish_approved, submit_and_review

pytestmark = pytest.mark.django_db


def live_pending(*, author: Any, editor: Any, reviewer: Any) -> Article:
    article = submit_and_review(
        make_article(author=author), author=author, editor=editor, reviewers=[reviewer]
    )
    transition_apply(article=article, user=editor, action="publish_pending_review", note="Urgent.")
    return Article.objects.get(pk=article.pk)


def request_changes(article: Article, reviewer: Any) -> None:
    transition_apply(
        article=article,
        user=reviewer,
        action="request_changes",
        password=PASSWORD,
        note="The dose is dangerous.",
        params={"content_hash": article.content_hash},
    )


def test_changes_requested_takes_live_pending_content_down_and_tells_editors(
    client: Client,
    author: Any,
    editor: Any,
    reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """By default the unreviewed text leaves the site, with an audit event and a mail to editors."""
    article = live_pending(author=author, editor=editor, reviewer=reviewer)
    assert client.get(article.get_absolute_url()).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        request_changes(article, reviewer)
    article = Article.objects.get(pk=article.pk)
    assert article.live_version is None and not article.live_pending_review
    assert client.get(f"/articles/{article.slug}/").status_code == 404
    event = AuditEvent.objects.filter(article=article).order_by("-pk").first()
    assert event.action == "live_taken_down" and "The dose is dangerous." in event.note
    assert list(chain_breaks(article_ids=[article.pk])) == []
    pulled = [m for m in mail.outbox if "[Published pending review]" in m.subject]
    assert pulled and pulled[-1].to == [editor.email]


@override_settings(EDITORIAL_CHANGES_REQUESTED_LIVE="dispute")
def test_changes_requested_marks_live_pending_content_disputed_by_policy(
    client: Client,
    author: Any,
    editor: Any,
    reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Under the dispute policy the text stays live, plainly marked disputed; editors are told."""
    article = live_pending(author=author, editor=editor, reviewer=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        request_changes(article, reviewer)
    article = Article.objects.get(pk=article.pk)
    assert article.live_version is not None and article.live_disputed
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Disputed:" in page and "asked for changes" in page
    assert AuditEvent.objects.filter(article=article, action="live_marked_disputed").exists()
    assert any("marked to readers as disputed" in m.subject for m in mail.outbox)


def test_withdrawing_live_pending_content_takes_it_down(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """A withdrawal to draft leaves nothing unreviewed live with the tracker stuck at Submitted."""
    article = live_pending(author=author, editor=editor, reviewer=reviewer)
    transition_apply(article=article, user=author, action="withdraw")
    article = Article.objects.get(pk=article.pk)
    assert article.live_version is None
    assert client.get(f"/articles/{article.slug}/").status_code == 404
    assert AuditEvent.objects.filter(article=article, action="live_taken_down").exists()


def test_changes_requested_on_a_new_version_leaves_the_approved_live_version(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """What the board signed stays live: only unreviewed live content is taken down."""
    article = publish_approved(
        make_article(author=author), author=author, editor=editor, reviewers=[reviewer]
    )
    live = article.live_version_id
    draft_update(
        article=article,
        user=author,
        base_version=article.version,
        fields={"summary": "A changed summary."},
        change_reason="Clarify.",
    )
    request_changes(Article.objects.get(pk=article.pk), reviewer)
    article = Article.objects.get(pk=article.pk)
    assert article.live_version_id == live and not article.live_disputed
    assert not AuditEvent.objects.filter(article=article, action="live_taken_down").exists()
