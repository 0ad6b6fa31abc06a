"""A whole review round with the demo accounts, in a real browser (issue #13's "Done when").

`manage.py load_demo` fills the test database; then the demo's people, each in a browser context
of their own, take a new article with a dose through one round: the author writes it and submits
it (touching no risk control, the dose alone asks for two signatures), the editor assigns
`reviewer` and `reviewer2`, `reviewer` comments on a passage selected in the rendered text and
requests changes, the author revises and resubmits (back to the same reviewers, no editor step),
`reviewer` reads the side-by-side diff and signs the first of two approvals, `reviewer2` the
second, the editor publishes, and a reader opens the article on a 390 x 844 phone.

Every hand-off's mail is checked in the outbox (tests/settings.py runs tasks at once, so the mail
of a committed change is there when the response arrives), and every link in it is on the
configured site address (SITE_URL) and answers 200 to its recipient. A screenshot of each step is
saved under test-artifacts/<this test's name>/ (git-ignored; the README names it).

Steps marked `# CONTRACT:` drive features that are being built in parallel (the rendered text with
comments on a selection, the side-by-side diff): while their page element is absent, the round
takes today's way (the passage is selected in the version preview and pasted into the comment
form; the inline diff is checked) and the test is skipped at the end, saying what was missing.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article
from reviews.management.commands.load_demo import DEMO_PASSWORD
from reviews.models import Assignment, ReviewComment, State
from reviews.services.schedule import review_reminders_enqueue
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_reader import (
    _role_groups_after_module,  # noqa: F401  (module fixture: puts the role groups back afterwards)
    ensure_role_groups,
)

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "zinc-and-a-low-alp"
TITLE = "Can too little zinc cause a low ALP?"
REFERENCE = "villa-suarez-2021"  # a demo reference (reviews/demo/references.ris)
PATIENT_V1 = f"""\
Your body needs zinc to make ALP. If you have too little zinc, your ALP level can be low.

## Taking zinc

Take zinc 15-30 mg daily with food. **Do not take more than this** unless your doctor tells you
to [@{REFERENCE}]. Have your zinc level checked again after three months.
"""
PATIENT_V2 = PATIENT_V1.replace("15-30 mg daily", "15-25 mg daily")
CLINICIAN = f"""\
Zinc deficiency lowers serum ALP, since ALP is a zinc metalloenzyme [@{REFERENCE}].

## Replacement

Replace with elemental zinc 15-30 mg daily with food; recheck zinc and ALP after three months.
"""
# The comment's passage: from a word before the bold text to a word after the citation number.
FIRST_WORD, LAST_WORD = "food.", "Have"
PHONE = {"width": 390, "height": 844}
URL = re.compile(r"https?://\S+")


def address(username: str) -> str:
    return f"{username}@example.org"  # load_demo's addresses


@pytest.fixture
def demo(settings: Any, live_server: Any) -> None:
    """The demo loaded by its own command; mail links on the live server's address."""
    settings.SITE_URL = live_server.url
    # A resubmitted round is due in a week, before any of the demo's own reviews: the reminder
    # run on the day after it is overdue then concerns this round only.
    settings.EDITORIAL_REVIEW_DAYS = 7
    ensure_role_groups()  # a transactional test starts flushed: the data migration's groups too
    call_command("load_demo", force=True, stdout=StringIO())
    assert Article.objects.count() == 4
    mail.outbox.clear()


# --- people and pages -----------------------------------------------------------------------------


def sign_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/workspace/")


def open_article(page: Any) -> None:
    page.goto(f"/workspace/articles/{SLUG}/")


def act(page: Any, label: str, **fields: str) -> None:
    """Press an action on the article page, fill its confirmation form, and confirm."""
    page.get_by_role("link", name=label, exact=True).click()
    page.wait_for_url(re.compile(r"/actions/[\w-]+/$"))
    for name, value in fields.items():
        page.fill(f"#id_{name}", value)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/workspace/articles/{SLUG}/$"))


