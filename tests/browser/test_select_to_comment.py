"""A reviewer selects words in the rendered text and comments on them; the author answers.

The selection spans bold text and a citation number, as a reviewer would copy a claim and its
source; the thread is anchored to the Markdown behind it, shown in the margin beside the marked
passage, and the author may reply but is offered no Resolve button.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from accounts.roles import Role
from articles.models import Article
from articles.services import rendition_get_or_create
from articles.sourcemap import plain_text
from reviews.models import ReviewComment
from reviews.services.comments import comment_create
from reviews.services.content import draft_update
from tests.browser.test_journey import sign_in
from tests.browser.test_reader import ensure_role_groups
from tests.factories import make_article, make_reference, make_user, submit_and_review

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "low-alp"
PATIENT = (
    "## What it means\n\n"
    "A low ALP can be **a sign of HPP** [@pmid:30288020] in children. Ask your doctor.\n"
)
# The rendered words the reviewer selects: from "be" to the citation number "1".
FIRST, LAST = "be a sign", "HPP1"

# The page coordinates of the first character of `first` and the last of `last` in the
# patient panel's rendered text (the text nodes as the reader sees them).
CHARACTER_BOXES = """([first, last]) => {
  const body = document.querySelector('#text-patient [data-text]');
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  const text = nodes.map(n => n.data).join('');
  function box(index) {
    let offset = index;
    for (const node of nodes) {
      if (offset < node.data.length) {
        const range = document.createRange();
        range.setStart(node, offset);
        range.setEnd(node, offset + 1);
        const r = range.getBoundingClientRect();
        return {left: r.left, right: r.right, middle: r.top + r.height / 2};
      }
      offset -= node.data.length;
    }
    return null;
  }
  const start = text.indexOf(first);
  const end = text.indexOf(last) + last.length - 1;
  return {start: box(start), end: box(end)};
}"""

# The patient panel's text as comments.js counts it (the threads and tooltips left out).
PAGE_TEXT = """() => {
  const body = document.querySelector('#text-patient [data-text]');
  const skip = '.glossary-tip, .glossary-list, .margin-threads, .comment-on-selection';
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  let text = '';
  while (walker.nextNode()) {
    if (!walker.currentNode.parentElement.closest(skip)) text += walker.currentNode.data;
  }
  return text;
}"""


@pytest.fixture
def article() -> Article:
    ensure_role_groups()
    author = make_user(Role.AUTHOR, username="author")
    editor = make_user(Role.EDITOR, username="editor")
    reviewer = make_user(Role.REVIEWER, username="reviewer")
    make_reference(pmid="30288020", title="Profile of asfotase alfa")
    return submit_and_review(
        make_article(
            author=author,
            slug=SLUG,
            texts={"patient": PATIENT, "clinician": "## Clinical view\n\nTest ALPL."},
        ),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )


def test_a_reviewer_comments_on_a_selection_and_the_author_replies(
    article: Article, new_page: Any, shoot: Any
) -> None:
    from playwright.sync_api import expect

    page = new_page()
    sign_in(page, "reviewer")
    page.goto(f"/workspace/articles/{SLUG}/")
    panel = page.locator("#text-patient")
    expect(panel).to_be_visible()
    expect(page.get_by_role("tab", name="Patient")).to_have_attribute("aria-selected", "true")

    boxes = page.evaluate(CHARACTER_BOXES, [FIRST, LAST])
    page.mouse.move(boxes["start"]["left"] + 1, boxes["start"]["middle"])
    page.mouse.down()
    page.mouse.move(boxes["end"]["right"] - 1, boxes["end"]["middle"], steps=8)
    page.mouse.up()
    button = page.get_by_role("button", name="Comment on selection", exact=True)
    expect(button).to_be_visible()
    shoot(page, "reviewer-selected")
    button.click()

    form = page.locator("form.selection-comment")
    expect(form.get_by_label("Comment", exact=True)).to_be_focused()
    expect(form.locator(".selection-quote")).to_have_text("be a sign of HPP1")
    form.get_by_label("Comment", exact=True).fill("Which study shows this in children?")
    expect(button).to_be_hidden()
    shoot(page, "reviewer-writing")
    form.get_by_role("button", name="Add comment").click()
    page.wait_for_url("**#comment-*")

    comment = ReviewComment.objects.get()
    assert comment.quote == "be a sign of HPP1"
    assert PATIENT[comment.source_start : comment.source_end] == (
        "be **a sign of HPP** [@pmid:30288020]"
    )
    thread = page.locator(f"#text-patient .margin-threads #comment-{comment.pk}")
    expect(thread).to_be_visible()
    expect(thread).to_contain_text("Which study shows this in children?")
    marks = page.locator(f'#text-patient mark.anchor[data-thread="{comment.pk}"]')
    expect(marks.first).to_be_visible()
    assert "".join(marks.all_inner_texts()) == "be a sign of HPP1"
    # Wide screen: the thread sits in the margin, to the right of the marked text, level with it.
    mark_box, thread_box = marks.first.bounding_box(), thread.bounding_box()
    assert thread_box["x"] > mark_box["x"] + mark_box["width"]
    assert thread_box["y"] <= mark_box["y"] + mark_box["height"]
    shoot(page, "reviewer-thread-in-margin")

    author = new_page()
    sign_in(author, "author")
    author.goto(f"/workspace/articles/{SLUG}/")
    thread = author.locator(f"#comment-{comment.pk}")
    expect(thread).to_be_visible()
    expect(thread.get_by_role("button", name="Reply")).to_be_visible()
    expect(thread.get_by_role("button", name="Resolve")).to_have_count(0)
    thread.get_by_label("Reply").fill("Added the 2018 review of asfotase alfa.")
    thread.get_by_role("button", name="Reply").click()
    author.wait_for_url(f"**#comment-{comment.pk}")
    thread = author.locator(f"#text-patient .margin-threads #comment-{comment.pk}")
    expect(thread.locator(".reply")).to_contain_text("Added the 2018 review of asfotase alfa.")
    expect(thread.get_by_role("button", name="Resolve")).to_have_count(0)
    expect(author.get_by_role("button", name="Comment on selection")).to_be_hidden()
    shoot(author, "author-replied-without-resolve")

    # A phone: the thread is below the paragraph, in the flow of the text.
    author.set_viewport_size({"width": 390, "height": 844})
    mark = author.locator(f'#text-patient mark.anchor[data-thread="{comment.pk}"]').last
    expect(thread).to_be_visible()
    assert thread.bounding_box()["y"] > mark.bounding_box()["y"] + mark.bounding_box()["height"]
    shoot(author, "author-on-a-phone")


TABLE = (
    "## Dosing\n\n"
    "See the guideline [@pmid:30288020] before the table.\n\n"
    "| Drug | Dose |\n"
    "| --- | --- |\n"
    "| Asfotase alfa | 2 mg/kg three times a week |\n"
    "| Calcitriol | 20 ng twice a day |\n\n"
    "Ask your doctor [@pmid:30288020].\n"
)


def test_a_second_comment_in_a_table_by_keyboard_after_a_first_one_there(
    article: Article, new_page: Any, shoot: Any
) -> None:
    """A table with a thread already: the marks stay in their cells (none is moved out of the
    table by the HTML parser), so the page counts the text as the server does and a second
    selection in the same table is anchored. Tab from the selection reaches the button first;
    Escape gives the focus back; Alt+Shift+C opens the form again."""
    from playwright.sync_api import expect

    reviewer = get_user_model().objects.get(username="reviewer")
    article = draft_update(
        article=article,
        user=article.authors.get(),
        base_version=article.version,
        fields={"texts": {**article.texts, "patient": TABLE}},
        change_reason="A dosing table.",
    )
    shown = plain_text(rendition_get_or_create(version=article, audience="patient").body_html)
    # The first passage runs from one row into the next, over the line breaks between cells.
    start, end = shown.index("three times a week"), shown.index("Calcitriol") + len("Calcitriol")
    first = comment_create(
        article=article,
        user=reviewer,
        body="Per week?",
        audience="patient",
        quote=shown[start:end],
        start=start,
        end=end,
        version=article.version,
    )

    page = new_page()
    sign_in(page, "reviewer")
    page.goto(f"/workspace/articles/{SLUG}/")
    marks = page.locator(f'#text-patient td mark.anchor[data-thread="{first.pk}"]')
    expect(marks).to_have_count(2)
    assert marks.all_inner_texts() == ["three times a week", "Calcitriol"]
    # The page reads the text in the order the server counts it: no mark was moved out of the
    # table by the HTML parser.
    assert page.evaluate(PAGE_TEXT) == shown
    page.locator("#text-patient table").scroll_into_view_if_needed()
    boxes = page.evaluate(CHARACTER_BOXES, ["twice", "a day"])
    page.mouse.move(boxes["start"]["left"] + 1, boxes["start"]["middle"])
    page.mouse.down()
    page.mouse.move(boxes["end"]["right"] - 1, boxes["end"]["middle"], steps=8)
    page.mouse.up()
    button = page.get_by_role("button", name="Comment on selection", exact=True)
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-keyshortcuts", "Alt+Shift+C")

    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    form = page.locator("form.selection-comment")
    expect(form.get_by_label("Comment", exact=True)).to_be_focused()
    expect(form.locator(".selection-quote")).to_have_text("twice a day")
    page.keyboard.press("Escape")
    expect(form).to_have_count(0)
    expect(button).to_be_focused()

    page.keyboard.press("Alt+Shift+C")
    expect(form.get_by_label("Comment", exact=True)).to_be_focused()
    page.keyboard.type("Twice, or with each meal?")
    shoot(page, "reviewer-second-comment-in-a-table")
    form.get_by_role("button", name="Add comment").click()
    page.wait_for_url("**#comment-*")

    second = ReviewComment.objects.exclude(pk=first.pk).get()
    assert (second.quote, second.rendered_start) == ("twice a day", shown.index("twice a day"))
    assert TABLE[second.source_start : second.source_end] == "twice a day"
    marks = page.locator(f'#text-patient td mark.anchor[data-thread="{second.pk}"]')
    expect(marks).to_have_text("twice a day")
    assert page.evaluate(PAGE_TEXT) == shown
    # Every citation link in the panel lands on the panel's own reference list.
    for link in page.locator('#text-patient a[href^="#"]').all():
        target = link.get_attribute("href")[1:]
        assert page.locator(f'[id="{target}"]').count() == 1, target
