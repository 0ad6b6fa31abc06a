"""A phone's first screen (390 x 844): the title, who reviewed it (or that nobody has yet) and
the start of the text are all in view before any scrolling; printed, the page is a clean handout."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_reader import (
    LOW_ALP_SLUG,
    PENDING_SLUG,
    Library,
    _role_groups_after_module,  # noqa: F401  (module fixture: puts the role groups back afterwards)
    build_library,
)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def library() -> Library:
    return build_library()


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def bottom(page: Any, selector: str) -> float:
    """Where the element's box ends, in CSS pixels from the top of the page."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box["y"] + box["height"]


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("first-visit", f"/articles/{LOW_ALP_SLUG}/"),
        ("audience-in-url", f"/articles/{LOW_ALP_SLUG}/?audience=patient"),
        ("pending-first-visit", f"/articles/{PENDING_SLUG}/"),
    ],
    ids=["first-visit", "audience-in-url", "pending-first-visit"],
)
def test_the_title_trust_line_and_first_paragraph_fit_a_phone_screen(
    phone: Any, library: Library, name: str, path: str, request: Any
) -> None:
    """On a 390 x 844 phone, h1, the trust line and the text's first paragraph end above 844 px."""
    phone.goto(path)
    phone.wait_for_selector(".article-body p")
    assert phone.evaluate("window.scrollY") == 0
    # The first screen only (not the full page): the evidence is what fits before scrolling.
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(folder / f"{name}-390x844.png"))
    for selector in ("h1", ".trust-line", ".article-body p"):
        assert bottom(phone, selector) <= PHONE["height"], (name, selector)
    assert phone.locator(".audience-chooser").count() == 1


def test_the_printed_page_has_no_stray_separators_chooser_or_navigation(
    new_page: Any, shoot: Any, library: Library
) -> None:
    """Printed: no header, chooser, details or back-links, and no "· ·" left by hidden links."""
    page = new_page()
    page.goto(f"/articles/{LOW_ALP_SLUG}/?audience=patient")
    page.wait_for_selector(".references")
    page.emulate_media(media="print")
    for hidden in (".site-header", ".audience-chooser", ".about-version", ".ref-back"):
        assert not page.locator(hidden).first.is_visible(), hidden
    text = page.locator("body").inner_text()
    assert not re.search(r"·\s*·", text), text
    assert not re.search(r"(^|\n)\s*·|·\s*($|\n)", text), text
    shoot(page, "print")
