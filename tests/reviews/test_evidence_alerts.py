"""Marking a reference retracted or superseded flags every article that cites it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from references.models import Reference
from reviews.models import ArticleWorkflow, AuditEvent
from reviews.services.evidence import reference_flag
from tests.factories import make_article, make_reference, publish_approved

pytestmark = pytest.mark.django_db


def test_retraction_puts_published_citing_articles_into_re_review(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Published articles citing it are due for review today, with an audit event and a mail to editors."""
    cited = make_reference()
    published = publish_approved(
        make_article(author=author, citations=[cited]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    draft = make_article(author=author, citations=[cited])
    unrelated = publish_approved(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    with django_capture_on_commit_callbacks(execute=True):
        flagged = reference_flag(
            reference=cited,
            user=editor,
            retracted_on=date(2026, 11, 1),
            retraction_notice_url="https://example.org/notice",
        )
    assert {a.pk for a in flagged} == {published.pk, draft.pk}
    assert ArticleWorkflow.objects.get(article=published).next_review_due == timezone.localdate()
    assert ArticleWorkflow.objects.get(article=unrelated).next_review_due > timezone.localdate()
    event = AuditEvent.objects.get(article=published, action="evidence_alert")
    assert f"{cited.citekey} was retracted on 01 November 2026" in event.note
    assert AuditEvent.objects.filter(article=draft, action="evidence_alert").exists()
    assert mail.outbox[-1].to == [editor.email] and "[Evidence alert]" in mail.outbox[-1].subject
    assert Reference.objects.get(pk=cited.pk).history.first().retracted_on == date(2026, 11, 1)


def test_superseding_flags_citing_articles(author: Any, editor: Any) -> None:
    """A newer guideline superseding a cited one flags the article, naming both."""
    old = make_reference(kind="guideline")
    article = make_article(author=author, citations=[old])
    flagged = reference_flag(
        reference=old,
        user=editor,
        superseded_by=make_reference(kind="guideline", citekey="new-2025"),
    )
    assert [a.pk for a in flagged] == [article.pk]
    assert (
        "is superseded by new-2025"
        in AuditEvent.objects.get(article=article, action="evidence_alert").note
    )


def test_only_editors_flag_references(author: Any) -> None:
    """Authors cannot change a library reference's status."""
    with pytest.raises(PermissionDenied):
        reference_flag(reference=make_reference(), user=author, retracted_on=date(2026, 1, 1))


def test_marking_retracted_in_the_admin_flags_articles(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """The admin's save goes through the same service."""
    cited = make_reference()
    published = publish_approved(
        make_article(author=author, citations=[cited]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    client = Client()
    client.force_login(editor)
    url = f"/admin/references/reference/{cited.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "authors": '[{"family": "Author", "initials": "A"}]',
            "editors": "[]",
            "retracted_on": "2026-11-02",
            "kind": cited.kind,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEvent.objects.filter(article=published, action="evidence_alert").exists()
