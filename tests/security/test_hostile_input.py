"""Hostile input: nothing a user can write comes out of the rendering pipeline able to run script.

Property-based (hypothesis): each sink is fed every payload of tests.security.PAYLOADS as an
explicit example, then random mixtures of payloads, random Unicode and markup-ish noise. The
output is parsed with html.parser and must hold no event-handler or style attribute, no
javascript:/data:/vbscript: URL, no iframe/object/embed/svg/math/style/base element, and no script
but our static files and a JSON-LD block that parses as JSON (tests.security.html_problems).

Sinks: article texts (render_markdown), glossary definitions (glossary.annotate), reference fields
(vancouver.format_reference), and whole pages through the templates and the test client: the
published article (title, summary, texts, reference, glossary, reviewer's printed name and
declared conflicts, author's name), its public history (change reasons), the board (bios and
conflicts), search (the query and the results), the workspace article page (comments, replies,
resolution notes, waiver reasons), and the reference import preview (every field of a hostile
reference file). Imports are also checked to be all-or-nothing whatever the file holds.

Runs derandomised (a fixed seed per test) with no example database, so CI sees the same examples
every time. NUL is left out of text that goes into the database: every form refuses it
(Django's ProhibitNullCharactersValidator) and the API refuses it by name (api.schemas.common.storable).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.roles import Role
from articles.glossary import Glossary, Term, annotate
from articles.models import Article, GlossaryTerm, SitePage
from articles.rendering import ALLOWED_TAGS, render_markdown
from references.importing import ImportRefused, references_import
from references.models import Reference
from references.vancouver import format_reference
from reviews.checks import article_checks
from reviews.models import ReviewerProfile
from reviews.services.comments import comment_create, comment_reply, comment_resolve
from reviews.services.evidence import check_waive
from reviews.services.transitions import transition_apply
from tests.factories import PASSWORD, make_article, make_reference, make_user
from tests.security import PAYLOADS, html_problems

# --- strategies --------------------------------------------------------------------------------

_MARKUP_NOISE = "<>\"'`=&#;:/()[]!*_~\\ \n\t-javascrionerrvgdtxmlhf@"
payload = st.sampled_from(PAYLOADS)
markup_noise = st.text(alphabet=_MARKUP_NOISE, max_size=30)
unicode_noise = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
# Text for the database: no NUL (refused by every form and by the API, see the module docstring).
db_unicode_noise = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30
)
hostile = st.lists(st.one_of(payload, markup_noise, unicode_noise), min_size=1, max_size=5).map(
    "".join
)
db_hostile = st.lists(
    st.one_of(payload, markup_noise, db_unicode_noise), min_size=1, max_size=4
).map("".join)

FAST = settings(max_examples=200, deadline=None, derandomize=True, database=None)
PAGES = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def every_payload(*argnames: str, **cycled: list[Any]) -> Callable[[Any], Any]:
    """Add each payload of the corpus as an explicit example, in every argument named.

    Other arguments of the test take their values in turn from the lists given in `cycled`.
    """

    def decorate(test: Any) -> Any:
        for index, item in enumerate(PAYLOADS):
            others = {name: values[index % len(values)] for name, values in cycled.items()}
            test = example(**dict.fromkeys(argnames, item), **others)(test)
        return test

    return decorate


def every_payload_grouped(*argnames: str, size: int = 3) -> Callable[[Any], Any]:
    """Like every_payload, `size` payloads to an example (one after another in each argument).

    For the page tests, where one example costs a whole publication: every payload still lands
    in every field, in a third of the examples.
    """

    def decorate(test: Any) -> Any:
        for start in range(0, len(PAYLOADS), size):
            test = example(**dict.fromkeys(argnames, " ".join(PAYLOADS[start : start + size])))(
                test
            )
        return test

    return decorate


def assert_inert(html: str, where: str) -> None:
    problems = html_problems(html)
    assert not problems, f"{where}: {problems}\n---\n{html[:2000]}"


# --- fragments: pure functions, many examples --------------------------------------------------

# Tags the pipeline adds itself around sanitised text: citations, the glossary.
_PIPELINE_TAGS = frozenset({"span", "section", "sup"})
_REFERENCE = Reference(
    citekey="ref",
    kind=Reference.Kind.JOURNAL_ARTICLE,
    title="A study",
    journal="J Test",
    year=2020,
    pmid="12345",
)


def _tags(html: str) -> set[str]:
    from html.parser import HTMLParser

    found: set[str] = set()

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: Any) -> None:
            found.add(tag)

    Collector().feed(html)
    return found


@FAST
@every_payload("text")
@given(
    text=st.lists(st.one_of(hostile, st.just(" [@ref] ")), min_size=1, max_size=4).map("\n\n".join)
)
def test_article_text_renders_inert(text: str) -> None:
    """Markdown from an author never yields script, handlers, dangerous URLs or unknown tags."""
    try:
        rendered = render_markdown(text, references={"ref": _REFERENCE})
    except ValidationError as error:
        # A malformed citation marker: refused with a message, nothing rendered.
        assert error.code == "unknown_citation"
        return
    assert_inert(rendered.html, "render_markdown")
    assert _tags(rendered.html) <= ALLOWED_TAGS | _PIPELINE_TAGS
    for citation in rendered.citations:
        assert_inert(citation.html, "citation")


@FAST
@every_payload("definition", "term", "body")
@given(definition=hostile, term=hostile, body=hostile)
def test_glossary_definitions_render_inert(definition: str, term: str, body: str) -> None:
    """A definition (and the term itself) is text in the tooltip and the word list, never markup."""
    word = term.strip() or "enzyme"
    try:
        html = render_markdown(f"{body}\n\nThe {word} works.", references={}).html
    except ValidationError:  # a malformed citation marker in the body: annotate plain text
        html = f"<p>The {escape(word)} works.</p>"
    glossary = Glossary(
        terms=(Term(term=word, slug="term", definition=definition, forms=(word,)),), fingerprint="f"
    )
    annotated = annotate(html, glossary)
    assert_inert(annotated, "glossary")
    assert _tags(annotated) <= ALLOWED_TAGS | _PIPELINE_TAGS


@FAST
@every_payload("value", "url", kind=Reference.Kind.values)
@given(value=hostile, kind=st.sampled_from(Reference.Kind.values), url=hostile)
def test_reference_fields_format_inert(value: str, kind: str, url: str) -> None:
    """Every field of a reference is escaped; only http(s) URLs become links."""
    person = {"family": value, "given": value}
    ref = Reference(
        citekey="x",
        kind=kind,
        title=value,
        journal=value,
        container_title=value,
        publisher=value,
        place=value,
        edition=value,
        volume=value[:30],
        issue=value[:30],
        pages=value[:50],
        url=url,
        doi=value,
        pmid=value[:12],
        pmcid=value[:16],
        authors=[person, {"literal": value}],
        editors=[person],
        year=2020,
    )
    html = str(format_reference(ref))
    assert_inert(html, "format_reference")
    assert _tags(html) <= {"a", "strong", "span"}
    for href in _hrefs(html):
        assert href.startswith(("https://", "http://")), href


def _hrefs(html: str) -> list[str]:
    from html.parser import HTMLParser

    found: list[str] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: Any) -> None:
            found.extend(v or "" for k, v in attrs if k == "href")

    Collector().feed(html)
    return found


# --- whole pages through the templates --------------------------------------------------------


class Cast:
    """The people of one test: an author, an editor and a reviewer, all signed in."""

    def __init__(self) -> None:
        self.author = make_user(Role.AUTHOR)
        self.editor = make_user(Role.EDITOR)
        self.reviewer = make_user(Role.REVIEWER)
        self.counter = itertools.count(1)
        self.clients = {}
        for name in ("author", "editor", "reviewer"):
            client = Client()
            client.force_login(getattr(self, name))
            self.clients[name] = client


@pytest.fixture
def cast(db: Any) -> Cast:
    return Cast()


def _waive_recommended(article: Article, user: Any, reason: str) -> None:
    for result in article_checks(article=article):
        if result.waivable:
            check_waive(article=article, user=user, check_key=result.key, reason=reason)


def publish_hostile(cast: Cast, *, line: str, text: str) -> Article:
    """Publish an article whose every user-written field is hostile, signed by a hostile name."""
    n = next(cast.counter)
    cache.clear()  # the glossary is cached; its term below is new
    # Names a reviewer's signature captures; first and last names are shown as the author's.
    ReviewerProfile.objects.filter(user=cast.reviewer).update(
        display_name=line[:120],
        credentials=line[:120],
        specialty=line[:120],
        bio=text,
        conflicts_of_interest=text,
    )
    type(cast.author).objects.filter(pk=cast.author.pk).update(
        first_name=line[:150], last_name=line[:150]
    )
    cast.reviewer.refresh_from_db()  # drop the cached profile, so the signature takes the new name
    GlossaryTerm.objects.create(
        term=f"zyxterm{n}", slug=f"zyxterm{n}", definition=text[:500] or "x"
    )
    reference = make_reference(
        title=text or "t",
        journal=line[:200],
        publisher=line[:200],
        authors=[{"family": line[:80] or "x", "given": line[:20]}],
    )
    body = f"{text}\n\nA zyxterm{n} helps [@{reference.citekey}]."
    # Line breaks (anything str.splitlines() splits on) are kept out of titles here: they break
    # the review e-mails (see
    # test_a_title_with_a_line_break_does_not_break_the_review_emails, an expected failure).
    title = " ".join(f"Q{n} {line}".splitlines())[:300]
    article = make_article(
        author=cast.author,
        slug=f"hostile-{n}",
        title=title,
        summary=f"S {text}",
        texts={"patient": body, "clinician": body},
    )
    _waive_recommended(article, cast.author, f"R {text}")
    transition_apply(article=article, user=cast.author, action="submit")
    transition_apply(
        article=article,
        user=cast.editor,
        action="start_review",
        params={"reviewers": [cast.reviewer]},
    )
    article.refresh_from_db()
    transition_apply(
        article=article,
        user=cast.reviewer,
        action="approve",
        password=PASSWORD,
        params={"content_hash": article.content_hash},
    )
    transition_apply(article=article, user=cast.editor, action="publish")
    comment = comment_create(article=article, user=cast.reviewer, body=f"C {text}")
    comment_reply(article=article, user=cast.author, comment_id=comment.pk, body=f"R {line}")
    closed = comment_create(article=article, user=cast.reviewer, body=f"C2 {line}")
    comment_resolve(article=article, user=cast.reviewer, comment_id=closed.pk, note=line[:1000])
    return Article.objects.get(pk=article.pk)


def _get(client: Client, url: str, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code in {200, 400}, (url, response.status_code)
    return response.content.decode()


@PAGES
@every_payload_grouped("line", "text")
@given(line=db_hostile, text=db_hostile)
def test_pages_render_inert(cast: Cast, line: str, text: str) -> None:
    """Public pages (article in both audiences, history, board, search) and workspace pages
    (article with comments, replies, resolution notes and waivers; history; version; dashboard)."""
    article = publish_hostile(cast, line=line, text=text)
    reader = Client()
    url = article.get_absolute_url()
    for audience in ("patient", "clinician"):
        page = _get(reader, url, audience=audience)
        assert_inert(page, f"article page ({audience})")
        assert page.count('type="application/ld+json"') == 1
    assert_inert(_get(reader, f"/articles/{article.slug}/history/"), "public history")
    assert_inert(_get(reader, "/board/"), "board")
    assert_inert(_get(reader, "/search/", q="zyxterm", audience="patient"), "search results")
    assert_inert(_get(reader, "/search/", q=line[:200], audience="patient"), "search query")
    base = f"/workspace/articles/{article.slug}/"
    for who in ("editor", "reviewer"):
        assert_inert(_get(cast.clients[who], base), f"workspace article ({who})")
    assert_inert(_get(cast.clients["editor"], f"{base}history/"), "workspace history")
    assert_inert(
        _get(cast.clients["editor"], f"{base}versions/{article.version}/"), "workspace version"
    )
    assert_inert(_get(cast.clients["editor"], "/workspace/"), "dashboard")


@PAGES
@every_payload_grouped("text")
@given(text=db_hostile)
def test_board_intro_page_renders_inert(cast: Cast, text: str) -> None:
    """The board's introduction is Markdown an editor writes; it goes through the same pipeline."""
    SitePage.objects.update_or_create(
        slug="about-the-board", defaults={"title": "About", "body": text}
    )
    SitePage.objects.update_or_create(
        slug="editorial-policy", defaults={"title": text[:200] or "t", "body": text}
    )
    assert_inert(_get(Client(), "/board/"), "board intro")
    assert_inert(_get(Client(), "/pages/editorial-policy/"), "site page")


