"""The drafting API: bearer tokens, drafts by slug, versions and conflicts, submission, errors."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import Mock

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError
from django.test import Client

from accounts.models import ApiToken
from accounts.roles import Role
from accounts.tokens import api_token_issue, api_token_revoke
from articles.models import Article
from reviews.models import (
    ArticleWorkflow,
    AuditEvent,
    CommentResolution,
    ReviewComment,
    SignOff,
    State,
)
from reviews.services.transitions import transition_apply
from tests.factories import (
    approve,
    article_texts,
    make_article,
    make_reference,
    make_user,
    submit_and_review,
)

API = "/api/v1"
JSON = "application/json"


class Api:
    """A test client speaking to the API as one token's user (or as no one)."""

    def __init__(self, client: Client, user: Any = None, *, secret: str | None = None) -> None:
        self.client = client
        if user is not None:
            secret = api_token_issue(user=user, name="test").secret
        self.headers = {"authorization": f"Bearer {secret}"} if secret else {}

    def send(
        self, method: str, path: str, data: bytes | str = b"", content_type: str = JSON
    ) -> Any:
        # CONTENT_TYPE explicitly too: the test client leaves it out when the body is empty.
        return self.client.generic(
            method,
            API + path,
            data,
            content_type=content_type,
            headers=self.headers,
            CONTENT_TYPE=content_type,
        )

    def get(self, path: str) -> Any:
        return self.send("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self.send("POST", path, b"" if body is None else json.dumps(body))

    def put(self, path: str, body: Any) -> Any:
        return self.send("PUT", path, json.dumps(body))


@pytest.fixture
def as_user(client: Client) -> Any:
    return lambda user: Api(client, user)


def draft_body(slug: str = "new-draft", **fields: Any) -> dict[str, Any]:
    body = {
        "slug": slug,
        "title": "What is a new draft?",
        "summary": "A summary.",
        "texts": {"patient": "Patient text.", "clinician": "Clinician text."},
        "related": [],
    }
    body.update(fields)
    return body


def edit_body(article: Article, **fields: Any) -> dict[str, Any]:
    """The article's current content as a PUT body, with `fields` changed."""
    related = list(
        Article.objects.filter(pk__in=article.related_ids).values_list("slug", flat=True)
    )
    body = {
        "title": article.title,
        "summary": article.summary,
        "texts": article.texts,
        "related": related,
        "version": article.version,
        "change_reason": "Tidying.",
    }
    body.update(fields)
    return body


def stored(article: Article) -> Article:
    return Article.objects.get(pk=article.pk)


def writes() -> tuple[int, int, int, int]:
    """Rows that any write through the API would add to."""
    return (
        Article.objects.count(),
        Article.history.count(),
        AuditEvent.objects.count(),
        ReviewComment.objects.count(),
    )


def paths(response: Any) -> set[str | None]:
    return {error["path"] for error in response.json()["errors"]}


@pytest.fixture
def article(author: Any) -> Article:
    return make_article(author=author, slug="my-draft", citations=[make_reference()])


# --- authentication --------------------------------------------------------------------------


class TestAuthentication:
    def test_no_authorization_header_is_401_with_a_bearer_challenge(
        self, client: Client, article: Article
    ) -> None:
        """Without a token the answer is 401 `WWW-Authenticate: Bearer`, no error code."""
        response = Api(client).get("/drafts/my-draft/")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
        assert response.json()["error"] == "not_authenticated"

    def test_an_unknown_token_is_401_invalid_token(self, client: Client, article: Article) -> None:
        """A token that was never issued is refused as invalid_token."""
        response = Api(client, secret="edt_" + "A" * 43).get("/drafts/my-draft/")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'

    def test_a_revoked_token_is_401_invalid_token(
        self, client: Client, author: Any, article: Article
    ) -> None:
        """Once revoked, a token that worked is refused."""
        issued = api_token_issue(user=author)
        assert Api(client, secret=issued.secret).get("/drafts/my-draft/").status_code == 200
        api_token_revoke(token=issued.token)
        response = Api(client, secret=issued.secret).get("/drafts/my-draft/")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'

    def test_a_token_of_a_deactivated_user_is_401(
        self, client: Client, author: Any, article: Article
    ) -> None:
        """Deactivating the account stops its tokens at once."""
        api = Api(client, author)
        author.is_active = False
        author.save()
        assert api.get("/drafts/my-draft/").status_code == 401

    def test_a_session_login_is_not_accepted(
        self, client: Client, author: Any, article: Article
    ) -> None:
        """Being signed in to the site is no credential for the API."""
        client.force_login(author)
        assert Api(client).get("/drafts/my-draft/").status_code == 401
        assert Api(client).post("/drafts/", draft_body()).status_code == 401

    def test_another_scheme_is_401_with_a_bearer_challenge(
        self, client: Client, article: Article
    ) -> None:
        """Basic credentials are not understood: the challenge names Bearer."""
        response = client.get(f"{API}/drafts/my-draft/", headers={"authorization": "Basic YTpi"})
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"

    def test_a_token_request_needs_no_csrf_token(self, author: Any) -> None:
        """A bearer-token POST is not refused by CSRF protection (no cookies are involved)."""
        response = Api(Client(enforce_csrf_checks=True), author).post("/drafts/", draft_body())
        assert response.status_code == 201

    def test_use_is_recorded_on_the_token(
        self, as_user: Any, author: Any, article: Article
    ) -> None:
        """A request stamps the token's last use."""
        as_user(author).get("/drafts/my-draft/")
        assert ApiToken.objects.get(user=author).last_used_at is not None


# --- create -----------------------------------------------------------------------------------


class TestCreate:
    def test_an_author_creates_a_draft_at_version_1(self, as_user: Any, author: Any) -> None:
        """201 with Location, version 1, state draft, the content hash; the author is its author."""
        response = as_user(author).post("/drafts/", draft_body())
        data = response.json()
        article = Article.objects.get(slug="new-draft")
        assert response.status_code == 201
        assert response["Location"] == f"http://testserver{API}/drafts/new-draft/"
        assert (data["version"], data["state"], data["content_hash"]) == (
            1,
            "draft",
            article.content_hash,
        )
        assert data["texts"] == {"clinician": "Clinician text.", "patient": "Patient text."}
        assert list(article.authors.all()) == [author]
        assert AuditEvent.objects.get(article=article).action == "create"

    def test_related_slugs_are_stored_as_ids_and_shown_as_slugs(
        self, as_user: Any, author: Any
    ) -> None:
        """The API speaks slugs; the model keeps ids."""
        one, two = make_article(author=author, slug="one"), make_article(author=author, slug="two")
        response = as_user(author).post("/drafts/", draft_body(related=["two", "one"]))
        assert sorted(response.json()["related"]) == ["one", "two"]
        assert Article.objects.get(slug="new-draft").related_ids == sorted([one.pk, two.pk])

    def test_a_taken_slug_is_409_already_exists(
        self, as_user: Any, author: Any, article: Article
    ) -> None:
        """Creating over an existing slug is a conflict naming the slug; nothing is written."""
        before = writes()
        response = as_user(author).post("/drafts/", draft_body(slug="my-draft"))
        assert response.status_code == 409
        assert response.json()["error"] == "already_exists" and paths(response) == {"slug"}
        assert writes() == before

    def test_a_reviewer_cannot_create_403(self, as_user: Any, reviewer: Any) -> None:
        """Only authors and editors create articles: the service's refusal is a 403."""
        response = as_user(reviewer).post("/drafts/", draft_body())
        assert response.status_code == 403 and response.json()["error"] == "permission_denied"
        assert not Article.objects.exists()

    def test_a_model_validation_error_is_422_with_api_paths(
        self, as_user: Any, author: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A refusal from the model's full_clean() names fields as the API calls them."""
        error = ValidationError({"related_ids": ["Bad."], NON_FIELD_ERRORS: ["Also bad."]})
        monkeypatch.setattr("api.drafting.draft_create", Mock(side_effect=error))
        response = as_user(author).post("/drafts/", draft_body())
        assert response.status_code == 422 and paths(response) == {"related", None}

    def test_a_slug_taken_by_a_concurrent_request_is_409(
        self, as_user: Any, author: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """When another request inserts the slug first, the unique index's refusal is a 409."""

        def racing_create(**kwargs: Any) -> Article:
            make_article(author=author, slug=kwargs["slug"])
            raise IntegrityError("duplicate key value violates unique constraint")

        monkeypatch.setattr("api.drafting.draft_create", racing_create)
        response = as_user(author).post("/drafts/", draft_body())
        assert response.status_code == 409 and response.json()["error"] == "already_exists"

    def test_an_explicit_change_reason_is_recorded(self, as_user: Any, author: Any) -> None:
        """change_reason becomes the first history row's reason."""
        as_user(author).post("/drafts/", draft_body(change_reason="Imported from the wiki."))
        article = Article.objects.get(slug="new-draft")
        assert article.history.get().history_change_reason == "Imported from the wiki."


# --- read -------------------------------------------------------------------------------------


def comment(
    article: Article, user: Any, body: str, *, parent: ReviewComment | None = None
) -> ReviewComment:
    return ReviewComment.objects.create(
        article=article,
        cycle=1,
        version=article.version,
        audience="patient",
        quote="Text for the patient",
        body=body,
        author=user,
        parent=parent,
    )


class TestRead:
    def test_get_shows_the_content_version_state_and_hash(
        self, as_user: Any, author: Any, article: Article
    ) -> None:
        """The answer is the draft as stored, with links to itself and to submit."""
        data = as_user(author).get("/drafts/my-draft/").json()
        assert data["title"] == article.title and data["texts"] == article.texts
        assert (data["version"], data["state"], data["content_hash"]) == (
            1,
            "draft",
            article.content_hash,
        )
        assert data["links"] == {
            "self": f"{API}/drafts/my-draft/",
            "submit": f"{API}/drafts/my-draft/submit",
        }

    def test_get_shows_open_comment_threads_with_replies(
        self, as_user: Any, author: Any, editor: Any, reviewer: Any, article: Article
    ) -> None:
        """Open threads are listed with their replies; resolved threads are not."""
        article = submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        root = comment(article, reviewer, "Cite a source here.")
        comment(article, author, "Added one.", parent=root)
        resolved = comment(article, reviewer, "Typo.")
        CommentResolution.objects.create(comment=resolved, resolved_by=author)
        threads = as_user(author).get("/drafts/my-draft/").json()["open_comments"]
        assert [t["body"] for t in threads] == ["Cite a source here."]
        assert threads[0]["author"] == "reviewer" and threads[0]["audience"] == "patient"
        assert threads[0]["quote"] == "Text for the patient" and threads[0]["id"] == root.pk
        assert [(r["body"], r["author"]) for r in threads[0]["replies"]] == [
            ("Added one.", "author")
        ]

    def test_get_takes_the_same_few_queries_however_many_comments_and_related(
        self, as_user: Any, author: Any, reviewer: Any, django_assert_max_num_queries: Any
    ) -> None:
        """Reading a draft is a small constant number of queries."""
        others = [make_article(author=author) for _ in range(5)]
        small = make_article(author=author, slug="small", related_ids=[others[0].pk])
        big = make_article(author=author, slug="big", related_ids=[a.pk for a in others])
        comment(small, author, "Reply", parent=comment(small, reviewer, "Comment"))
        for n in range(6):
            root = comment(big, reviewer, f"Comment {n}")
            comment(big, author, f"Reply {n}", parent=root)
            comment(big, make_user(Role.REVIEWER), f"Reply again {n}", parent=root)
        api = as_user(author)
        api.get("/drafts/small/")  # the token's last use is stamped once a minute; not counted
        with django_assert_max_num_queries(8) as small_queries:
            assert api.get("/drafts/small/").status_code == 200
        with django_assert_max_num_queries(8) as big_queries:
            data = api.get("/drafts/big/").json()
        assert len(data["open_comments"]) == 6 and len(data["related"]) == 5
        assert len(big_queries.captured_queries) == len(small_queries.captured_queries)


# --- visibility -------------------------------------------------------------------------------


class TestVisibility:
    def test_another_authors_draft_is_404_for_get_put_and_submit(
        self, as_user: Any, article: Article
    ) -> None:
        """An author who did not write it cannot tell it exists."""
        api = as_user(make_user(Role.AUTHOR))
        before = writes()
        assert api.get("/drafts/my-draft/").status_code == 404
        assert api.put("/drafts/my-draft/", edit_body(article, title="Mine now")).status_code == 404
        assert api.post("/drafts/my-draft/submit").status_code == 404
        assert writes() == before and stored(article).title == article.title

    def test_a_hidden_draft_answers_exactly_like_a_missing_one(
        self, as_user: Any, article: Article
    ) -> None:
        """Same status and body for "not yours" and "no such slug": slugs cannot be probed."""
        api = as_user(make_user(Role.AUTHOR))
        hidden, missing = api.get("/drafts/my-draft/"), api.get("/drafts/no-such-draft/")
        assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())

    def test_an_unassigned_reviewer_gets_404(
        self,
        as_user: Any,
        author: Any,
        editor: Any,
        reviewer: Any,
        reviewer2: Any,
        article: Article,
    ) -> None:
        """A reviewer sees only the articles they are assigned to in the current cycle."""
        submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        assert as_user(reviewer2).get("/drafts/my-draft/").status_code == 404
        assert as_user(reviewer).get("/drafts/my-draft/").status_code == 200

    def test_an_assigned_reviewer_can_read_but_not_edit_403(
        self, as_user: Any, author: Any, editor: Any, reviewer: Any, article: Article
    ) -> None:
        """Seeing is not editing: the edit service refuses the reviewer."""
        article = submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        response = as_user(reviewer).put("/drafts/my-draft/", edit_body(article, title="Better?"))
        assert response.status_code == 403 and stored(article).version == article.version

    def test_an_editor_can_read_any_draft(
        self, as_user: Any, editor: Any, article: Article
    ) -> None:
        """Editors see every article."""
        response = as_user(editor).get("/drafts/my-draft/")
        assert response.status_code == 200 and response.json()["slug"] == "my-draft"

    def test_a_user_with_no_role_gets_404(self, as_user: Any, article: Article) -> None:
        """A token holder in no editorial group sees nothing."""
        assert as_user(make_user()).get("/drafts/my-draft/").status_code == 404


# --- update -----------------------------------------------------------------------------------


class TestUpdate:
    def test_put_with_the_current_version_makes_version_2(
        self, as_user: Any, author: Any, article: Article
    ) -> None:
        """A content change from the current version is saved as the next version."""
        response = as_user(author).put(
            "/drafts/my-draft/", edit_body(article, title="A better title?")
        )
        data = response.json()
        assert response.status_code == 200
        assert (data["version"], data["title"]) == (2, "A better title?")
        assert data["content_hash"] == stored(article).content_hash != article.content_hash
        assert article.history.filter(version=2).get().history_change_reason == "Tidying."

    def test_put_of_identical_content_keeps_the_version(
        self, as_user: Any, author: Any, article: Article
    ) -> None:
        """Saving what is already there makes no version and no history row."""
        history = article.history.count()
        response = as_user(author).put("/drafts/my-draft/", edit_body(article))
        assert response.status_code == 200
        assert (
            response.json()["version"] == 1
            and response.json()["content_hash"] == article.content_hash
        )
        assert article.history.count() == history

    def test_a_stale_put_is_409_with_the_current_version_and_writes_nothing(
        self, as_user: Any, author: Any, article: Article
    ) -> None:
        """An edit from an old version is refused with what the client needs to merge."""
        api = as_user(author)
        api.put("/drafts/my-draft/", edit_body(article, title="First edit?"))
        current = stored(article)
        before = writes()
        response = api.put("/drafts/my-draft/", edit_body(article, title="Second edit?", version=1))
        assert response.status_code == 409
        assert response.json() | {"message": ""} == {
            "error": "conflict",
            "message": "",
            "current_version": 2,
            "content_hash": current.content_hash,
            "your_version": 1,
        }
        assert writes() == before and stored(article).title == "First edit?"

    def test_related_slugs_are_replaced(self, as_user: Any, author: Any, article: Article) -> None:
        """PUT replaces the related list; the answer shows slugs."""
        make_article(author=author, slug="other")
        response = as_user(author).put("/drafts/my-draft/", edit_body(article, related=["other"]))
        assert response.json()["related"] == ["other"] and response.json()["version"] == 2

    def test_an_editor_can_edit_any_draft(
        self, as_user: Any, editor: Any, article: Article
    ) -> None:
        """Editors hold the edit role on every article."""
        response = as_user(editor).put("/drafts/my-draft/", edit_body(article, summary="Sharper."))
        assert response.status_code == 200 and response.json()["version"] == 2

    def test_editing_a_retired_article_is_409_illegal_state(
        self, as_user: Any, author: Any, editor: Any, article: Article
    ) -> None:
        """The workflow refuses the edit in this state: a conflict with the state, with reasons."""
        transition_apply(article=article, user=editor, action="retire", note="Superseded.")
        response = as_user(author).put("/drafts/my-draft/", edit_body(article, title="Revived?"))
        assert response.status_code == 409 and response.json()["error"] == "illegal_state"
        assert response.json()["reasons"] and stored(article).version == 1

    def test_an_approved_article_goes_back_under_review_on_change(
        self, as_user: Any, author: Any, editor: Any, reviewer: Any, article: Article
    ) -> None:
        """A content change voids the sign-off: the answer shows the new state."""
        article = submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        approve(article, reviewer)
        response = as_user(author).put(
            "/drafts/my-draft/", edit_body(stored(article), summary="Changed.")
        )
        assert response.json()["state"] == State.UNDER_REVIEW


# --- submit -----------------------------------------------------------------------------------


class TestSubmit:
    def test_a_complete_draft_is_submitted(
        self, as_user: Any, author: Any, article: Article
    ) -> None:
        """200 with the draft, now in state submitted."""
        response = as_user(author).post("/drafts/my-draft/submit")
        assert response.status_code == 200 and response.json()["state"] == "submitted"
        assert ArticleWorkflow.objects.get(article=article).state == State.SUBMITTED

    def test_an_unknown_citation_marker_is_422_naming_it(self, as_user: Any, author: Any) -> None:
        """The failing guard's reason names the marker; the draft stays a draft."""
        make_article(
            author=author,
            slug="cites",
            texts=article_texts() | {"patient": "See [@pmid:99999999]."},
        )
        response = as_user(author).post("/drafts/cites/submit")
        assert response.status_code == 422
        assert response.json()["error"] == "guards_failed"
        assert any("[@pmid:99999999]" in reason for reason in response.json()["reasons"])
        assert as_user(author).get("/drafts/cites/").json()["state"] == "draft"

    def test_every_failing_guard_is_listed(self, as_user: Any, author: Any) -> None:
        """Missing summary, missing audience and unknown marker all come back at once."""
        make_article(author=author, slug="thin", summary="", texts={"patient": "See [@nope]."})
        reasons = as_user(author).post("/drafts/thin/submit").json()["reasons"]
        assert len(reasons) == 3
        assert any("summary" in r for r in reasons) and any("clinician" in r for r in reasons)
        assert any("[@nope]" in r for r in reasons)

    def test_submitting_twice_is_409_illegal_state(
        self, as_user: Any, author: Any, article: Article
    ) -> None:
        """A submitted article cannot be submitted again."""
        api = as_user(author)
        api.post("/drafts/my-draft/submit")
        response = api.post("/drafts/my-draft/submit")
        assert response.status_code == 409 and response.json()["error"] == "illegal_state"

    def test_submitting_a_stale_version_is_409(
        self, as_user: Any, author: Any, article: Article
    ) -> None:
        """With `version`, only the version the client saw is submitted."""
        api = as_user(author)
        api.put("/drafts/my-draft/", edit_body(article, title="Changed meanwhile?"))
        response = api.post("/drafts/my-draft/submit", {"version": 1})
        assert response.status_code == 409 and response.json()["current_version"] == 2
        assert api.post("/drafts/my-draft/submit", {"version": 2}).json()["state"] == "submitted"

    def test_an_assigned_reviewer_cannot_submit_403(
        self, as_user: Any, author: Any, editor: Any, reviewer: Any, article: Article
    ) -> None:
        """Submission is the authors' and editors' action."""
        article = submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        transition_apply(article=article, user=author, action="withdraw")
        assert as_user(reviewer).post("/drafts/my-draft/submit").status_code == 403


# --- no signing -------------------------------------------------------------------------------


class TestNoSigning:
    @pytest.mark.parametrize(
        "action", ["approve", "request_changes", "sign", "signoff", "transition"]
    )
    def test_there_is_no_signing_endpoint(
        self, as_user: Any, author: Any, editor: Any, reviewer: Any, article: Article, action: str
    ) -> None:
        """An assigned reviewer cannot sign through the API: 404, nothing signed."""
        article = submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        response = as_user(reviewer).post(
            f"/drafts/my-draft/{action}", {"content_hash": article.content_hash}
        )
        assert response.status_code == 404 and response.json()["error"] == "not_found"
        assert not SignOff.objects.exists() and stored(article).workflow.state == State.UNDER_REVIEW

    def test_the_schema_offers_no_signing_operation(self, client: Client) -> None:
        """No documented path or operation signs."""
        document = client.get(f"{API}/openapi.json").json()
        operations = {
            operation["operationId"]
            for item in document["paths"].values()
            for operation in item.values()
            if "operationId" in operation
        }
        assert operations == {
            "draft_create",
            "draft_get",
            "draft_update",
            "draft_submit",
            "openapi_document",
            "article_list",
            "article_get",
        }


# --- methods and URLs -------------------------------------------------------------------------


class TestMethods:
    @pytest.mark.parametrize(
        ("method", "path", "allow"),
        [
            ("GET", "/drafts/", "POST"),
            ("DELETE", "/drafts/my-draft/", "GET, PUT"),
            ("PATCH", "/drafts/my-draft/", "GET, PUT"),
            ("POST", "/drafts/my-draft/", "GET, PUT"),
            ("GET", "/drafts/my-draft/submit", "POST"),
            ("POST", "/openapi.json", "GET"),
        ],
    )
    def test_a_wrong_method_is_405_with_allow(
        self, as_user: Any, author: Any, article: Article, method: str, path: str, allow: str
    ) -> None:
        """405 in JSON, with the Allow header listing what is offered; nothing changes."""
        before = writes()
        response = as_user(author).send(method, path, "{}")
        assert response.status_code == 405 and response["Allow"] == allow
        assert response.json()["error"] == "method_not_allowed" and writes() == before

    @pytest.mark.parametrize(
        "path", ["/drafts", "/drafts/my-draft/submit/", "/drafts/my-draft/history", "/drafts/a/b/c"]
    )
    def test_an_unknown_url_under_drafts_is_a_json_404(
        self, as_user: Any, author: Any, article: Article, path: str
    ) -> None:
        """Mistyped URLs answer JSON, not an HTML page."""
        response = as_user(author).post(path, {})
        assert response.status_code == 404 and response["Content-Type"] == JSON


# --- validation -------------------------------------------------------------------------------


class TestValidation:
    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            ({"title": None}, {"title"}),
            ({"title": 42}, {"title"}),
            ({"title": "   "}, {"title"}),
            ({"title": "x" * 301}, {"title"}),
            ({"slug": "not a slug!"}, {"slug"}),
            ({"slug": ["a"]}, {"slug"}),
            ({"texts": {"martian": "Hi"}}, {"texts.martian"}),
            (
                {"texts": {"patient": 3, "clinician": {"a": 1}}},
                {"texts.patient", "texts.clinician"},
            ),
            ({"texts": ["patient"]}, {"texts"}),
            ({"related": "other"}, {"related"}),
            (
                {"related": ["other", "no slug!", 7, "other"]},
                {"related[1]", "related[2]", "related[3]"},
            ),
            ({"summary": False}, {"summary"}),
            ({"colour": "blue", "state": "approved"}, {"colour", "state"}),
            ({"version": 3}, {"version"}),
            ({"change_reason": ""}, {"change_reason"}),
            ({"title": "Nul\x00byte"}, {"title"}),
            ({"texts": {"patient": "a\x00b"}}, {"texts.patient"}),
        ],
    )
    def test_create_errors_carry_field_paths(
        self, as_user: Any, author: Any, change: dict[str, Any], expected: set[str]
    ) -> None:
        """422 `invalid` naming every wrong field by its path; nothing is written."""
        make_article(author=author, slug="other")
        before = writes()
        response = as_user(author).post("/drafts/", draft_body(**change))
        assert response.status_code == 422 and response.json()["error"] == "invalid"
        assert paths(response) == expected
        assert writes() == before

    def test_required_fields_are_named(self, as_user: Any, author: Any) -> None:
        """An empty object names each required field."""
        response = as_user(author).post("/drafts/", {})
        assert response.status_code == 422 and paths(response) == {"slug", "title"}

    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            ({"version": "1"}, {"version"}),
            ({"version": True}, {"version"}),
            ({"version": 1.0}, {"version"}),
            ({"version": 0}, {"version"}),
            ({"change_reason": "  "}, {"change_reason"}),
            ({"slug": "renamed"}, {"slug"}),
            ({"related": ["my-draft"]}, {"related[0]"}),
            ({"content_hash": "0" * 64, "links": {}}, {"content_hash", "links"}),
            ({"texts": {"patient": "\ud800"}}, {"texts.patient"}),
        ],
    )
    def test_update_errors_carry_field_paths(
        self,
        as_user: Any,
        author: Any,
        article: Article,
        change: dict[str, Any],
        expected: set[str],
    ) -> None:
        """PUT bodies are checked the same way, and nothing is written."""
        before = writes()
        response = as_user(author).put("/drafts/my-draft/", edit_body(article, **change))
        assert response.status_code == 422 and paths(response) == expected
        assert writes() == before and stored(article).version == 1

    def test_a_put_must_carry_the_whole_content_and_its_version(
        self, as_user: Any, author: Any, article: Article
    ) -> None:
        """PUT replaces: leaving a field out is an error, never an erasure."""
        response = as_user(author).put("/drafts/my-draft/", {"title": "Only this?"})
        assert response.status_code == 422
        assert paths(response) == {"summary", "texts", "related", "version", "change_reason"}
        assert stored(article).texts == article.texts

    def test_a_body_that_is_not_json_is_415(self, as_user: Any, author: Any) -> None:
        """Only application/json is read."""
        response = as_user(author).send(
            "POST", "/drafts/", "slug=x&title=y", "application/x-www-form-urlencoded"
        )
        assert response.status_code == 415 and response.json()["error"] == "unsupported_media_type"
        assert not Article.objects.exists()

    def test_json_with_charset_utf8_is_accepted(self, as_user: Any, author: Any) -> None:
        """`application/json; charset=utf-8` is JSON."""
        body = json.dumps(draft_body())
        response = as_user(author).send("POST", "/drafts/", body, "application/json; charset=utf-8")
        assert response.status_code == 201

    @pytest.mark.parametrize(
        "raw",
        [
            b"{not json",
            b"",
            b"[]",
            b'"a string"',
            b"42",
            b"null",
            b'{"title": NaN}',
            b'{"slug": "a", "slug": "b"}',
            b"\xff\xfe{}",
            b"[" * 100_000,
            b'{"version": 1' + b"0" * 5000 + b"}",
        ],
    )
    def test_a_body_that_is_not_a_json_object_is_400(
        self, as_user: Any, author: Any, raw: bytes
    ) -> None:
        """Malformed JSON or another JSON value is 400 with a message."""
        response = as_user(author).send("POST", "/drafts/", raw)
        assert response.status_code == 400 and response.json()["message"]
        assert not Article.objects.exists()

    def test_a_body_over_1_mb_is_413(self, as_user: Any, author: Any, article: Article) -> None:
        """Over the limit is refused before it is parsed."""
        body = edit_body(article, summary="x" * (1024 * 1024))
        response = as_user(author).put("/drafts/my-draft/", body)
        assert response.status_code == 413 and response.json()["max_bytes"] == 1024 * 1024
        assert stored(article).version == 1

    @pytest.mark.parametrize(
        "body",
        [
            {"slug": "g", "title": {"nested": ["wrong"]}},
            {"slug": "g", "title": "T", "texts": {"patient": ["list"]}},
            {"slug": "g", "title": "T", "texts": {"x" * 10_000: "long key"}},
            {"slug": "g" * 10_000, "title": "T"},
            {"slug": "g", "title": "T" * 500_000},
            {"slug": "g", "title": "T", "related": [None, {}, [], 1.5, "\x00"]},
            {"slug": "g", "title": "T", "related": ["a" * 200]},
            {"slug": "g\x00", "title": "T"},
            {"slug": "g", "title": "T\ud83d", "summary": "\udfff"},
            {"slug": "g", "title": "T", "version": None, "change_reason": 0},
            {"slug": "g", "title": "T", "texts": None, "related": None, "summary": None},
            {"": "", "slug": "g", "title": "T"},
            {"slug": "g", "title": "T", "related": [f"a{n}" for n in range(50_000)]},
            {"slug": "g", "title": "T", "related": ["a"] * 50_000},
        ],
    )
    def test_garbage_is_refused_with_4xx_and_nothing_written(
        self, as_user: Any, author: Any, article: Article, body: dict[str, Any]
    ) -> None:
        """Whatever the shape of the body, the answer is a 4xx and no row is added or changed."""
        api = as_user(author)
        before = writes()
        created = api.post("/drafts/", body)
        put_body = edit_body(article) | body
        if body["slug"] == "g":  # a well-formed slug; in a PUT it would be a (refused) rename
            put_body["slug"] = "my-draft"
        updated = api.put("/drafts/my-draft/", put_body)
        assert 400 <= created.status_code < 500 and 400 <= updated.status_code < 500
        assert writes() == before and stored(article).version == 1

    def test_error_paths_do_not_echo_huge_keys(self, as_user: Any, author: Any) -> None:
        """An unknown key of 10 000 characters is named, shortened."""
        response = as_user(author).post("/drafts/", draft_body(texts={"k" * 10_000: "x"}))
        (path,) = paths(response)
        assert path.startswith("texts.kkk") and len(path) < 100


