"""The admin: every model registered; article edits go through the services; decisions read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

from articles.models import Article
from reviews.models import SignOff
from tests.factories import make_article, make_reference, publish_approved

pytestmark = pytest.mark.django_db


def test_every_model_of_both_apps_is_registered() -> None:
    """Each articles/reviews model (history tables aside) has an admin."""
    models = [
        m
        for app in ("articles", "reviews")
        for m in apps.get_app_config(app).get_models()
        if not m.__name__.startswith("Historical")
    ]
    assert models
    assert [m.__name__ for m in models if m not in admin.site._registry] == []


def change_form_data(article: Article, **overrides: Any) -> dict[str, Any]:
    data = {
        "title": article.title,
        "summary": article.summary,
        "related": [],
        "base_version": article.version,
        "change_reason": "Typo.",
        "change_weight": "minor",
        **{f"text_{k}": v for k, v in article.texts.items()},
    }
    data.update(overrides)
    return data


def test_editor_saves_an_article_through_the_admin_as_a_new_version(
    client: Client, author: Any, editor: Any
) -> None:
    """A save in the admin makes one new version with its reason and weight."""
    article = make_article(author=author)
    client.force_login(editor)
    url = f"/admin/articles/article/{article.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, change_form_data(article, text_patient="Fixed text."))
    assert response.status_code == 302, response.content.decode()[:2000]
    article.refresh_from_db()
    assert article.version == 2
    snapshot = article.history.get(version=2)
    assert (snapshot.texts["patient"], snapshot.history_change_reason, snapshot.change_weight) == (
        "Fixed text.",
        "Typo.",
        "minor",
    )
    assert snapshot.history_user == editor


def test_stale_admin_save_is_refused_and_keeps_the_users_text(
    client: Client, author: Any, editor: Any
) -> None:
    """Saving from an older version shows a conflict with the typed text still in the form."""
    article = make_article(author=author)
    client.force_login(editor)
    stale = change_form_data(article, text_patient="My careful rewrite.")
    client.post(
        f"/admin/articles/article/{article.pk}/change/",
        change_form_data(article, text_patient="Someone else."),
    )
    response = client.post(f"/admin/articles/article/{article.pk}/change/", stale)
    assert response.status_code == 200
    html = response.content.decode()
    assert "changed by someone else" in html
    assert "My careful rewrite." in html
    article.refresh_from_db()
    assert article.version == 2 and article.texts["patient"] == "Someone else."


def test_signoffs_cannot_be_added_changed_or_deleted_in_the_admin(
    client: Client, author: Any, editor: Any, reviewer: Any, admin_user: Any
) -> None:
    """Even a superuser only reads sign-offs."""
    publish_approved(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    signoff = SignOff.objects.get()
    client.force_login(admin_user)
    assert client.get(f"/admin/reviews/signoff/{signoff.pk}/change/").status_code == 200
    assert (
        client.post(f"/admin/reviews/signoff/{signoff.pk}/change/", {"note": "edited"}).status_code
        == 403
    )
    assert (
        client.post(f"/admin/reviews/signoff/{signoff.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert client.get("/admin/reviews/signoff/add/").status_code == 403
    assert SignOff.objects.get().note == signoff.note
