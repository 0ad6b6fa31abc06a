"""Bad input to any HTML form answers a 4xx with the reason and the user's words, never a 500.

One mapping (reviews.refusals, with editorial.http_errors.RefusalMiddleware) turns the services'
refusals into answers: 409 for an action the state does not allow, 422 for a failed guard or
invalid input, 403 for a missing permission, 404 for what is not there, 400 for a malformed
parameter. Each case below posts or asks for something wrong and checks the status, the reason on
the page, that the typed text comes back, that the page is well-formed HTML, and that nothing was
written.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import HttpResponse
from django.test import Client, RequestFactory

from accounts.roles import Role
from articles.models import Article, ProblemReport
from articles.services import RateLimited
from editorial.http_errors import RefusalMiddleware
from references.models import Reference
from reviews.models import AuditEvent, CheckWaiver, CommentResolution, ReviewComment
from reviews.selectors import workspace
from reviews.services import evidence
from reviews.services.comments import comment_create, comment_resolve
from reviews.services.errors import WorkflowError
from reviews.services.transitions import transition_apply
from tests.factories import (
    approve,
    make_article,
    make_reference,
    make_user,
    publish_approved,
    submit_and_review,
)
from tests.public.test_trust import report_data
from tests.test_valid_html import assert_valid

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # beyond 64 bits: SQLite's driver cannot even bind it


@dataclass
class World:
    users: dict[str, Any]
    articles: dict[str, Article]
    ids: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(author: Any, editor: Any, reviewer: Any) -> World:
    """A draft citing a superseded guideline (a waivable check), a submitted article, one under
    review with an open and a resolved comment, and an approved one."""
    older = make_reference(kind="guideline", superseded_by=make_reference(year=2025), year=2019)
    draft = make_article(author=author, slug="draft", citations=[older])
    submitted = make_article(author=author, slug="submitted", citations=[make_reference()])
    transition_apply(article=submitted, user=author, action="submit")
    review = submit_and_review(
        make_article(author=author, slug="review", citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    comment = comment_create(article=review, user=reviewer, body="Check the dose.")
    resolved = comment_create(article=review, user=reviewer, body="Typo.")
    comment_resolve(article=review, user=reviewer, comment_id=resolved.pk)
    approved = submit_and_review(
        make_article(author=author, slug="approved", citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    approve(approved, reviewer)
    return World(
        users={
            "author": author,
            "editor": editor,
            "reviewer": reviewer,
            "outsider": make_user(Role.AUTHOR, username="outsider"),
        },
        articles={a.slug: a for a in (draft, submitted, review, approved)},
        ids={"comment": comment.pk, "resolved": resolved.pk, "review_version": review.version},
    )


@dataclass(frozen=True)
class Case:
    persona: str
    url: str
    data: dict[str, Any] | None = None  # None: a GET
    status: int = 422
    reason: str = ""  # in the answer
    kept: str = ""  # the user's own words, in the answer again


W = "/workspace/articles"
WORKSPACE_CASES = {
    # Comments: the quote must be in the text the comment is anchored to.
    "comment quoting words not in the text": Case(
        "reviewer",
        f"{W}/review/comments/",
        {"audience": "patient", "quote": "Words never written", "body": "Too vague here."},
        reason="not in the patient text",
        kept="Too vague here.",
    ),
    "comment quoting rendered markdown": Case(
        "reviewer",
        f"{W}/review/comments/",
        {"audience": "patient", "quote": "**Text** for the patient", "body": "Bold claim."},
        reason="not in the patient text",
        kept="Bold claim.",
    ),
    "comment quoting across audiences": Case(
        "reviewer",
        f"{W}/review/comments/",
        {"audience": "clinician", "quote": "Text for the patient.", "body": "Wrong text."},
        reason="not in the clinician text",
        kept="Wrong text.",
    ),
    "comment on an unknown audience": Case(
        "reviewer",
        f"{W}/review/comments/",
        {"audience": "martians", "body": "Who reads this?"},
        reason="martians",
        kept="Who reads this?",
    ),
    "comment without text": Case(
        "reviewer",
        f"{W}/review/comments/",
        {"audience": "patient", "quote": "Text for the patient.", "body": "   "},
        reason="required",
        kept="Text for the patient.",
    ),
    "comment by someone with no role on a visible article": Case(
        "outsider", f"{W}/review/comments/", {"body": "Hello"}, status=404
    ),
    # Replies and resolutions.
    "reply to an unknown comment": Case(
        "reviewer",
        f"{W}/review/comments/999999/reply/",
        {"body": "Answering nobody."},
        reason="no such comment",
        kept="Answering nobody.",
    ),
    "reply to a comment id beyond 64 bits": Case(
        "reviewer",
        f"{W}/review/comments/{HUGE}/reply/",
        {"body": "Answering nobody."},
        reason="no such comment",
    ),
    "reply to a reply": Case(
        "reviewer", f"{W}/review/comments/{{reply}}/reply/", {"body": "Deep."}, reason="no such"
    ),
    "empty reply": Case(
        "reviewer", f"{W}/review/comments/{{comment}}/reply/", {"body": ""}, reason="required"
    ),
    "reply by someone with no role": Case(
        "outsider", f"{W}/review/comments/{{comment}}/reply/", {"body": "Me too"}, status=404
    ),
    "resolve by the author of the article": Case(
        "author",
        f"{W}/review/comments/{{comment}}/resolve/",
        {"note": "Done."},
        status=403,
        reason="writer",
    ),
    "resolve twice": Case(
        "reviewer",
        f"{W}/review/comments/{{resolved}}/resolve/",
        {"note": "Again."},
        status=409,
        reason="already resolved",
    ),
    "resolve an unknown comment": Case(
        "reviewer",
        f"{W}/review/comments/999999/resolve/",
        {"note": "Gone."},
        reason="no such comment",
        kept="Gone.",
    ),
    "resolve with a note too long": Case(
        "reviewer",
        f"{W}/review/comments/{{comment}}/resolve/",
        {"note": "n" * 1001},
        reason="at most 1000 characters",
    ),
    # Workflow actions: the state (409), the guards and the form (422).
    "start review with no reviewer": Case(
        "editor",
        f"{W}/submitted/actions/start_review/",
        {"note": "Go."},
        reason="Assign at least one medical reviewer first.",
        kept="Go.",
    ),
    "start review with an unknown reviewer": Case(
        "editor",
        f"{W}/submitted/actions/start_review/",
        {"reviewers": ["999999"]},
        reason="Select a valid choice",
    ),
    "start review with a reviewer id beyond 64 bits": Case(
        "editor",
        f"{W}/submitted/actions/start_review/",
        {"reviewers": [HUGE]},
        reason="Select a valid choice",
    ),
    "start review with a due date that is no date": Case(
        "editor",
        f"{W}/submitted/actions/start_review/",
        {"reviewers": ["{reviewer}"], "due_on": "someday"},
        reason="Enter a valid date",
    ),
    "schedule publication in the past": Case(
        "editor",
        f"{W}/approved/actions/schedule_publish/",
        {"when": "2001-01-01T10:00"},
        reason="The scheduled time must be in the future.",
    ),
    "schedule publication at no date": Case(
        "editor",
        f"{W}/approved/actions/schedule_publish/",
        {"when": "tomorrow-ish"},
        reason="Enter a valid date",
    ),
    "an action the state does not allow": Case(
        "editor", f"{W}/draft/actions/publish/", {"note": "Now."}, status=409, reason="not possible"
    ),
    "an action that does not exist": Case(
        "editor", f"{W}/draft/actions/explode/", {"note": "Boom."}, status=404
    ),
    "approve without the password": Case(
        "reviewer", f"{W}/review/actions/approve/", {"note": ""}, reason="required"
    ),
    "approve with a wrong password": Case(
        "reviewer",
        f"{W}/review/actions/approve/",
        {"password": "wrong", "content_hash": "x"},
        reason="password was not correct",
    ),
    "approve by the author": Case(
        "author", f"{W}/review/actions/approve/", {"password": "x"}, status=403
    ),
    # Waivers of recommended checks.
    "waive with an empty reason": Case(
        "author",
        f"{W}/draft/checks/citations.superseded/waive/",
        {"reason": "   "},
        reason="Say why",
    ),
    "waive an unknown check": Case(
        "author",
        f"{W}/draft/checks/no.such.check/waive/",
        {"reason": "Because."},
        reason="There is no check",
    ),
    "waive a check that passes": Case(
        "author",
        f"{W}/draft/checks/citations.unresolved/waive/",
        {"reason": "Because."},
        reason="cannot be waived",
    ),
    "waive by a reviewer": Case(
        "reviewer",
        f"{W}/review/checks/citations.superseded/waive/",
        {"reason": "Because."},
        status=403,
    ),
    # Versions: restore, diff, preview.
    "restore version 0": Case(
        "editor",
        f"{W}/review/versions/0/restore/",
        {"base_version": "{review_version}"},
        reason="There is no version 0",
    ),
    "restore a version beyond 64 bits": Case(
        "editor",
        f"{W}/review/versions/{HUGE}/restore/",
        {"base_version": "{review_version}"},
        reason="There is no version",
    ),
    "restore from a stale page": Case(
        "editor",
        f"{W}/review/versions/1/restore/",
        {"base_version": "0"},
        status=409,
        reason="your edit started from version 0",
    ),
    "restore by a reviewer": Case(
        "reviewer", f"{W}/review/versions/1/restore/", {"base_version": "1"}, status=403
    ),
    "diff from a version beyond 64 bits": Case(
        "editor", f"{W}/review/diff/?from={HUGE}", status=404, reason="no version"
    ),
    "diff to a version not yet written": Case(
        "editor", f"{W}/review/diff/?to=99", status=404, reason="no version 99"
    ),
    "diff from a word": Case(
        "editor", f"{W}/review/diff/?from=abc", status=400, reason="must be a version number"
    ),
    "diff from a negative version": Case(
        "editor", f"{W}/review/diff/?from=-1", status=404, reason="no version"
    ),
    "version beyond 64 bits": Case("editor", f"{W}/review/versions/{HUGE}/", status=404),
    "version not yet written": Case("editor", f"{W}/review/versions/99/", status=404),
    "preview naming an unknown source": Case(
        "author", "/workspace/preview/", {"text": "See [@pmid:999999999]."}, reason="999999999"
    ),
    # Create and edit.
    "create with a taken slug": Case(
        "author",
        "/workspace/new/",
        {
            "slug": "draft",
            "title": "Copy",
            "summary": "S.",
            "text_patient": "My words.",
            "text_clinician": "Words.",
            "change_reason": "First.",
            "change_weight": "substantive",
        },
        reason="is already taken by another article",
        kept="My words.",
    ),
    "create with a topic id beyond 64 bits": Case(
        "author",
        "/workspace/new/",
        {"slug": "fresh", "title": "T", "summary": "S.", "topics": [HUGE]},
        reason="Select a valid choice",
        kept="fresh",
    ),
    "edit without a reason for the change": Case(
        "author",
        f"{W}/draft/edit/",
        {"title": "Retitled by me", "summary": "S.", "base_version": "1", "change_reason": ""},
        reason="required",
        kept="Retitled by me",
    ),
    "edit from a base version beyond 64 bits": Case(
        "author",
        f"{W}/draft/edit/",
        {"title": "Mine", "summary": "S.", "base_version": HUGE, "change_reason": "x"},
        status=409,
        kept="Mine",
    ),
    "edit by a reviewer": Case("reviewer", f"{W}/review/edit/", None, status=403),
    # Lists take absurd parameters in their stride.
    "dashboard with absurd parameters": Case(
        "editor", f"/workspace/?page={HUGE}&state=zz&q={'x' * 5000}", status=200
    ),
    "history page beyond 64 bits": Case("editor", f"{W}/review/history/?page={HUGE}", status=200),
}


def _ids(world: World) -> dict[str, Any]:
    reply = ReviewComment.objects.filter(parent__isnull=False).first()
    if reply is None:
        reply = ReviewComment.objects.create(
            article=world.articles["review"],
            cycle=1,
            version=1,
            body="A reply.",
            author=world.users["reviewer"],
            parent_id=world.ids["comment"],
        )
    return {**world.ids, "reply": reply.pk, "reviewer": world.users["reviewer"].pk}


def _written() -> tuple[int, ...]:
    """Counts of everything a workspace form can write."""
    return (
        AuditEvent.objects.count(),
        ReviewComment.objects.count(),
        CommentResolution.objects.count(),
        CheckWaiver.objects.count(),
        Article.history.count(),
        Article.objects.count(),
    )


@pytest.mark.parametrize("name", list(WORKSPACE_CASES))
def test_workspace_input_is_refused_with_its_reason(world: World, name: str) -> None:
    case = WORKSPACE_CASES[name]
    ids = _ids(world)
    client = Client(raise_request_exception=False)
    client.force_login(world.users[case.persona])
    before = _written()
    url = case.url.format(**ids)
    if case.data is None:
        response = client.get(url)
    else:
        data = {
            key: [v.format(**ids) for v in value]
            if isinstance(value, list)
            else value.format(**ids)
            for key, value in case.data.items()
        }
        response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == case.status, html[:3000]
    assert case.reason in html
    if case.kept:
        assert case.kept in html
    if case.status != 200:
        assert _written() == before
    if url != "/workspace/preview/":  # a fragment for the edit form, not a page
        assert_valid(html, name)


def test_a_refused_reply_comes_back_in_its_thread_with_the_reason(world: World) -> None:
    """The page is the article page again, the reply box of that thread filled and marked."""
    client = Client()
    client.force_login(world.users["reviewer"])
    comment = world.ids["comment"]
    response = client.post(f"{W}/review/comments/{comment}/reply/", {"body": "  "})
    html = response.content.decode()
    assert response.status_code == 422
    assert 'role="alert" id="refused"' in html and f'href="#reply-{comment}"' in html
    assert f'aria-describedby="reply-{comment}-errors" aria-invalid="true"' in html


def test_a_refused_waiver_keeps_the_reason_typed(world: World, monkeypatch: Any) -> None:
    """A refusal after the form was valid (here, the check passed meanwhile) keeps the words."""

    def refuse(**kwargs: Any) -> None:
        raise WorkflowError("waive", ["It passes now."], code="not_waivable")

    monkeypatch.setattr(evidence, "check_waive", refuse)
    client = Client()
    client.force_login(world.users["author"])
    response = client.post(
        f"{W}/draft/checks/citations.superseded/waive/", {"reason": "Doses quoted from 2019."}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "It passes now." in html and 'value="Doses quoted from 2019."' in html


def test_the_refusal_page_links_back_and_is_never_cached(world: World) -> None:
    """Escaped refusals (no form to show again) get the refusal page: reasons, a way back."""
    client = Client()
    client.force_login(world.users["editor"])
    history = f"http://testserver{W}/review/history/"
    response = client.post(
        f"{W}/review/versions/1/restore/", {"base_version": "0"}, HTTP_REFERER=history
    )
    html = response.content.decode()
    assert response.status_code == 409 and "Nothing was changed" in html
    assert_valid(html, "refusal page")
    assert f'href="{history}"' in html
    assert "no-store" in response["Cache-Control"]
    elsewhere = client.post(
        f"{W}/review/versions/1/restore/",
        {"base_version": "0"},
        HTTP_REFERER="https://evil.example/",
    )
    assert 'href="/workspace/"' in elsewhere.content.decode()


def test_a_bug_is_still_a_500_and_the_api_keeps_its_own_answers(
    world: World, monkeypatch: Any
) -> None:
    """Only refusals are mapped: anything else is the 500 page, and /api/ is left to the API."""

    def crash(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(workspace, "workspace_page", crash)
    client = Client(raise_request_exception=False)
    client.force_login(world.users["editor"])
    assert client.get(f"{W}/review/").status_code == 500

    def invalid_content(**kwargs: Any) -> None:
        raise ValidationError("A stored page cites a source that is gone.")

    # On a read, a ValidationError is stored content gone bad, not the reader's input: a 500.
    monkeypatch.setattr(workspace, "version_history", invalid_content)
    assert client.get(f"{W}/review/history/").status_code == 500
    api = client.get("/api/v1/drafts/review/", HTTP_AUTHORIZATION="Bearer nonsense")
    assert api.status_code == 401 and api["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (WorkflowError("publish", ["Not now."], code="illegal_state"), 409),
        (WorkflowError("submit", ["A check fails."]), 422),
        (WorkflowError("reply", ["No such comment."], code="unknown_comment"), 422),
        (ValidationError({"body": "Write the comment."}), 422),
        (BadRequest("“from” must be a version number."), 400),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), 400),
        (RateLimited("Later."), 429),
        (OverflowError("math range error"), None),
        (PermissionDenied("No."), None),
        (RuntimeError("boom"), None),
    ],
)
def test_the_middleware_answers_refusals_only_and_leaves_the_api_alone(
    rf: RequestFactory, error: Exception, status: int | None
) -> None:
    """Refusals become their status; a permission or a bug goes on to Django's handlers."""
    middleware = RefusalMiddleware(lambda request: HttpResponse())
    request = rf.post("/workspace/articles/x/comments/")
    request.user = AnonymousUser()
    response = middleware.process_exception(request, error)
    assert (response.status_code if response else None) == status
    assert middleware.process_exception(rf.post("/api/v1/drafts/"), error) is None