# --- schema -------------------------------------------------------------------------------------


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


class TestSchema:
    def test_openapi_json_describes_the_draft_operations_without_a_token(
        self, client: Client
    ) -> None:
        """GET /api/v1/openapi.json is public OpenAPI 3.1 JSON with the four draft operations."""
        response = client.get(f"{API}/openapi.json")
        document = json.loads(response.content)
        assert response.status_code == 200 and response["Content-Type"] == JSON
        assert document["openapi"].startswith("3.1") and document["servers"] == [{"url": API}]
        assert set(document["paths"]["/drafts/"]) == {"post"}
        assert {"get", "put"} <= set(document["paths"]["/drafts/{slug}/"])
        assert set(document["paths"]["/drafts/{slug}/submit"]) >= {"post"}

    def test_every_reference_in_the_schema_resolves(self, client: Client) -> None:
        """Each $ref points at a component that is there."""
        document = client.get(f"{API}/openapi.json").json()
        for ref in refs(document):
            node: Any = document
            for part in ref.removeprefix("#/").split("/"):
                node = node[part]
            assert isinstance(node, dict)

    def test_the_schema_names_the_bearer_scheme_errors_and_audiences(self, client: Client) -> None:
        """Security, error shapes and the configured audiences are in the document."""
        document = client.get(f"{API}/openapi.json").json()
        components = document["components"]
        scheme = components["securitySchemes"]["bearerToken"]
        assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
        assert document["security"] == [{"bearerToken": []}]
        expected = {"Error", "FieldError", "ValidationFailed", "EditConflict", "WorkflowRefusal"}
        assert expected <= set(components["schemas"])
        [texts] = refs(components["schemas"]["Draft"]["properties"]["texts"])
        texts = components["schemas"][texts.rsplit("/", 1)[-1]]
        assert set(texts["properties"]) == {"patient", "caregiver", "student", "clinician"}
        put = document["paths"]["/drafts/{slug}/"]["put"]["responses"]
        assert {"200", "401", "403", "404", "409", "413", "415", "422"} <= set(put)


