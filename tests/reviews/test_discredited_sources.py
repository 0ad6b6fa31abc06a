"""A retracted or superseded source is flagged on the live page at once and blocks publication."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import Article
from reviews.services.errors import WorkflowError
from reviews.services.evidence import check_waive, reference_flag
from reviews.services.transitions import transition_apply
from tests.factories import (
    approve,
    make_article,
    make_reference,
    publish_approved,
    submit_and_review,
)

pytestmark = pytest.mark.django_db


def approved(*, author: Any, editor: Any, reviewer: Any, **kwargs: Any) -> Article:
    article = submit_and_review(
        make_article(author=author, **kwargs), author=author, editor=editor, reviewers=[reviewer]
    )
    approve(article, reviewer)
    return Article.objects.get(pk=article.pk)


def test_a_retraction_flags_the_live_page_at_once(
    client: Client,
    author: Any,
    editor: Any,
    reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The bibliography entry says retracted and a notice sits by the trust line; no stale copy."""
    cited = make_reference()
    article = publish_approved(
        make_article(author=author, citations=[cited]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    url = f"/articles/{article.slug}/?audience=clinician"
    before = client.get(url).content.decode()  # now in the page cache
    assert "ref-flag" not in before and "evidence-notice" not in before
    with django_capture_on_commit_callbacks(execute=True):
        reference_flag(
            reference=cited,
            user=editor,
            retracted_on=date(2026, 3, 2),
            retraction_notice_url="https://example.org/notice",
        )
    page = client.get(url).content.decode()
    assert "Retracted on 2 March 2026" in page
    assert 'href="https://example.org/notice"' in page
    assert "A source this article relies on has been retracted" in page


def test_a_superseded_listed_or_cited_source_is_flagged_on_the_live_page(
    client: Client,
    author: Any,
    editor: Any,
    reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Superseded shows too, naming the newer source."""
    old = make_reference(kind="guideline", title="Old guideline")
    article = publish_approved(
        make_article(author=author, citations=[old]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    with django_capture_on_commit_callbacks(execute=True):
        reference_flag(
            reference=old, user=editor, superseded_by=make_reference(citekey="newer-2026")
        )
    page = client.get(f"/articles/{article.slug}/?audience=clinician").content.decode()
    assert "Superseded by Author 2020" in page
    assert "has been superseded since it was reviewed" in page


@pytest.mark.parametrize("action", ["publish", "schedule_publish"])
def test_an_approved_article_citing_a_retracted_source_cannot_be_published(
    author: Any, editor: Any, reviewer: Any, action: str
) -> None:
    """The board signed before the retraction: publication asks the library again."""
    cited = make_reference()
    article = approved(author=author, editor=editor, reviewer=reviewer, citations=[cited])
    reference_flag(reference=cited, user=editor, retracted_on=date(2026, 1, 5))
    params = {"when": timezone.now() + timedelta(days=1)} if action == "schedule_publish" else {}
    with pytest.raises(WorkflowError) as refused:
        transition_apply(article=article, user=editor, action=action, params=params)
    assert any(f"{cited.citekey} was retracted" in r for r in refused.value.reasons)
    assert Article.objects.get(pk=article.pk).live_version is None


def test_a_listed_retracted_source_blocks_publish_pending_review(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """Listed sources are shown to readers as further reading, so they count too."""
    listed = make_reference()
    article = make_article(author=author, sources=[listed.citekey])
    check_waive(
        article=article,
        user=author,
        check_key="citations.listed_not_cited",
        reason="Background reading.",
    )
    article = submit_and_review(
        article,
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    reference_flag(reference=listed, user=editor, retracted_on=date(2026, 1, 5))
    with pytest.raises(WorkflowError):
        transition_apply(
            article=article, user=editor, action="publish_pending_review", note="Urgent."
        )
    assert Article.objects.get(pk=article.pk).live_version is None


def test_a_superseded_source_blocks_publication_until_a_waiver_is_recorded(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """Superseded is a judgement: refused, then allowed once someone records why for this version."""
    old = make_reference(kind="guideline")
    article = approved(author=author, editor=editor, reviewer=reviewer, citations=[old])
    reference_flag(reference=old, user=editor, superseded_by=make_reference(citekey="new-2026"))
    with pytest.raises(WorkflowError) as refused:
        transition_apply(article=article, user=editor, action="publish")
    assert any("is superseded" in r for r in refused.value.reasons)
    check_waive(
        article=article,
        user=editor,
        check_key="citations.superseded",
        reason="The 2026 guideline does not change the advice on this page.",
    )
    transition_apply(article=article, user=editor, action="publish")
    assert Article.objects.get(pk=article.pk).live_version is not None