# --- imports: never a crash, never half a file --------------------------------------------------


def _flat(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def _ris(value: str, url: str) -> str:
    v = _flat(value)
    return f"TY  - JOUR\nAU  - {v}\nTI  - {v}\nJO  - {v}\nPY  - 2020\nUR  - {_flat(url)}\nER  - \n"


def _bibtex(value: str, url: str) -> str:
    v, u = (x.replace("{", "(").replace("}", ")") for x in (value, url))
    return f"@article{{key1,\n  author = {{{v}}},\n  title = {{{v}}},\n  journal = {{{v}}},\n  year = {{2020}},\n  url = {{{u}}}\n}}\n"


def _csljson(value: str, url: str) -> str:
    return json.dumps(
        [
            {
                "id": "k",
                "type": "article-journal",
                "title": value,
                "container-title": value,
                "author": [{"family": value, "given": value}],
                "URL": url,
                "issued": {"date-parts": [[2020]]},
            }
        ]
    )


def _medline(value: str, url: str) -> str:
    v = _flat(value)
    doi = "10.1000/paper" if url == URLS[0] else _flat(url)  # MEDLINE carries a DOI, not a URL
    return f"PMID- 12345678\nTI  - {v}\nFAU - {v}\nAU  - {v}\nJT  - {v}\nTA  - {v}\nDP  - 2020\nAID - {doi} [doi]\n"


FORMATS: dict[str, Callable[[str, str], str]] = {
    ".ris": _ris,
    ".bib": _bibtex,
    ".json": _csljson,
    ".nbib": _medline,
}
# The URL field gets the hostile text in half the cases; a bad URL refuses the whole file, which
# would otherwise hide whether the other fields are imported and shown safely.
URLS = ["https://example.org/paper", None]


@PAGES
@every_payload("value", suffix=sorted(FORMATS), url=[URLS[0], URLS[0], URLS[1]])
@given(value=db_hostile, suffix=st.sampled_from(sorted(FORMATS)), url=st.sampled_from(URLS))
def test_reference_imports_are_all_or_nothing_and_preview_inert(
    cast: Cast, value: str, suffix: str, url: str | None
) -> None:
    """A hostile file is imported whole or refused whole; its preview page is inert; never a 500."""
    data = FORMATS[suffix](value, url or value).encode()
    before = Reference.objects.count()
    client = cast.clients["editor"]
    response = client.post(
        "/references/import/", {"file": SimpleUploadedFile(f"refs{suffix}", data)}
    )
    assert response.status_code in {200, 400, 422}, response.status_code
    assert_inert(response.content.decode(), "import preview")
    assert Reference.objects.count() == before  # the preview writes nothing
    try:
        plan = references_import(data=data, filename=f"refs{suffix}", user=cast.editor)
    except ImportRefused:
        assert Reference.objects.count() == before
        return
    created = plan.counts["create"]
    assert Reference.objects.count() == before + created
    for ref in Reference.objects.order_by("-pk")[:created]:
        assert_inert(str(format_reference(ref)), "imported reference")


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.binary(max_size=300),
    suffix=st.sampled_from([".ris", ".bib", ".json", ".nbib", ".txt", ".xyz"]),
)
def test_any_bytes_are_refused_or_imported_never_a_crash(db: Any, data: bytes, suffix: str) -> None:
    """Random bytes under any file name: a plan or a refusal naming the problem, nothing half-written."""
    before = Reference.objects.count()
    try:
        references_import(data=data, filename=f"f{suffix}")
    except ImportRefused as refused:
        assert refused.plan.messages()
        assert Reference.objects.count() == before


def test_a_title_with_a_line_break_does_not_break_the_review_emails(
    author: Any,
    editor: Any,
    reviewer: Any,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
) -> None:
    """Assigning a reviewer to an article whose title has a line break still e-mails them."""
    article = make_article(author=author, title="Low ALP\nin adults", citations=[make_reference()])
    transition_apply(article=article, user=author, action="submit")
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(
            article=article, user=editor, action="start_review", params={"reviewers": [reviewer]}
        )
    assert mailoutbox and "\n" not in mailoutbox[-1].subject