@pytest.mark.django_db
def test_put_records_the_change_weight_and_refuses_an_unknown_one(client: Any, author: Any) -> None:
    """`change_weight` on PUT is stored on the version; a value outside the list is a 422 naming it."""
    from accounts.tokens import api_token_issue
    from tests.factories import make_article

    token = api_token_issue(user=author, name="t").secret
    article = make_article(author=author)
    body = {
        "title": article.title,
        "summary": article.summary,
        "texts": article.texts,
        "related": [],
        "change_reason": "Typo",
        "version": 1,
        "change_weight": "minor",
    }
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    bad = client.put(
        f"/api/v1/drafts/{article.slug}/",
        {**body, "change_weight": "huge"},
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "change_weight"
    body["summary"] = "Fixed typo."
    ok = client.put(
        f"/api/v1/drafts/{article.slug}/", body, content_type="application/json", **headers
    )
    assert ok.status_code == 200
    assert article.history.get(version=2).change_weight == "minor"


class TestSources:
    def test_a_draft_is_created_with_its_sources_stored_canonical(
        self, as_user: Any, author: Any
    ) -> None:
        """`sources` is accepted on create and answered as stored: canonical, in order, once each."""
        one, two = make_reference(), make_reference()
        response = as_user(author).post(
            "/drafts/", draft_body(sources=[two.citekey, f"PMID:0{one.pmid}", two.citekey])
        )
        assert response.status_code == 201
        assert response.json()["sources"] == [two.citekey, f"pmid:{one.pmid}"]
        assert Article.objects.get(slug="new-draft").sources == [two.citekey, f"pmid:{one.pmid}"]

    def test_get_shows_the_sources(self, as_user: Any, author: Any, article: Article) -> None:
        """Every draft answer carries `sources`, empty when nothing is listed."""
        assert as_user(author).get("/drafts/my-draft/").json()["sources"] == []

    def test_an_unknown_key_is_422_naming_it_and_nothing_is_written(
        self, as_user: Any, author: Any, article: Article
    ) -> None:
        """On create and on PUT: the path is `sources`, the message names the key."""
        api = as_user(author)
        before = writes()
        created = api.post("/drafts/", draft_body(sources=["pmid:99999999"]))
        updated = api.put("/drafts/my-draft/", edit_body(article, sources=["doi:10.9999/nowhere"]))
        for response, key in ((created, "pmid:99999999"), (updated, "doi:10.9999/nowhere")):
            assert response.status_code == 422 and response.json()["error"] == "invalid"
            [error] = response.json()["errors"]
            assert (error["path"], error["code"]) == ("sources", "unknown_source")
            assert f"Not in the reference library: {key}." in error["message"]
        assert writes() == before and stored(article).version == 1

    @pytest.mark.parametrize(
        ("sources", "expected"),
        [
            ("pmid:1", {"sources"}),
            ([1, "ok", None], {"sources[0]", "sources[2]"}),
            (["  ", "a\x00b", "x" * 301], {"sources[0]", "sources[1]", "sources[2]"}),
            (["x"] * 201, {"sources"}),
        ],
    )
    def test_a_badly_shaped_list_is_422_with_item_paths(
        self, as_user: Any, author: Any, sources: Any, expected: set[str]
    ) -> None:
        """Not an array, items that are not non-empty strings, too many: named before any lookup."""
        before = writes()
        response = as_user(author).post("/drafts/", draft_body(sources=sources))
        assert response.status_code == 422 and paths(response) == expected
        assert writes() == before

    def test_a_put_without_sources_keeps_them_and_an_empty_list_clears_them(
        self, as_user: Any, author: Any
    ) -> None:
        """Clients written before `sources` existed do not erase the list; `[]` does."""
        ref = make_reference()
        article = make_article(author=author, slug="listing", sources=[ref.citekey])
        api = as_user(author)
        kept = api.put("/drafts/listing/", edit_body(article, title="A new title?"))
        assert kept.status_code == 200 and kept.json()["sources"] == [ref.citekey]
        cleared = api.put("/drafts/listing/", edit_body(stored(article), sources=[]))
        assert cleared.status_code == 200 and cleared.json()["sources"] == []
        assert cleared.json()["version"] == 3

    def test_the_schema_describes_sources(self, client: Client) -> None:
        """Writable on create and update, always in the answer."""
        schemas = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
        for name in ("DraftCreate", "DraftUpdate", "Draft"):
            assert schemas[name]["properties"]["sources"]["type"] == "array"
        assert "sources" in schemas["Draft"]["required"]
        assert "sources" not in schemas["DraftUpdate"]["required"]
