"""The drafting API tells no one which slugs other people's drafts have.

Every answer about an article the user may not see is the answer about one that does not exist:
GET, PUT and submit on it, and naming it as related on create or edit.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.roles import Role
from articles.models import Article
from tests.api.test_drafting_api import Api, draft_body, edit_body, writes
from tests.factories import make_article, make_user, publish_approved


@pytest.fixture
def hidden(db: Any) -> Article:
    """Another author's draft, which nobody but its author and the editors may see."""
    return make_article(author=make_user(Role.AUTHOR), slug="hidden-draft")


@pytest.fixture
def mine(author: Any) -> Article:
    return make_article(author=author, slug="mine")


def anonymised(response: Any, slug: str) -> tuple[int, str]:
    """Status and body with the slug asked about blanked, so two slugs' answers compare."""
    return response.status_code, response.content.decode().replace(slug, "SLUG")


def test_related_slug_of_someone_elses_draft_is_refused_as_an_unknown_one_on_create(
    client: Client, author: Any, hidden: Article
) -> None:
    """Same status and body as a slug nobody has (an oracle answered 201 for it before)."""
    api = Api(client, author)
    before = writes()
    seen = api.post("/drafts/", draft_body(related=["hidden-draft"]))
    unseen = api.post("/drafts/", draft_body(related=["ghost-draft0"]))
    assert seen.status_code == 422 and seen.json()["errors"][0]["path"] == "related[0]"
    assert anonymised(seen, "hidden-draft") == anonymised(unseen, "ghost-draft0")
    assert writes() == before


def test_related_slug_of_someone_elses_draft_is_refused_as_an_unknown_one_on_edit(
    client: Client, author: Any, hidden: Article, mine: Article
) -> None:
    """The PUT names it at its index with the unknown slug's message, and writes nothing."""
    api = Api(client, author)
    seen = api.put("/drafts/mine/", edit_body(mine, related=["hidden-draft"]))
    unseen = api.put("/drafts/mine/", edit_body(mine, related=["ghost-draft0"]))
    assert seen.status_code == 422
    assert anonymised(seen, "hidden-draft") == anonymised(unseen, "ghost-draft0")
    assert Article.objects.get(pk=mine.pk).version == 1


def test_published_articles_and_the_users_own_may_be_related(
    client: Client, author: Any, editor: Any, reviewer: Any, mine: Article
) -> None:
    """Another author's published article is public, so it can be named."""
    other = make_user(Role.AUTHOR)
    published = publish_approved(
        make_article(author=other, slug="live-one"),
        author=other,
        editor=editor,
        reviewers=[reviewer],
    )
    response = Api(client, author).post("/drafts/", draft_body(related=["live-one", "mine"]))
    assert response.status_code == 201
    assert sorted(response.json()["related"]) == ["live-one", "mine"]
    assert published.is_public


def test_an_editor_may_relate_any_draft(client: Client, editor: Any, hidden: Article) -> None:
    """Editors see every article, so every slug is theirs to name."""
    response = Api(client, editor).post("/drafts/", draft_body(related=["hidden-draft"]))
    assert response.status_code == 201 and response.json()["related"] == ["hidden-draft"]


def test_what_an_editor_related_survives_the_authors_round_trip(
    client: Client, author: Any, editor: Any, hidden: Article, mine: Article
) -> None:
    """An author's PUT sends back what GET showed, including a related draft they cannot see."""
    Api(client, editor).put("/drafts/mine/", edit_body(mine, related=["hidden-draft"]))
    mine = Article.objects.get(pk=mine.pk)
    response = Api(client, author).put("/drafts/mine/", edit_body(mine, title="Retitled?"))
    assert response.status_code == 200 and response.json()["related"] == ["hidden-draft"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/drafts/{}/"), ("PUT", "/drafts/{}/"), ("POST", "/drafts/{}/submit")],
)
def test_get_put_and_submit_on_someone_elses_draft_answer_as_for_a_missing_slug(
    client: Client, author: Any, hidden: Article, method: str, path: str
) -> None:
    """Same status, same body, same headers that matter; nothing written."""
    api = Api(client, author)
    body = edit_body(hidden) if method == "PUT" else None

    def ask(slug: str) -> Any:
        if method == "GET":
            return api.get(path.format(slug))
        if method == "PUT":
            return api.put(path.format(slug), body)
        return api.post(path.format(slug))

    before = writes()
    seen, unseen = ask("hidden-draft"), ask("ghost-draft0")
    assert seen.status_code == 404
    assert anonymised(seen, "hidden-draft") == anonymised(unseen, "ghost-draft0")
    assert seen.get("Allow") == unseen.get("Allow")
    assert writes() == before


def test_a_taken_slug_is_the_same_409_whoever_holds_it_and_whether_or_not_it_is_live(
    client: Client, author: Any, editor: Any, reviewer: Any, hidden: Article, mine: Article
) -> None:
    """The conflict says the slug is taken, not by whom nor whether it is published."""
    other = make_user(Role.AUTHOR)
    publish_approved(
        make_article(author=other, slug="live-one"),
        author=other,
        editor=editor,
        reviewers=[reviewer],
    )
    api = Api(client, author)
    answers = {
        slug: anonymised(api.post("/drafts/", draft_body(slug=slug)), slug)
        for slug in ("hidden-draft", "mine", "live-one")
    }
    assert answers["hidden-draft"][0] == 409
    assert answers["hidden-draft"] == answers["mine"] == answers["live-one"]
    assert "live" not in answers["hidden-draft"][1].replace("SLUG", "")
