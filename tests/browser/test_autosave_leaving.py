"""Leaving the edit page autosaves once: the browser fires both visibilitychange (hidden) and
pagehide, and the second must not send the same body again."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.roles import Role
from tests.browser.test_journey import sign_in
from tests.browser.test_reader import ensure_role_groups
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

LEAVE = """() => {
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
  document.dispatchEvent(new Event("visibilitychange"));
  window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: false }));
}"""


def test_leaving_the_edit_page_sends_one_autosave_not_two(new_page: Any) -> None:
    """Typed, then the tab hidden and the page left before the 2 s timer: one autosave POST."""
    ensure_role_groups()
    make_user(Role.AUTHOR, username="author")
    page = new_page()
    sign_in(page, "author")
    page.goto("/workspace/new/")
    posts: list[str] = []
    page.on(
        "request",
        lambda r: posts.append(r.url) if "/autosave/" in r.url and r.method == "POST" else None,
    )
    page.click("#id_title")
    page.keyboard.type("What is hypophosphatasia?")
    # Both events in one task, as a browser fires them on leaving; the first request is then
    # already out when its answer comes, and so would a second one be.
    with page.expect_response(lambda r: "/autosave/" in r.url and r.request.method == "POST"):
        page.evaluate(LEAVE)
    assert len(posts) == 1