# --- the reference import ------------------------------------------------------------------


def _upload(client: Client, name: str, data: bytes) -> Any:
    file = io.BytesIO(data)
    file.name = name
    return client.post("/references/import/", {"file": file})


VALID_RIS = b"TY  - JOUR\nTI  - A trial\nAU  - Doe, J\nPY  - 2020\nDO  - 10.1000/xyz\nER  - \n"

IMPORT_CASES = {
    "an empty file": ("empty.ris", b"", 400, "The submitted file is empty"),
    "a broken file": ("refs.ris", b"TY  - JOUR\nTI  - cut off", 422, "refs.ris"),
    "binary data": ("refs.json", bytes(range(256)), 422, "binary data"),
    "a file over 5 MB": ("refs.ris", b"TY  - JOUR\nTI  - " + b"x" * (5 * 1024 * 1024), 413, "5 MB"),
    "no file at all": ("", b"", 400, "This field is required"),
}


@pytest.mark.parametrize("name", list(IMPORT_CASES))
def test_bad_reference_files_are_refused_with_the_reason(editor: Any, name: str) -> None:
    filename, data, status, reason = IMPORT_CASES[name]
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    response = (
        _upload(client, filename, data)
        if filename
        else client.post("/references/import/", {"format": "ris"})
    )
    assert response.status_code == status
    assert reason in response.content.decode()
    assert not Reference.objects.exists()