def state() -> State:
    return Article.objects.select_related("workflow").get(slug=SLUG).workflow.state


def approvals_line(page: Any) -> str:
    """The article page's "Approvals on this version" value, e.g. "0 of 2 Needs 2 approvals: …"."""
    return " ".join(
        page.locator("dt:text-is('Approvals on this version') + dd").inner_text().split()
    )


# --- mail -----------------------------------------------------------------------------------------


def handed_off(*expected: tuple[str, ...]) -> list[Any]:
    """The mail since the last hand-off, each (subject, *recipients); the outbox empties."""
    sent = list(mail.outbox)
    mail.outbox.clear()
    wanted = sorted((subject, *sorted(to)) for subject, *to in expected)
    assert sorted((m.subject, *sorted(m.to)) for m in sent) == wanted, [
        (m.subject, m.to) for m in sent
    ]
    return sent


def links(message: Any, page: Any) -> list[str]:
    """Every link of a mail: on the configured site address, and 200 for its recipient (`page`'s
    cookies, no redirect followed, so a sign-in page or a refusal would show)."""
    found = URL.findall(message.body)
    assert found, message.body
    for url in found:
        assert url.startswith(settings.SITE_URL + "/"), url
        response = page.request.get(url, max_redirects=0)
        assert response.status == 200, (url, response.status)
    return found


# --- selecting rendered text ----------------------------------------------------------------------

# A Range over the container's text nodes from FIRST_WORD (before the bold text) to LAST_WORD
# (after the citation number), made the document's selection; then the events a person's
# selection ends with. Returns what was selected and which elements it spans.
SELECT = """
([container, first, last]) => {
  const root = document.querySelector(container);
  const strong = root.querySelector('p strong');
  const paragraph = strong.closest('p');
  const sup = [...paragraph.querySelectorAll('sup.citation')].find(
    (s) => strong.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING);
  const before = strong.previousSibling, after = sup.nextSibling;
  const range = document.createRange();
  range.setStart(before, before.data.lastIndexOf(first));
  range.setEnd(after, after.data.indexOf(last) + last.length);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  const end = {bubbles: true, view: window};
  after.parentElement.dispatchEvent(new MouseEvent('mouseup', end));
  after.parentElement.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true, key: 'Shift'}));
  const spanned = range.cloneContents();
  return {
    text: selection.toString(),
    bold: spanned.querySelector('strong') !== null,
    citation: spanned.querySelector('sup.citation') !== null,
  };
}
"""

# Where FIRST_WORD starts and LAST_WORD ends on screen, for a real mouse drag.
EDGES = """
([container, first, last]) => {
  const root = document.querySelector(container);
  const strong = root.querySelector('p strong');
  const sup = [...strong.closest('p').querySelectorAll('sup.citation')].find(
    (s) => strong.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING);
  const before = strong.previousSibling, after = sup.nextSibling;
  const at = (node, start, end) => {
    const r = document.createRange();
    r.setStart(node, start);
    r.setEnd(node, end);
    return r.getBoundingClientRect();
  };
  const s = before.data.lastIndexOf(first), e = after.data.indexOf(last) + last.length;
  const a = at(before, s, s + 1), b = at(after, e - 1, e);
  return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
}
"""


def select_passage(page: Any, container: str) -> str:
    """Select the passage in `container` as a reader's selection; return the selected text."""
    page.locator(container).locator("p strong").first.scroll_into_view_if_needed()
    selected = page.evaluate(SELECT, [container, FIRST_WORD, LAST_WORD])
    assert selected["bold"] and selected["citation"], selected
    text = " ".join(selected["text"].split())
    assert text.startswith(FIRST_WORD) and text.endswith(LAST_WORD), text
    return text


