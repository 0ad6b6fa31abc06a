"""Hostile input in a real browser: no payload of tests.security.PAYLOADS ever runs.

Articles are published whose title, summary, texts, reference, glossary definition, comments,
waiver reasons, reviewer's printed name, bio and conflicts, and author's name are all built from
the payload list (packed a few payloads to an article). Chromium then opens each article page,
the workspace page with its comments, the search page with the payloads as the query, the board,
and the dashboard, and the test asserts that:

- no dialog opened (alert, confirm, prompt),
- the `window.__xss` sentinel every payload tries to set was never set,
- no Content-Security-Policy violation was reported (a violation would mean injected markup
  reached the page and only CSP stopped it: the sanitiser must stop it first),
- no element in the DOM carries an on* attribute, a javascript:/data:/vbscript: link, and no
  script runs but our static files and the JSON-LD data block.
"""

from __future__ import annotations

from typing import Any

import pytest

from reviews.models import ReviewerProfile
from tests.browser.test_reader import ensure_role_groups
from tests.factories import PASSWORD
from tests.security import PAYLOADS
from tests.security.test_hostile_input import Cast, publish_hostile

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module", autouse=True)
def _role_groups_after_module(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The flush after a transactional test drops the role groups; later modules need them."""
    yield
    with django_db_blocker.unblock():
        ensure_role_groups()


# Recorded before any page script runs: CSP violations, and whether the sentinel was ever set
# (a setter, so that a payload setting it and another clearing it cannot hide the first).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
window.__xssSet = false;
Object.defineProperty(window, "__xss", {
  configurable: false,
  get() { return undefined; },
  set(value) { window.__xssSet = true; },
});
"""

# Everything in the DOM that could run script.
DOM_PROBLEMS = """
() => {
  const problems = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) problems.push(`${el.tagName} ${attr.name}`);
      if (attr.name === "style" || attr.name === "srcdoc") problems.push(`${el.tagName} ${attr.name}`);
    }
    const url = el.getAttribute("href") || el.getAttribute("src") || el.getAttribute("action")
      || el.getAttribute("xlink:href") || el.getAttribute("data") || "";
    const scheme = url.replace(/[\\t\\n\\r]/g, "").trim().toLowerCase();
    if (/^(javascript|vbscript):/.test(scheme) || (scheme.startsWith("data:") && scheme !== "data:,")) {
      problems.push(`${el.tagName} ${url}`);
    }
  }
  for (const tag of ["iframe", "frame", "object", "embed", "applet", "math", "base", "template", "noscript"]) {
    for (const el of document.getElementsByTagName(tag)) problems.push(`<${tag}>`);
  }
  for (const script of document.scripts) {
    const data = script.type === "application/ld+json";
    const ours = /^\\/static\\/js\\/[a-z.0-9]+\\.js$/.test(new URL(script.src || "x:", location.href).pathname);
    if (data ? script.src : !(script.src && ours && !script.text.trim())) {
      problems.push(`script ${script.type} ${script.src} ${script.text.slice(0, 60)}`);
    }
    if (data) { try { JSON.parse(script.text); } catch (e) { problems.push(`JSON-LD: ${e}`); } }
  }
  return problems;
}
"""


def packed(limit: int) -> list[str]:
    """The payloads packed into strings of at most `limit` characters, each payload whole."""
    groups: list[str] = []
    current = ""
    for payload in PAYLOADS:
        candidate = f"{current} {payload}" if current else payload
        if current and len(candidate) > limit:
            groups.append(current)
            candidate = payload
        current = candidate
    return [*groups, current]


class Visitor:
    """One browser page that watches for script running."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        page.add_init_script(WATCH)
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on(
            "console",
            lambda message: message.type == "error" and self.console_errors.append(message.text),
        )
        self.visited = 0

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status in {200, 400}, (
            url,
            response and response.status,
        )
        self.page.wait_for_load_state("load")
        # Handlers such as onerror (a broken image) and ontoggle fire after load: give them a moment.
        self.page.wait_for_timeout(150)
        self.visited += 1
        where = f"{url}: "
        assert self.dialogs == [], where + repr(self.dialogs)
        assert self.page.evaluate("() => window.__xssSet") is False, where + "window.__xss was set"
        assert self.page.evaluate("() => window.__violations") == [], where + "CSP violation"
        assert [e for e in self.console_errors if "Content Security Policy" in e] == [], where
        assert self.page.evaluate(DOM_PROBLEMS) == [], where


def test_no_payload_runs_on_any_page(new_page: Any, shoot: Any) -> None:
    """Article, workspace (comments), search, board and dashboard pages built from every payload."""
    ensure_role_groups()
    cast = Cast()
    articles = [publish_hostile(cast, line=group, text=group) for group in packed(280)]
    # The board lists every payload in a member's bio and conflicts at once.
    everything = "\n\n".join(PAYLOADS)
    ReviewerProfile.objects.filter(user=cast.reviewer).update(
        bio=everything, conflicts_of_interest=everything
    )

    reader = Visitor(new_page())
    for article in articles:
        reader.visit(f"{article.get_absolute_url()}?audience=patient")
    shoot(reader.page, "hostile-article")
    for group in packed(200):
        reader.visit(f"/search/?audience=patient&q={_quote(group)}")
    reader.visit("/search/?audience=patient&q=zyxterm")
    reader.visit("/board/")
    shoot(reader.page, "hostile-board")

    editor = Visitor(new_page())
    editor.page.goto("/accounts/login/")
    editor.page.fill("#id_username", cast.editor.username)
    editor.page.fill("#id_password", PASSWORD)
    editor.page.click("main button[type=submit]")
    editor.page.wait_for_url("**/workspace/")
    editor.visit("/workspace/")
    for article in articles:
        editor.visit(f"/workspace/articles/{article.slug}/")
    shoot(editor.page, "hostile-workspace-article")
    assert reader.visited + editor.visited >= 2 * len(articles) + 3


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
