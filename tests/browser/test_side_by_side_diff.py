"""A reviewer reads a dose change side by side: two columns, the clinical mark, wide and narrow.

axe-core finds no serious or critical violation on the page (tests/browser/test_accessibility.py).

Screenshots at 1280 and 390 px wide go to test-artifacts/<test name>/.
"""

from __future__ import annotations

from typing import Any

import pytest

from accounts.roles import Role
from reviews.services.content import draft_update
from tests.browser.test_accessibility import BLOCKING, axe_violations
from tests.browser.test_journey import sign_in
from tests.browser.test_reader import ensure_role_groups
from tests.factories import make_article, make_reference, make_user, submit_and_review

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = (
    "## Dosing\n\nAdults take 15 mg by mouth twice daily with food [@{key}].\n\n"
    "- Do not crush the tablets.\n- Keep them dry.\n\n"
    "| Test | Target |\n|---|---|\n| ALP | 35 U/L |"
)


def test_a_reviewer_reads_a_dose_change_side_by_side(new_page: Any, shoot: Any) -> None:
    """Version 1 | Version 2 columns, the raised dose marked clinical in both, then stacked old
    above new on a phone."""
    from playwright.sync_api import expect

    ensure_role_groups()
    author = make_user(Role.AUTHOR, username="author")
    editor = make_user(Role.EDITOR, username="editor")
    reviewer = make_user(Role.REVIEWER, username="reviewer")
    reference = make_reference(title="Dosing of the enzyme")
    texts = dict.fromkeys(("patient", "clinician"), TEXT.format(key=reference.citekey))
    article = submit_and_review(
        make_article(author=author, slug="dose-change", texts=texts),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    draft_update(
        article=article,
        user=author,
        base_version=article.version,
        fields={"texts": {**texts, "patient": texts["patient"].replace("15 mg", "30 mg")}},
        change_reason="Dose raised.",
    )

    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "reviewer")
    page.goto("/workspace/articles/dose-change/diff/?from=1&to=2")
    section = page.locator('section.diff-side[data-audience="patient"]')
    expect(section.locator("table.diff-side-table > thead th")).to_have_text(
        ["Version 1", "Version 2"]
    )
    expect(page.locator("section.diff-side")).to_have_count(1)
    expect(page.locator(".diff-unchanged")).to_have_text("Unchanged: Clinician.")
    expect(section.locator("h2")).to_contain_text("1 clinical change: 1 dose")

    old = section.locator("td.diff-old del.clinical")
    new = section.locator("td.diff-new ins.clinical")
    expect(old).to_have_attribute("title", "Dose changed")
    expect(new).to_have_attribute("title", "Dose changed")
    expect(old).to_contain_text("15")
    expect(new).to_contain_text("30")
    # The hidden label is what a screen reader hears; the columns sit side by side.
    expect(new.locator(".visually-hidden")).to_have_text("inserted, dose changed: ")
    old_box, new_box = old.bounding_box(), new.bounding_box()
    assert old_box["x"] + old_box["width"] <= new_box["x"]
    assert abs(old_box["y"] - new_box["y"]) < 5
    # The Markdown diff is folded away until asked for.
    summary = page.get_by_text("Source (Markdown) changes")
    expect(page.locator(".diff-source .diff").first).to_be_hidden()
    summary.click()
    expect(page.locator(".diff-source .diff").first).to_be_visible()
    summary.click()
    shoot(page, "wide-1280")
    blocking = [v for v in axe_violations(page, "side-by-side-diff") if v["impact"] in BLOCKING]
    assert blocking == [], blocking

    page.set_viewport_size({"width": 390, "height": 844})
    old_box, new_box = old.bounding_box(), new.bounding_box()
    assert old_box["y"] + old_box["height"] <= new_box["y"], (old_box, new_box)
    expect(section.locator("td.diff-new").first).to_be_visible()
    shoot(page, "narrow-390")
