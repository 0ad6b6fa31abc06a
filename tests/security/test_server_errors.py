"""A crash is answered in the form the caller reads: JSON under /api/, the HTML page elsewhere."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def crash(**kwargs: Any) -> Any:
    raise RuntimeError("boom")


def test_a_crash_under_the_api_is_a_json_500(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("api.read.published_articles_with_review", crash)
    response = Client(raise_request_exception=False).get("/api/v1/articles/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "server_error" and "boom" not in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_a_crash_on_the_site_is_the_html_500_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("public.selectors.published_article_page", crash)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert (
        response["Content-Type"].startswith("text/html") and "boom" not in response.content.decode()
    )