def drag_passage(page: Any, container: str) -> str:
    """Select the passage with a real mouse drag; return the selected text."""
    page.locator(container).locator("p strong").first.scroll_into_view_if_needed()
    edges = page.evaluate(EDGES, [container, FIRST_WORD, LAST_WORD])
    page.mouse.move(edges["x1"], edges["y1"])
    page.mouse.down()
    page.mouse.move(edges["x2"], edges["y2"], steps=8)
    page.mouse.up()
    return " ".join(page.evaluate("window.getSelection().toString()").split())


# --- the round ------------------------------------------------------------------------------------


def test_the_demo_accounts_take_a_dose_article_through_a_whole_review_round(
    demo: None, new_page: Any, browser: Any, live_server: Any, shoot: Any, request: Any
) -> None:
    """Demo author, editor and two reviewers take a dose article from a blank form to a reader.

    No risk control is touched: the dose makes it need two signatures. Each hand-off mails the
    right people with working links; the resubmission needs no editor; one approval of two
    neither approves nor lets it be published; the phone's first screen shows the review.
    """
    folder = ARTIFACTS / request.node.name
    for stale in folder.glob("*.png"):  # the folder shows this run's steps only
        stale.unlink()
    missing: list[str] = []  # CONTRACT: features not on main yet, found absent on their page
    author, editor, reviewer, reviewer2 = (new_page() for _ in range(4))
    for page in (author, editor, reviewer, reviewer2):
        # A ceiling for a loaded machine, not a wait: each step waits for its element or URL.
        page.context.set_default_timeout(30_000)
    for page, name in (
        (author, "author"),
        (editor, "editor"),
        (reviewer, "reviewer"),
        (reviewer2, "reviewer2"),
    ):
        sign_in(page, name)

    # 1. The author writes the article, with a dose, and touches nothing about risk.
    author.get_by_role("link", name="New article").click()
    author.fill("#id_slug", SLUG)
    author.fill("#id_title", TITLE)
    author.fill("#id_summary", "Too little zinc can lower ALP. How much zinc to take, and when.")
    author.fill("#id_text_patient", PATIENT_V1)
    author.click("a.tab-link[data-tab=clinician]")
    author.fill("#id_text_clinician", CLINICIAN)
    author.click("a.tab-link[data-tab=patient]")
    author.wait_for_selector("#tab-patient .preview strong")
    author.wait_for_selector("#tab-patient .preview sup.citation")
    shoot(author, "author-writes-with-a-dose")
    author.click("button:text('Save')")
    author.wait_for_url(f"**/workspace/articles/{SLUG}/")
    assert author.locator("#approvals-form").count() == 0  # authors have no risk control
    assert approvals_line(author).startswith("0 of 2 Needs 2 approvals: dose statements found"), (
        approvals_line(author)
    )
    assert "15-30 mg daily" in approvals_line(author)
    assert mail.outbox == []  # saving a draft tells nobody
    act(author, "Submit for review")
    assert state() == State.SUBMITTED
    shoot(author, "author-submitted")
    (submitted,) = handed_off((f"[Submitted] “{TITLE}”", address("editor")))
    links(submitted, editor)

    # 2. The editor assigns both board members, due in a week.
    editor.goto("/workspace/")
    editor.locator("h3:text-is('Submitted, no reviewer assigned') + *").get_by_role(
        "link", name=TITLE
    ).click()
    editor.wait_for_url(f"**/workspace/articles/{SLUG}/")
    editor.get_by_role("link", name="Assign reviewers / start review").click()
    for person in get_user_model().objects.filter(username__in=["reviewer", "reviewer2"]):
        editor.check(f"input[name=reviewers][value='{person.pk}']")
    editor.fill("#id_due_on", (timezone.localdate() + timedelta(days=7)).isoformat())
    shoot(editor, "editor-assigns-two-reviewers")
    editor.locator("main form button[type=submit]").click()
    editor.wait_for_url(f"**/workspace/articles/{SLUG}/")
    assert state() == State.UNDER_REVIEW
    shoot(editor, "editor-assigned")
    asked = f"[Review] Please review “{TITLE}”"
    for message in handed_off((asked, address("reviewer")), (asked, address("reviewer2"))):
        links(message, reviewer if message.to == [address("reviewer")] else reviewer2)

    # 3. `reviewer` finds it assigned, comments on a passage that spans the bold text and the
    # citation, selected in the rendered text, and signs a request for changes.
    reviewer.goto("/workspace/")
    reviewer.locator("section[aria-labelledby=assigned-title]").get_by_role(
        "link", name=TITLE
    ).click()
    reviewer.wait_for_url(f"**/workspace/articles/{SLUG}/")
    comment = "Give a lower upper limit: 25 mg a day is enough for most adults."
    # CONTRACT: the workspace page shows the rendered text in <section id="article-text">, with a
    # tab per audience and panels [data-audience]; a selection there offers "Comment on
    # selection", whose form (a "Comment" textarea, an "Add comment" button) adds a thread shown
    # in the margin (.thread, with the quote) and marks the passage (mark.anchor).
    if reviewer.locator("section#article-text").count():
        text = reviewer.locator("section#article-text")
        text.get_by_role("tab", name="Patient", exact=True).click()
        panel = '#article-text [data-audience="patient"]'
        reviewer.locator(panel).wait_for()
        dragged = drag_passage(reviewer, panel)  # a person's selection: a real drag
        offer = reviewer.get_by_role("button", name="Comment on selection", exact=True)
        offer.wait_for()
        assert dragged == select_passage(reviewer, panel), dragged
        offer.wait_for()
        shoot(reviewer, "reviewer-selects-rendered-text")
        # The comment box the selection opens, not the page's general one.
        reviewer.evaluate(
            "document.querySelectorAll('textarea').forEach("
            "(t) => { if (t.offsetParent !== null) t.dataset.shownBefore = '1'; })"
        )
        offer.click()
        box = reviewer.get_by_role("textbox", name="Comment", exact=True).and_(
            reviewer.locator("textarea:not([data-shown-before])")
        )
        box.fill(comment)
        box.locator("xpath=ancestor::form[1]").get_by_role("button", name="Add comment").click()
        reviewer.locator(".thread", has_text=comment).first.wait_for()
        reviewer.locator("#article-text mark.anchor").first.wait_for()
        marked = " ".join(reviewer.locator("#article-text mark.anchor").all_inner_texts())
        assert "Do not take more than this" in marked, marked
    else:
        missing.append(
            "comment on selection: no section#article-text on the workspace article page "
            "(selected in the version preview and pasted into the comment form instead)"
        )
        reviewer.goto(f"/workspace/articles/{SLUG}/versions/1/")
        preview = "section:has(#v-patient) .article-body"
        dragged = drag_passage(reviewer, preview)  # a person's selection: a real drag
        assert dragged == select_passage(reviewer, preview), dragged
        shoot(reviewer, "reviewer-selects-rendered-text")
        # Today the passage field takes the Markdown source of the passage, not rendered text.
        start, end = PATIENT_V1.index(FIRST_WORD), PATIENT_V1.index(LAST_WORD) + len(LAST_WORD)
        quote = " ".join(PATIENT_V1[start:end].split())
        open_article(reviewer)
        reviewer.select_option("#id_audience", "patient")
        reviewer.fill("#id_quote", quote)
        reviewer.fill("#id_body", comment)
        reviewer.locator("form[action$='/comments/']").get_by_role(
            "button", name="Add comment"
        ).click()
        reviewer.wait_for_url("**#comments")
    thread = reviewer.locator(".thread", has_text=comment).first
    assert "Do not take more than this" in thread.inner_text()
    stored = ReviewComment.objects.get()
    assert stored.audience == "patient" and stored.version == 1
    assert "Do not take more than this" in stored.quote, stored.quote
    assert " ".join(stored.quote.split()).startswith(FIRST_WORD), stored.quote
    shoot(reviewer, "reviewer-commented")
    handed_off()  # a comment is read in the workspace; it mails nobody
    act(
        reviewer,
        "Request changes (sign)",
        password=DEMO_PASSWORD,
        note="See my comment on the zinc dose.",
    )
    assert state() == State.CHANGES_REQUESTED
    shoot(reviewer, "reviewer-requested-changes")
    (decision,) = handed_off(
        (
            f"[Review] Reviewed: changes requested before approval: “{TITLE}”",
            address("author"),
            address("editor"),
        )
    )
    assert "See my comment on the zinc dose." in decision.body
    links(decision, author)
    links(decision, editor)

    # 4. The author revises and resubmits: back to the same two reviewers, no editor step.
    author.goto("/workspace/")
    author.locator("h3:text-is('Changes requested') + *").get_by_role("link", name=TITLE).click()
    author.wait_for_url(f"**/workspace/articles/{SLUG}/")
    author.get_by_role("link", name="Edit", exact=True).click()
    author.fill("#id_text_patient", PATIENT_V2)
    author.fill("#id_change_reason", "Lowered the upper dose, as the reviewer asked.")
    shoot(author, "author-revises")
    author.click("button:text('Save')")
    author.wait_for_url(f"**/workspace/articles/{SLUG}/")
    handed_off()  # nobody had approved: a revision alone mails nobody
    act(author, "Submit for review")
    assert state() == State.UNDER_REVIEW
    shoot(author, "author-resubmitted")
    resubmitted, new_round = sorted(
        handed_off(
            (f"[Resubmitted] “{TITLE}”", address("editor")),
            (
                f"[Review] New version of “{TITLE}” ready",
                address("reviewer"),
                address("reviewer2"),
            ),
        ),
        key=lambda m: m.subject.startswith("[Review]"),
    )
    assert "went back under review, in a new round, to" in resubmitted.body
    links(resubmitted, editor)
    diff_url = f"{settings.SITE_URL}/workspace/articles/{SLUG}/diff/?from=1&to=2"
    assert diff_url in links(new_round, reviewer)
    links(new_round, reviewer2)
    for page in (reviewer, reviewer2):
        page.goto("/workspace/")
        assigned = page.locator("section[aria-labelledby=assigned-title]")
        assert assigned.get_by_role("link", name=TITLE).count() == 1
        shoot(page, "reviewer-dashboard-assigned-again")

    # 5. `reviewer` follows the mail's link to the side-by-side diff.
    reviewer.goto(diff_url)
    # CONTRACT: the diff shows, by default, section.diff-side[data-audience="patient"] with the
    # column headers "Version 1" and "Version 2", <del>/<ins> marks and a .clinical mark on the
    # dose change.
    side = reviewer.locator('section.diff-side[data-audience="patient"]')
    if side.count():
        for header in ("Version 1", "Version 2"):
            assert side.get_by_text(header, exact=True).count() >= 1, header
        assert "15-30" in " ".join(side.locator("del").all_inner_texts())
        assert "15-25" in " ".join(side.locator("ins").all_inner_texts())
        assert side.locator(".clinical").count() >= 1
    else:
        missing.append(
            "side-by-side diff: no section.diff-side[data-audience=patient] on the diff page "
            "(the inline diff was checked instead)"
        )
        patient = reviewer.locator("section:has(#diff-patient)")
        assert "15-30" in patient.locator("del.diff-clinical").inner_text()
        assert "15-25" in patient.locator("ins.diff-clinical").inner_text()
        assert "1 clinical change" in patient.locator(".badge-clinical").inner_text()
    shoot(reviewer, "reviewer-reads-the-diff")

    # 6. `reviewer` resolves the thread and signs the first of the two approvals needed.
    open_article(reviewer)
    reviewer.locator(".thread").get_by_role("button", name="Resolve").first.click()
    reviewer.wait_for_url("**#comments")
    act(
        reviewer,
        "Approve (sign)",
        password=DEMO_PASSWORD,
        note="The dose now matches the source.",
    )
    assert state() == State.UNDER_REVIEW  # one of two: not approved
    shoot(reviewer, "reviewer-signed-one-of-two")
    (first_approval,) = handed_off(
        (f"[Review] 1 of 2 approvals: “{TITLE}”", address("author"), address("editor"))
    )
    assert "approval 1 of the 2 needed" in first_approval.body
    links(first_approval, author)
    open_article(editor)
    assert approvals_line(editor).startswith("1 of 2"), approvals_line(editor)
    assert editor.get_by_role("link", name="Publish", exact=True).count() == 0
    refused = editor.request.get(f"/workspace/articles/{SLUG}/actions/publish/", max_redirects=0)
    assert refused.status == 409, refused.status
    shoot(editor, "editor-cannot-publish-yet")

    # The overdue notice, by the reminder task on the day after the round's due date: to the
    # reviewer who has not signed, and to the editors; never to the one who has.
    due = Assignment.objects.get(article__slug=SLUG, reviewer__username="reviewer2", cycle=2)
    review_reminders_enqueue(days_ahead=0, today=due.due_on + timedelta(days=1))
    late = get_user_model().objects.get(username="reviewer2").get_full_name()
    overdue = handed_off(
        (f"[Review overdue] “{TITLE}”", address("reviewer2")),
        (f"[Review overdue] {late}: “{TITLE}”", address("editor")),
    )
    for message in overdue:
        links(message, reviewer2 if message.to == [address("reviewer2")] else editor)

    # 7. `reviewer2` signs the second approval: now it is approved.
    open_article(reviewer2)
    act(reviewer2, "Approve (sign)", password=DEMO_PASSWORD, note="Agree with the revision.")
    assert state() == State.APPROVED
    shoot(reviewer2, "reviewer2-signed-two-of-two")
    (approved,) = handed_off(
        (f"[Review] Approved: “{TITLE}”", address("author"), address("editor"))
    )
    assert "approved (2 of 2 approvals)" in approved.body
    links(approved, author)

    # 8. The editor publishes.
    open_article(editor)
    act(editor, "Publish")
    shoot(editor, "editor-published")
    (published,) = handed_off((f"[Published] “{TITLE}”", address("author")))
    public_url = links(published, author)[0]
    assert public_url == f"{settings.SITE_URL}/articles/{SLUG}/", public_url
    live = Article.objects.get(slug=SLUG).live_version
    assert live.version == 2 and "15-25 mg daily" in live.texts["patient"]

    # 9. A reader on a phone: title, who reviewed it and the first paragraph on the first screen.
    phone = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True)
    try:
        reader = phone.new_page()
        reader.goto(public_url)
        reader.locator(".article-body p").first.wait_for()
        assert reader.evaluate("window.scrollY") == 0
        reader.screenshot(path=str(folder / "99-reader-first-screen-390x844.png"))
        for selector in ("h1", ".trust-line", ".article-body p"):
            box = reader.locator(selector).first.bounding_box()
            assert box is not None and box["y"] + box["height"] <= PHONE["height"], selector
        trust = reader.locator(".trust-line").first.inner_text()
        assert trust.startswith("Medically reviewed by"), trust
        assert "Elspeth Varrow" in trust and "Tobias Quenby" in trust, trust
        assert "too little zinc" in reader.locator(".article-body p").first.inner_text()
        assert reader.locator(".audience-chooser").count() == 1
    finally:
        phone.close()

    if missing:
        # CONTRACT: remove once those features are merged (the round then runs them for real).
        print("\n".join(["Not on main yet:", *missing]))
        pytest.skip("the round passed; not on main yet: " + "; ".join(missing))
