"""The transition table through HTTP: every role x action x state, with CSRF enforced."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import Article
from reviews.models import AuditEvent, State
from reviews.workflow import TRANSITIONS
from tests.factories import PASSWORD
from tests.reviews.test_transitions import (  # noqa: F401 - `world` is a fixture
    GUARD_BLOCKED,
    MATRIX,
    World,
    expected_outcome,
    roles_in,
    world,
)

# What the workspace answers for each outcome of the service-level matrix.
HTTP_STATUS = {"forbidden": 403, "illegal_state": 409, "guard_failed": 422, "applied": 302}


def csrf_client(user: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/workspace/")  # any page with a form sets the CSRF cookie
    return client


def form_data(name: str, article: Article, reviewer: Any, token: str) -> dict[str, Any]:
    transition = TRANSITIONS[name]
    data: dict[str, Any] = {"csrfmiddlewaretoken": token, "note": f"Reason for {name}."}
    if transition.signs:
        data |= {
            "password": PASSWORD,
            "content_hash": Article.objects.get(pk=article.pk).content_hash,
        }
    if name == "start_review":
        data["reviewers"] = [reviewer.pk]
    if name in {"schedule_publish", "schedule_unpublish"}:
        data["when"] = (timezone.localtime() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    return data


@pytest.mark.parametrize(("name", "state", "persona"), MATRIX)
def test_every_action_answers_through_http_as_the_table_declares(
    world: World, db: Any, name: str, state: State, persona: str
) -> None:
    """403 wrong role, 404 no role at all, 409 wrong state, 422 blocked by a guard, 302 done."""
    article = world.articles[state]
    client = csrf_client(world.users[persona])
    events = AuditEvent.objects.filter(article=article).count()
    outcome = expected_outcome(TRANSITIONS[name], state, persona)
    response = client.post(
        f"/workspace/articles/{article.slug}/actions/{name}/",
        form_data(name, article, world.users["reviewer"], client.cookies["csrftoken"].value),
    )
    expected = 404 if not roles_in(persona, state) else HTTP_STATUS[outcome]
    assert response.status_code == expected, response.content.decode()[:3000]
    after = Article.objects.get(pk=article.pk)
    if outcome == "applied" and expected == 302:
        assert AuditEvent.objects.filter(article=article).count() == events + 1
    else:
        assert after.workflow.state == state
        assert AuditEvent.objects.filter(article=article).count() == events
    if outcome == "guard_failed":
        assert GUARD_BLOCKED[name, state] in response.content.decode()


@pytest.mark.parametrize("state", [State.SUBMITTED, State.UNDER_REVIEW, State.APPROVED])
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    world: World, db: Any, state: State
) -> None:
    """Even the right person, in the right state, is refused without the CSRF token."""
    article = world.articles[state]
    client = csrf_client(world.users["editor"])
    events = AuditEvent.objects.filter(article=article).count()
    response = client.post(
        f"/workspace/articles/{article.slug}/actions/retire/", {"note": "Forged."}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(article=article).count() == events


def test_signing_through_http_needs_the_password(world: World, db: Any) -> None:
    """The reviewer's sign-off form refuses a wrong password (422) and signs nothing."""
    article = world.articles[State.UNDER_REVIEW]
    client = csrf_client(world.users["reviewer"])
    data = form_data("approve", article, world.users["reviewer"], client.cookies["csrftoken"].value)
    data["password"] = "wrong password"
    response = client.post(f"/workspace/articles/{article.slug}/actions/approve/", data)
    assert response.status_code == 422
    assert "Your password was not correct" in response.content.decode()
    assert Article.objects.get(pk=article.pk).workflow.state == State.UNDER_REVIEW


def test_the_sign_off_page_shows_the_statement_version_and_hash(world: World, db: Any) -> None:
    """Before signing, the reviewer sees exactly what the signature will mean and bind."""
    article = world.articles[State.UNDER_REVIEW]
    client = csrf_client(world.users["reviewer"])
    html = client.get(f"/workspace/articles/{article.slug}/actions/approve/").content.decode()
    assert "Approved for medical accuracy" in html
    assert f"version {article.version}" in html
    assert article.content_hash in html
    assert 'type="password"' in html


def test_anonymous_users_are_sent_to_sign_in(world: World, db: Any) -> None:
    """Every workspace URL refuses anonymous users."""
    article = world.articles[State.UNDER_REVIEW]
    client = Client()
    for url in [
        "/workspace/",
        f"/workspace/articles/{article.slug}/",
        f"/workspace/articles/{article.slug}/edit/",
        f"/workspace/articles/{article.slug}/history/",
        f"/workspace/articles/{article.slug}/actions/approve/",
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/"
        ), url
