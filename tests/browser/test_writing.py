"""Writing in a real browser: the address from the title, the preview beside the text (glossary,
citation numbers), the related-articles search, autosave with its restore notice, and the
warning before leaving unsaved work. Every wait is on an element or a response, never a sleep."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from articles.models import Article, GlossaryTerm
from reviews.models import Autosave
from tests.browser.test_journey import sign_in
from tests.browser.test_reader import ensure_role_groups
from tests.factories import make_article, make_reference, make_user, publish_approved

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "What is hypophosphatasia?"


@pytest.fixture
def desk() -> dict[str, Any]:
    ensure_role_groups()
    author = make_user(Role.AUTHOR, username="author")
    editor = make_user(Role.EDITOR, username="editor")
    reviewer = make_user(Role.REVIEWER, username="reviewer")
    GlossaryTerm.objects.create(
        term="enzyme", slug="enzyme", definition="A protein that speeds up a chemical reaction."
    )
    related = publish_approved(
        make_article(author=editor, title="Bone pain in adults with low ALP"),
        author=editor,
        editor=editor,
        reviewers=[reviewer],
    )
    return {
        "author": author,
        "reference": make_reference(pmid="30288020", title="Profile of asfotase alfa"),
        "related": related,
    }


def autosaved(page: Any) -> Any:
    """Wait for the next autosave's answer (sent 2 s after the last keystroke)."""
    return page.expect_response(
        lambda r: "/autosave/" in r.url and r.request.method == "POST" and r.status == 200
    )


def test_a_new_article_is_written_previewed_autosaved_and_restored(
    new_page: Any, shoot: Any, desk: dict[str, Any]
) -> None:
    page = new_page()
    sign_in(page, "author")
    page.goto("/workspace/new/")

    page.click("#id_title")
    page.keyboard.type(TITLE)
    expect(page.locator("#id_slug")).to_have_value("what-is-hypophosphatasia")

    page.click("#id_text_patient")
    with autosaved(page):
        page.keyboard.type(
            f"Hypophosphatasia lowers an enzyme in bone [@pmid:{desk['reference'].pmid}]."
        )
    expect(page.locator(".autosave-status")).to_contain_text("Saved as draft at")
    preview = page.locator("#tab-patient .preview")
    expect(preview.locator("a.glossary-term")).to_have_text("enzyme")
    expect(preview.locator("sup.citation a")).to_have_text("1")
    expect(preview.locator("ol.references li#ref-1")).to_contain_text("Profile of asfotase alfa")
    text_box = page.locator("#id_text_patient").bounding_box()
    preview_box = preview.bounding_box()
    assert preview_box["x"] >= text_box["x"] + text_box["width"], "preview sits beside the text"
    assert preview_box["y"] < text_box["y"] + text_box["height"], "and at the same height"
    expect(page.locator('.tab-link[data-tab="patient"]')).to_contain_text("required, filled")
    expect(page.locator('.tab-link[data-tab="clinician"]')).to_contain_text("required, empty")
    shoot(page, "preview-beside-the-text")

    page.click("#related-search-q")
    page.keyboard.type("bone pa")
    found = page.get_by_role("button", name=re.compile("^Bone pain in adults"))
    with autosaved(page):
        found.click()
    related_box = page.locator(f'#id_related input[value="{desk["related"].pk}"]')
    expect(related_box).to_be_checked()

    # Typed and not yet autosaved: leaving asks first (dismissed: the page stays).
    dialogs: list[str] = []

    def answer(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.click("#id_summary")
    page.keyboard.type("A rare bone disease.")
    with page.expect_event("dialog"):
        page.locator(".breadcrumbs a").first.click()
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/workspace/new/")

    page.click("#id_summary")
    page.keyboard.press("End")
    with autosaved(page):
        page.keyboard.type(" It is inherited.")
    page.reload()  # everything is autosaved: no question this time
    assert dialogs == ["beforeunload"]
    expect(page.locator("#autosave-notice")).to_contain_text("Restored unsaved changes from")
    expect(page.locator("#id_summary")).to_have_value("A rare bone disease. It is inherited.")
    expect(page.locator("#id_text_patient")).to_have_value(re.compile("^Hypophosphatasia lowers"))
    expect(related_box).to_be_checked()
    shoot(page, "restored-after-reload")

    # Saving makes version 1 and clears the autosave; the submit itself asks nothing.
    page.click('a.tab-link[data-tab="clinician"]')
    page.fill("#id_text_clinician", "Persistently low ALP warrants ALPL testing.")
    page.click("button:text('Save')")
    page.wait_for_url("**/workspace/articles/what-is-hypophosphatasia/")
    assert dialogs == ["beforeunload"]
    article = Article.objects.get(slug="what-is-hypophosphatasia")
    assert (article.version, article.related_ids) == (1, [desk["related"].pk])
    assert not Autosave.objects.exists()


def test_an_edit_is_autosaved_restored_and_discarded(
    new_page: Any, shoot: Any, desk: dict[str, Any]
) -> None:
    article = make_article(
        author=desk["author"], slug="low-alp", texts={"patient": "The saved text."}
    )
    page = new_page()
    sign_in(page, "author")
    page.goto("/workspace/articles/low-alp/edit/")
    page.click("#id_text_patient")
    page.keyboard.press("End")
    with autosaved(page):
        page.keyboard.type(" Typed, not saved.")
    expect(page.locator(".autosave-status")).to_contain_text("Saved as draft at")
    page.reload()
    expect(page.locator("#autosave-notice")).to_contain_text("Restored unsaved changes from")
    expect(page.locator("#id_text_patient")).to_have_value("The saved text. Typed, not saved.")
    assert Article.objects.get(pk=article.pk).version == 1  # an autosave is no version
    shoot(page, "edit-restored")
    page.get_by_role("button", name="Discard them").click()
    expect(page.locator(".messages")).to_contain_text("Unsaved changes discarded")
    expect(page.locator("#id_text_patient")).to_have_value("The saved text.")
    assert not Autosave.objects.exists()
