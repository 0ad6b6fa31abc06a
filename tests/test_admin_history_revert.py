"""The admin's "Revert" on an article's old version restores it through the workflow's service.

simple-history's own revert saved the posted form over the article as an edit; here it is
version_revert: its permission checks, a new version that needs new signatures, recorded as
"Restored version N.".
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.roles import Role
from articles.models import Article
from reviews.models import Meaning, SignOff, State
from reviews.services.content import draft_update
from tests.factories import approve, edit_data, make_article, make_user, submit_and_review

pytestmark = pytest.mark.django_db


def with_two_versions(author: Any) -> Article:
    article = make_article(author=author, title="The first title?")
    draft_update(
        article=article,
        user=author,
        base_version=1,
        fields={"title": "The second title?"},
        change_reason="Retitled.",
    )
    return Article.objects.get(pk=article.pk)


def revert_url(article: Article, version: int) -> str:
    record = article.history.filter(version=version).latest("history_id")
    return f"/admin/articles/article/{article.pk}/history/{record.history_id}/"


def post_revert(client: Client, article: Article, version: int) -> Any:
    """What the Revert button posts: the form of the old version, as the page showed it."""
    old = article.history.filter(version=version).latest("history_id").instance
    data = edit_data(old, change_reason="Back.", change_weight="substantive")
    data["base_version"] = article.version
    return client.post(revert_url(article, version), data)


def test_the_admin_revert_makes_a_new_version_through_version_revert(
    client: Client, author: Any
) -> None:
    """Version 1's content comes back as version 3, recorded as a revert."""
    author.is_staff = True
    author.save()
    article = with_two_versions(author)
    client.force_login(author)
    assert client.get(revert_url(article, 1)).status_code == 200
    response = post_revert(client, article, 1)
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.version, article.title) == (3, "The first title?")
    assert article.history.latest("history_id").history_change_reason == "Restored version 1."


def test_an_admin_revert_of_a_signed_version_needs_new_signatures(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """The approval of version 2 does not count for the restored version 3."""
    editor.is_staff = True
    editor.save()
    article = submit_and_review(
        with_two_versions(author), author=author, editor=editor, reviewers=[reviewer]
    )
    approve(article, reviewer)
    article = Article.objects.get(pk=article.pk)
    assert article.workflow.state == State.APPROVED
    client.force_login(editor)
    post_revert(client, article, 1)
    article = Article.objects.get(pk=article.pk)
    assert article.version == 3 and article.workflow.state != State.APPROVED
    assert article.history.latest("history_id").history_change_reason == "Restored version 1."
    assert not SignOff.objects.filter(article=article, version=3, meaning=Meaning.APPROVED).exists()


def test_a_reviewer_cannot_revert_in_the_admin(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """The service's permission check holds: 403 and nothing written."""
    reviewer.is_staff = True
    reviewer.save()
    article = submit_and_review(
        with_two_versions(author), author=author, editor=editor, reviewers=[reviewer]
    )
    client.force_login(reviewer)
    response = post_revert(client, article, 1)
    assert response.status_code in (403, 404)
    assert Article.objects.get(pk=article.pk).version == 2


def test_another_author_cannot_revert_someone_elses_draft_in_the_admin(
    client: Client, author: Any
) -> None:
    """An article the user may not see is not found, and stays as it is."""
    article = with_two_versions(author)
    client.force_login(make_user(Role.AUTHOR, username="other", is_staff=True))
    assert post_revert(client, article, 1).status_code in (403, 404)
    assert Article.objects.get(pk=article.pk).version == 2
