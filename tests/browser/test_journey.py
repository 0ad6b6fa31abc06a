"""The editorial journeys in a real browser, one test each, one person per browser context.

Each step's test brings the article to where the step starts through the services, then does
the step as a person would; the last test chains every step from a blank draft to a reader.
Screenshots of each step are kept under test-artifacts/<test name>/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.roles import Role
from articles.models import Article
from reviews.models import CommentResolution, ReviewComment, SignOff, State
from reviews.services.comments import comment_create
from reviews.services.transitions import transition_apply
from tests.browser.test_reader import ensure_role_groups
from tests.factories import (
    PASSWORD,
    approve,
    make_article,
    make_reference,
    make_user,
    submit_and_review,
)

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "what-is-low-alp"
TITLE = "What does a low alkaline phosphatase mean?"


@pytest.fixture
def people() -> dict[str, Any]:
    ensure_role_groups()
    return {
        "author": make_user(Role.AUTHOR, username="author"),
        "editor": make_user(Role.EDITOR, username="editor"),
        "reviewer": make_user(Role.REVIEWER, username="reviewer"),
        "reference": make_reference(pmid="30288020", title="Profile of asfotase alfa"),
    }


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


def state() -> State:
    return Article.objects.select_related("workflow").get(slug=SLUG).workflow.state


def draft(people: dict[str, Any]) -> Article:
    ref = people["reference"]
    return make_article(
        author=people["author"],
        slug=SLUG,
        title=TITLE,
        texts={
            "patient": f"## What it means\n\nA low ALP can be a sign of HPP [@pmid:{ref.pmid}].",
            "clinician": "## Clinical view\n\nPersistently low ALP warrants ALPL testing.",
        },
    )


# --- the steps ------------------------------------------------------------------------------------


def author_writes_and_submits(page: Any, shoot: Any, people: dict[str, Any]) -> None:
    sign_in(page, "author")
    page.click("text=New article")
    page.fill("#id_slug", SLUG)
    page.fill("#id_title", TITLE)
    page.fill("#id_summary", "A low ALP can point to hypophosphatasia.")
    page.fill(
        "#id_text_patient",
        f"## What it means\n\nA low ALP can be a sign of HPP [@pmid:{people['reference'].pmid}].",
    )
    page.click("a.tab-link[data-tab=clinician]")
    page.fill(
        "#id_text_clinician", "## Clinical view\n\nPersistently low ALP warrants ALPL testing."
    )
    page.click("a.tab-link[data-tab=patient]")
    page.wait_for_selector(
        "#tab-patient .preview sup.citation"
    )  # the live preview rendered the citation
    shoot(page, "author-draft-with-preview")
    page.click("button:text('Save')")
    page.wait_for_url(f"**/workspace/articles/{SLUG}/")
    act(page, "Submit for review")
    shoot(page, "author-submitted")


def editor_assigns(page: Any, shoot: Any, people: dict[str, Any]) -> None:
    sign_in(page, "editor")
    page.click(f"text={TITLE}")
    page.get_by_role("link", name="Assign reviewers / start review").click()
    page.check(f"input[name=reviewers][value='{people['reviewer'].pk}']")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/workspace/articles/{SLUG}/")
    shoot(page, "editor-assigned")


def reviewer_comments(page: Any, shoot: Any) -> None:
    sign_in(page, "reviewer")
    page.click(f"text={TITLE}")
    page.select_option("#id_audience", "patient")
    page.fill("#id_quote", "A low ALP can be a sign of HPP")
    page.fill("#id_body", "Say that a mildly low ALP can also be normal.")
    page.click("text=Add comment")
    act(
        page,
        "Request changes (sign)",
        password=PASSWORD,
        note="See my comment on the patient text.",
    )
    shoot(page, "reviewer-commented-and-requested-changes")


def author_fixes(page: Any, shoot: Any, people: dict[str, Any]) -> None:
    sign_in(page, "author")
    page.goto(f"/workspace/articles/{SLUG}/")
    page.get_by_role("link", name="Edit", exact=True).click()
    page.fill(
        "#id_text_patient",
        f"## What it means\n\nA low ALP can be a sign of HPP [@pmid:{people['reference'].pmid}]. "
        "A mildly low level can also be normal for you.",
    )
    page.fill("#id_change_reason", "Added the normal-variant sentence the reviewer asked for.")
    page.click("button:text('Save')")
    page.fill(".thread textarea[name=body]", "Added it, thank you.")
    page.click(".thread button:text('Reply')")
    act(page, "Submit for review")
    shoot(page, "author-fixed-and-resubmitted")


def reviewer_signs(page: Any, shoot: Any) -> None:
    sign_in(page, "reviewer")
    page.goto(f"/workspace/articles/{SLUG}/")
    if page.locator(".thread button:text('Resolve')").count():
        page.click(".thread button:text('Resolve')")
    page.get_by_role("link", name="Approve (sign)").click()
    assert "Approved for medical accuracy" in page.content()
    shoot(page, "reviewer-signing")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/workspace/articles/{SLUG}/")
    shoot(page, "reviewer-signed")


def editor_publishes(page: Any, shoot: Any) -> None:
    sign_in(page, "editor")
    page.goto(f"/workspace/articles/{SLUG}/")
    act(page, "Publish")
    shoot(page, "editor-published")


def reader_switches_audience(page: Any, shoot: Any) -> None:
    page.goto("/")
    page.click(f"text={TITLE}")
    assert "Medically reviewed by" in page.content()
    # A first visit: the chooser asks, its links in view.
    page.locator(".audience-chooser").get_by_role("link", name=re.compile("^Clinician")).click()
    page.wait_for_url(f"**/articles/{SLUG}/?audience=clinician")
    assert "Persistently low ALP warrants ALPL testing." in page.content()
    page.goto(f"/articles/{SLUG}/")
    assert "Persistently low ALP warrants ALPL testing." in page.content()
    shoot(page, "reader-clinician")


# --- one test per journey -------------------------------------------------------------------------


def test_author_writes_and_submits(new_page: Any, shoot: Any, people: dict[str, Any]) -> None:
    """An author writes a text per audience with a live preview, saves, and submits."""
    author_writes_and_submits(new_page(), shoot, people)
    assert state() == State.SUBMITTED


def test_editor_assigns_a_reviewer(new_page: Any, shoot: Any, people: dict[str, Any]) -> None:
    """An editor picks the submitted article and assigns a medical reviewer, starting the review."""
    transition_apply(article=draft(people), user=people["author"], action="submit")
    editor_assigns(new_page(), shoot, people)
    assert state() == State.UNDER_REVIEW


def test_reviewer_comments_and_requests_changes(
    new_page: Any, shoot: Any, people: dict[str, Any]
) -> None:
    """The reviewer comments on a quoted passage and signs a request for changes."""
    submit_and_review(
        draft(people),
        author=people["author"],
        editor=people["editor"],
        reviewers=[people["reviewer"]],
    )
    reviewer_comments(new_page(), shoot)
    assert state() == State.CHANGES_REQUESTED
    assert ReviewComment.objects.get().quote == "A low ALP can be a sign of HPP"


def test_author_fixes_replies_and_resubmits(
    new_page: Any, shoot: Any, people: dict[str, Any]
) -> None:
    """The author edits the text, answers the comment and submits again."""
    article = submit_and_review(
        draft(people),
        author=people["author"],
        editor=people["editor"],
        reviewers=[people["reviewer"]],
    )
    comment_create(
        article=article,
        user=people["reviewer"],
        audience="patient",
        body="Mention normal variants.",
    )
    transition_apply(
        article=article,
        user=people["reviewer"],
        action="request_changes",
        password=PASSWORD,
        note="See comment.",
        params={"content_hash": article.content_hash},
    )
    author_fixes(new_page(), shoot, people)
    article = Article.objects.get(slug=SLUG)
    # A resubmission goes straight back to the round's reviewers, in the next round.
    assert state() == State.UNDER_REVIEW and article.version == 2
    assert "normal for you" in article.texts["patient"]


def test_reviewer_signs_with_the_password(
    new_page: Any, shoot: Any, people: dict[str, Any]
) -> None:
    """The reviewer resolves the thread and signs the approval, re-entering the password."""
    article = submit_and_review(
        draft(people),
        author=people["author"],
        editor=people["editor"],
        reviewers=[people["reviewer"]],
    )
    comment_create(article=article, user=people["reviewer"], body="Fine now.")
    reviewer_signs(new_page(), shoot)
    assert state() == State.APPROVED
    assert CommentResolution.objects.exists()
    assert SignOff.objects.get().verify()


def test_editor_publishes(new_page: Any, shoot: Any, people: dict[str, Any]) -> None:
    """The editor publishes the approved version; it becomes the live one."""
    article = submit_and_review(
        draft(people),
        author=people["author"],
        editor=people["editor"],
        reviewers=[people["reviewer"]],
    )
    approve(article, people["reviewer"])
    editor_publishes(new_page(), shoot)
    assert Article.objects.get(slug=SLUG).live_version.version == 1


def test_reader_switches_audience_on_the_reviewed_text(
    new_page: Any, shoot: Any, people: dict[str, Any]
) -> None:
    """A reader without an account switches to the clinician text; the choice is remembered."""
    article = submit_and_review(
        draft(people),
        author=people["author"],
        editor=people["editor"],
        reviewers=[people["reviewer"]],
    )
    approve(article, people["reviewer"])
    transition_apply(article=article, user=people["editor"], action="publish")
    reader_switches_audience(new_page(), shoot)


def test_the_whole_journey_from_a_blank_draft_to_a_reader(
    new_page: Any, shoot: Any, people: dict[str, Any]
) -> None:
    """Every step in turn, each person in their own browser context."""
    author, editor, reviewer = new_page(), new_page(), new_page()
    author_writes_and_submits(author, shoot, people)
    editor_assigns(editor, shoot, people)
    reviewer_comments(reviewer, shoot)
    author_fixes(author, shoot, people)
    # No editor step: the resubmission is back with the reviewer, who signs.
    reviewer_signs(reviewer, shoot)
    editor_publishes(editor, shoot)
    reader_switches_audience(new_page(), shoot)
    assert (
        "A mildly low level can also be normal for you."
        in Article.objects.get(slug=SLUG).live_version.texts["patient"]
    )
