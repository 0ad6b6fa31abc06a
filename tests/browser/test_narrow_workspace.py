"""The workspace on a 390 px phone: wide tables scroll inside their own box, which a keyboard can
focus and scroll; the page itself never gets wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.roles import Role
from reviews.services.content import draft_update
from tests.browser.test_journey import sign_in
from tests.browser.test_reader import ensure_role_groups
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db(transaction=True)

PAGE_WIDTH = "document.documentElement.scrollWidth"


def test_the_history_table_scrolls_in_its_own_box_on_a_phone(
    browser: Any, live_server: Any
) -> None:
    """390 px wide: the page stays 390 px; the versions table scrolls, by keyboard too."""
    ensure_role_groups()
    author = make_user(Role.AUTHOR, username="author")
    article = make_article(author=author, slug="hpp")
    for n in range(2, 4):
        article = draft_update(
            article=article,
            user=author,
            base_version=article.version,
            fields={"summary": f"Summary {n}."},
            change_reason="Reworded the summary after the clinician's second reading, "
            "with the dose table moved to the end",
        )
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        sign_in(page, "author")
        page.goto("/workspace/articles/hpp/history/")
        assert page.evaluate(PAGE_WIDTH) <= 390
        box = page.get_by_role("region", name="Versions")
        assert box.evaluate("b => b.scrollWidth > b.clientWidth"), "the table is wider: it scrolls"
        box.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => document.querySelector('.table-scroll').scrollLeft > 0", timeout=5_000
        )
        page.goto("/workspace/")
        assert page.evaluate(PAGE_WIDTH) <= 390
        # The article's page: its audit trail scrolls in its own box, with the actions' names.
        page.goto("/workspace/articles/hpp/")
        assert page.evaluate(PAGE_WIDTH) <= 390
        trail = page.get_by_role("region", name="Audit trail")
        assert "_" not in " ".join(trail.locator("tbody td:nth-child(3)").all_inner_texts())
    finally:
        context.close()
