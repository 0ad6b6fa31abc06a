"""The whole editorial journey in a real browser, one person per browser context."""

from __future__ import annotations

import re
from typing import Any

import pytest

from articles.models import Article
from reviews.models import State
from reviews.workflow import Role
from tests.factories import PASSWORD, make_reference, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/workspace/")


def act(page: Any, label: str, **fields: str) -> None:
    """Press an action button on the article page, fill its confirmation form, and confirm."""
    page.get_by_role("link", name=label, exact=True).click()
    for selector, value in fields.items():
        page.fill(f"#id_{selector}", value)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/workspace/articles/[^/]+/$"))


def test_author_writes_editor_assigns_reviewer_comments_author_fixes_reviewer_signs_editor_publishes_reader_reads(
    new_page: Any, shoot: Any
) -> None:
    """From a blank draft to a reader switching audience on the reviewed, published text."""
    make_user(Role.AUTHOR, username="author")
    make_user(Role.EDITOR, username="editor")
    reviewer = make_user(Role.REVIEWER, username="reviewer")
    reference = make_reference(pmid="30288020", title="Profile of asfotase alfa")

    # The author writes a draft with a text per audience, then submits it.
    author = new_page()
    sign_in(author, "author")
    author.click("text=New article")
    author.fill("#id_slug", "what-is-low-alp")
    author.fill("#id_title", "What does a low alkaline phosphatase mean?")
    author.fill("#id_summary", "A low ALP can point to hypophosphatasia.")
    author.fill("#id_text_patient", f"## What it means\n\nA low ALP can be a sign of HPP [@pmid:{reference.pmid}].")
    author.click("a.tab-link[data-tab=clinician]")
    author.fill("#id_text_clinician", "## Clinical view\n\nPersistently low ALP warrants ALPL testing.")
    author.click("a.tab-link[data-tab=patient]")
    author.wait_for_selector("#tab-patient .preview sup.citation")  # the live preview rendered the citation
    shoot(author, "author-draft-with-preview")
    author.click("button:text('Save')")
    author.wait_for_url("**/workspace/articles/what-is-low-alp/")
    act(author, "Submit for review")
    shoot(author, "author-submitted")

    # The editor assigns the reviewer.
    editor = new_page()
    sign_in(editor, "editor")
    editor.click("text=What does a low alkaline phosphatase mean?")
    shoot(editor, "editor-article")
    editor.get_by_role("link", name="Assign reviewers / start review").click()
    editor.check(f"input[name=reviewers][value='{reviewer.pk}']")
    editor.locator("main form button[type=submit]").click()
    editor.wait_for_url("**/workspace/articles/what-is-low-alp/")
    shoot(editor, "editor-assigned")

    # The reviewer comments on a passage and asks for changes (signature: password + note).
    review = new_page()
    sign_in(review, "reviewer")
    review.click("text=What does a low alkaline phosphatase mean?")
    review.select_option("#id_audience", "patient")
    review.fill("#id_quote", "A low ALP can be a sign of HPP")
    review.fill("#id_body", "Say that a mildly low ALP can also be normal.")
    review.click("text=Add comment")
    act(review, "Request changes (sign)", password=PASSWORD, note="See my comment on the patient text.")
    shoot(review, "reviewer-requested-changes")
    assert Article.objects.get(slug="what-is-low-alp").workflow.state == State.CHANGES_REQUESTED

    # The author fixes the text, replies, and submits again; the editor restarts the review.
    author.goto("/workspace/articles/what-is-low-alp/")
    author.get_by_role("link", name="Edit", exact=True).click()
    author.fill("#id_text_patient", f"## What it means\n\nA low ALP can be a sign of HPP [@pmid:{reference.pmid}]. "
                                    "A mildly low level can also be normal for you.")
    author.fill("#id_change_reason", "Added the normal-variant sentence the reviewer asked for.")
    author.click("button:text('Save')")
    author.fill(".thread textarea[name=body]", "Added it, thank you.")
    author.click(".thread button:text('Reply')")
    act(author, "Submit for review")
    editor.goto("/workspace/articles/what-is-low-alp/")
    act(editor, "Assign reviewers / start review")

    # The reviewer resolves the thread and signs the approval with the password.
    review.goto("/workspace/articles/what-is-low-alp/")
    review.click(".thread button:text('Resolve')")
    review.get_by_role("link", name="Approve (sign)").click()
    assert "Approved for medical accuracy" in review.content()
    shoot(review, "reviewer-signing")
    review.fill("#id_password", PASSWORD)
    review.locator("main form button[type=submit]").click()
    review.wait_for_url("**/workspace/articles/what-is-low-alp/")
    shoot(review, "reviewer-signed")

    # The editor publishes.
    editor.goto("/workspace/articles/what-is-low-alp/")
    act(editor, "Publish")
    shoot(editor, "editor-published")

    # A reader (no account) reads it, switches audience, and the choice survives a reload.
    reader = new_page()
    reader.goto("/")
    reader.click("text=What does a low alkaline phosphatase mean?")
    assert "A mildly low level can also be normal for you." in reader.content()
    assert "Medically reviewed by" in reader.content()
    reader.click(".audience-chooser >> text=Clinician")
    reader.wait_for_url("**/articles/what-is-low-alp/?audience=clinician")
    assert "Persistently low ALP warrants ALPL testing." in reader.content()
    reader.goto("/articles/what-is-low-alp/")
    assert "Persistently low ALP warrants ALPL testing." in reader.content()
    shoot(reader, "reader-clinician")
