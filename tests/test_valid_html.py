"""Pages are well-formed HTML5: html5lib's strict parser finds no parse error on any of them."""

from __future__ import annotations

from typing import Any

import html5lib
import pytest
from django.test import Client

from articles.models import GlossaryTerm, SitePage
from reviews.services.comments import comment_create
from reviews.services.transitions import transition_apply
from tests.factories import make_article, make_reference, publish_approved, submit_and_review

pytestmark = pytest.mark.django_db


def assert_valid(html: str, url: str) -> None:
    parser = html5lib.HTMLParser(strict=True)
    try:
        parser.parse(html)
    except html5lib.html5parser.ParseError as error:
        line = html.splitlines()[max(0, parser.errors[-1][0][0] - 1)] if parser.errors else ""
        pytest.fail(f"{url}: {error}\n{line.strip()[:300]}")


def test_public_and_workspace_pages_parse_without_errors(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """Home, article (each audience), pending article, history, board, policy, search, topics, workspace."""
    GlossaryTerm.objects.create(
        term="enzyme", slug="enzyme", definition="A protein that does a job."
    )
    SitePage.objects.create(
        slug="editorial-policy", title="Editorial policy", body="## How\n\nCarefully."
    )
    ref = make_reference(kind="guideline")
    texts = dict.fromkeys(
        ("patient", "clinician"),
        f"## Part\n\nAn enzyme matters [@pmid:{ref.pmid}].\n\n- one\n- two",
    )
    publish_approved(
        make_article(author=author, slug="alp", texts=texts),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    pending = submit_and_review(
        make_article(author=author, slug="pending", citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    transition_apply(article=pending, user=editor, action="publish_pending_review", note="Early.")
    comment_create(article=pending, user=reviewer, audience="patient", body="<b>Check</b> this.")
    urls = [
        "/",
        "/articles/alp/?audience=patient",
        "/articles/alp/?audience=caregiver",
        "/articles/alp/?audience=clinician",
        "/articles/pending/",
        "/articles/alp/history/",
        "/board/",
        "/pages/editorial-policy/",
        "/search/?q=enzyme",
        "/topics/",
        "/articles/alp/report/",
        "/accounts/login/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_valid(response.content.decode(), url)
    client.force_login(editor)
    for url in [
        "/workspace/",
        "/workspace/articles/pending/",
        "/workspace/articles/pending/edit/",
        "/workspace/articles/pending/history/",
        "/workspace/articles/pending/dossier/",
        "/workspace/articles/alp/diff/?from=1&to=1",
        "/workspace/articles/pending/actions/retire/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_valid(response.content.decode(), url)