@pytest.mark.parametrize(
    ("name", "forge"),
    [
        ("another file's hash", {"sha256": "0" * 64}),
        ("no hash", {"sha256": ""}),
        ("another plan", {"plan": "forged"}),
        ("a plan beyond reason", {"plan": "x" * 100_000}),
    ],
)
def test_a_forged_confirmation_imports_nothing(editor: Any, name: str, forge: dict) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    preview = _upload(client, "valid.ris", VALID_RIS)
    assert preview.status_code == 200
    data = {"sha256": preview.context["sha256"], "plan": preview.context["plan"].digest(), **forge}
    response = client.post("/references/import/confirm/", data)
    assert response.status_code == 409, name
    assert not Reference.objects.exists()


def test_a_confirmation_without_a_preview_imports_nothing(editor: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    response = client.post("/references/import/confirm/", {"sha256": "a" * 64, "plan": "b"})
    assert response.status_code == 409 and "Upload it again" in response.content.decode()


# --- the public site -----------------------------------------------------------------------


@pytest.fixture
def published(author: Any, editor: Any, reviewer: Any) -> Article:
    return publish_approved(
        make_article(author=author, slug="low-alp", citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )


REPORT_CASES = {
    "no message": ({"message": ""}, 400, "This field is required"),
    "an unknown kind": ({"kind": "nonsense"}, 400, "Select a valid choice"),
    "an address that is no address": ({"email": "not an address"}, 400, "valid email"),
    "a forged start": ({"started": "forged"}, 400, "expired"),
    "the honeypot filled": ({"website": "http://spam.example"}, 400, "must be left empty"),
    "a version beyond 64 bits": ({"version": HUGE}, 200, "Thank you"),
    "a version that is no number": ({"version": "first"}, 200, "Thank you"),
    "a NUL in the message": ({"message": "Dose\x00 wrong"}, 400, "Null characters"),
}


@pytest.mark.parametrize("name", list(REPORT_CASES))
def test_the_report_form_refuses_bad_input_with_the_reason(
    client: Client, published: Article, name: str
) -> None:
    """Bad fields are a 400 naming the field; a wild version number falls back to the live one."""
    overrides, status, reason = REPORT_CASES[name]
    response = Client(raise_request_exception=False).post(
        "/articles/low-alp/report/?audience=bogus", report_data(**overrides)
    )
    assert response.status_code == status
    assert reason in response.content.decode()
    assert ProblemReport.objects.count() == (1 if status == 200 else 0)
    if status == 200:
        assert ProblemReport.objects.get().version == published.live_version.version


def test_too_many_reports_keep_the_readers_words(client: Client, published: Article) -> None:
    """The sixth report in an hour is a 429 through the same mapping, the message still there."""
    for _ in range(5):
        client.post("/articles/low-alp/report/", report_data())
    response = client.post(
        "/articles/low-alp/report/", report_data(message="Sixth: the dose is wrong.")
    )
    assert response.status_code == 429
    html = response.content.decode()
    assert "try again later" in html and "Sixth: the dose is wrong." in html
    assert_valid(html, "report")


SEARCH_CASES = {
    "a query too long": (f"?q={'x' * 5000}", 400, "please use at most"),
    "an unknown audience": ("?q=dose&audience=martians", 400, "martians"),
    "a page beyond 64 bits": (f"?q=dose&page={HUGE}", 200, ""),
    "a page that is no number": ("?q=dose&page=last", 200, ""),
    "a negative page": ("?q=dose&page=-3", 200, ""),
    "control characters": ("?q=%00%01dose%7F", 200, ""),
    "only operators": ("?q=%26%7C!%3A*()%22", 200, ""),
}


@pytest.mark.parametrize("name", list(SEARCH_CASES))
def test_search_takes_absurd_input_without_a_500(
    client: Client, published: Article, name: str
) -> None:
    query, status, reason = SEARCH_CASES[name]
    response = Client(raise_request_exception=False).get(f"/search/{query}")
    assert response.status_code == status
    assert reason in response.content.decode()
