"""Autosave of the edit form: kept on the server for the people who may edit, never a version,
cleared by a save or a discard, and never silently put over a newer version."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from articles import limits
from articles.models import Article
from reviews.models import AuditEvent, Autosave
from reviews.selectors.drafting import autosave_offer
from reviews.services.autosave import (
    AUTOSAVE_KEEP_DAYS,
    AutosaveTooLarge,
    autosave_store,
    max_autosave_bytes,
)
from reviews.services.content import draft_update
from reviews.services.errors import WorkflowError
from reviews.services.transitions import transition_apply
from tests.factories import edit_data, logged_in, make_article, make_user, submit_and_review

pytestmark = pytest.mark.django_db

TYPED = {"title": "Half-typed title", "text_patient": "Half a sentence [@pmid:1", "related": []}


def url(article: Article | None) -> str:
    return (
        f"/workspace/articles/{article.slug}/autosave/" if article else "/workspace/new/autosave/"
    )


def post_json(client: Client, path: str, payload: object, **extra: Any) -> Any:
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(path, body, content_type="application/json", **extra)


# --- the service ------------------------------------------------------------------------------


class TestAutosaveService:
    def test_an_autosave_makes_no_version_history_row_or_audit_event(self, author: Any) -> None:
        """The text as typed (even with an unfinished citation) is kept; the article is untouched."""
        article = make_article(author=author)
        before = (article.version, article.history.count(), AuditEvent.objects.count())
        autosave_store(user=author, article=article, data=TYPED, base_version=1)
        article = Article.objects.get(pk=article.pk)
        assert (article.version, article.history.count(), AuditEvent.objects.count()) == before
        assert Autosave.objects.get(user=author, article=article).data["title"] == TYPED["title"]

    def test_one_autosave_per_person_and_article_is_replaced_at_each_write(
        self, author: Any, editor: Any
    ) -> None:
        article = make_article(author=author)
        autosave_store(user=author, article=article, data={"title": "One"})
        autosave_store(user=author, article=article, data={"title": "Two"})
        autosave_store(user=editor, article=article, data={"title": "Editor's"})
        autosave_store(user=author, article=None, data={"title": "New one"})
        autosave_store(user=author, article=None, data={"title": "New two"})
        rows = {(a.user_id, a.article_id): a.data["title"] for a in Autosave.objects.all()}
        assert rows == {
            (author.pk, article.pk): "Two",
            (editor.pk, article.pk): "Editor's",
            (author.pk, None): "New two",
        }

    def test_only_someone_who_may_edit_the_article_autosaves_it(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Another author and the article's own reviewer are refused; nothing is written."""
        article = make_article(author=author)
        submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        article = Article.objects.get(pk=article.pk)
        other = make_user(Role.AUTHOR, username="other-author")
        for user in (other, reviewer):
            with pytest.raises(PermissionDenied):
                autosave_store(user=user, article=article, data=TYPED)
        with pytest.raises(PermissionDenied):
            autosave_store(user=reviewer, article=None, data=TYPED)
        assert not Autosave.objects.exists()

    def test_a_retired_article_cannot_be_autosaved_as_it_cannot_be_edited(
        self, author: Any, editor: Any
    ) -> None:
        article = make_article(author=author)
        transition_apply(article=article, user=editor, action="retire", note="Old.")
        with pytest.raises(WorkflowError) as refused:
            autosave_store(user=author, article=Article.objects.get(pk=article.pk), data=TYPED)
        assert refused.value.code == "illegal_state"

    @pytest.mark.parametrize(
        ("data", "words"),
        [
            ({"nonsense": "x"}, "Unknown form field(s): nonsense"),
            ({"title": 5}, "The title must be a string"),
            ({"related": "12"}, "Related articles must be a list"),
            ({"related": ["12", "drop table"]}, "no id: drop table"),
            ({"topics": ["9" * 30]}, "no id"),
            (["title"], "must be an object"),
        ],
    )
    def test_a_malformed_autosave_is_refused_naming_the_field(
        self, author: Any, data: object, words: str
    ) -> None:
        with pytest.raises(ValidationError) as refused:
            autosave_store(user=author, article=None, data=data)
        assert words in " ".join(refused.value.messages)
        assert not Autosave.objects.exists()

    def test_a_text_over_the_limit_is_refused_as_too_large(self, author: Any) -> None:
        big = "a" * (limits.MAX_TEXT_BYTES + 1)
        with pytest.raises(AutosaveTooLarge) as refused:
            autosave_store(user=author, article=None, data={"text_patient": big})
        assert f"{limits.MAX_TEXT_BYTES:,}" in refused.value.messages[0]

    def test_a_base_version_that_the_article_never_had_is_refused(self, author: Any) -> None:
        article = make_article(author=author)
        for wrong in (0, 2, "1", True):
            with pytest.raises(ValidationError):
                autosave_store(user=author, article=article, data=TYPED, base_version=wrong)

    def test_an_autosave_on_an_older_version_is_offered_as_stale(
        self, author: Any, editor: Any
    ) -> None:
        """Someone else saved since: the offer says so instead of restoring over the new text."""
        article = make_article(author=author)
        autosave_store(user=author, article=article, data=TYPED, base_version=1)
        assert not autosave_offer(user=author, article=article).stale
        draft_update(
            article=article,
            user=editor,
            base_version=1,
            fields={"summary": "The editor's summary."},
            change_reason="Tighter.",
        )
        offer = autosave_offer(user=author, article=Article.objects.get(pk=article.pk))
        assert offer.stale and (offer.autosave.base_version, offer.current_version) == (1, 2)

    def test_autosaves_left_for_a_month_are_deleted_when_a_new_one_is_created(
        self, author: Any, editor: Any
    ) -> None:
        article = make_article(author=author)
        autosave_store(user=editor, article=article, data=TYPED)
        autosave_store(user=author, article=article, data=TYPED)
        Autosave.objects.filter(user=editor).update(
            saved_at=timezone.now() - timedelta(days=AUTOSAVE_KEEP_DAYS, minutes=1)
        )
        autosave_store(user=author, article=None, data=TYPED)
        assert set(Autosave.objects.values_list("user_id", "article_id")) == {
            (author.pk, article.pk),
            (author.pk, None),
        }


# --- the endpoint and the form ------------------------------------------------------------------


class TestAutosaveEndpoint:
    def test_an_autosave_answers_when_it_was_saved_and_says_it_is_no_version(
        self, author: Any
    ) -> None:
        article = make_article(author=author)
        response = post_json(logged_in(author), url(article), {"base_version": 1, "fields": TYPED})
        assert response.status_code == 200
        body = response.json()
        assert body["base_version"] == 1
        assert body["message"].startswith("Saved as draft at ")
        assert "not a new version" in body["message"]
        assert Article.objects.get(pk=article.pk).version == 1

    def test_an_autosave_without_the_csrf_token_is_refused(self, author: Any) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(author)
        assert post_json(client, url(None), {"fields": TYPED}).status_code == 403
        client.get("/workspace/new/")  # sets the CSRF cookie, as the page does
        token = client.cookies["csrftoken"].value
        response = post_json(client, url(None), {"fields": TYPED}, HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200
        assert Autosave.objects.filter(user=author, article=None).count() == 1

    @pytest.mark.parametrize(
        ("payload", "status", "words"),
        [
            ("{not json", 400, "not valid JSON"),
            ([1, 2], 400, "Send a JSON object"),
            ({"fields": TYPED, "extra": 1}, 400, "Unknown key(s) in the autosave: extra"),
            ({"fields": {"text_patient": 7}}, 400, "must be a string"),
            ({"fields": {"text_patient": "é" * 60_000}}, 413, "the most one text may hold"),
        ],
    )
    def test_a_bad_autosave_gets_a_json_error_naming_the_problem(
        self, author: Any, payload: object, status: int, words: str
    ) -> None:
        response = post_json(logged_in(author), url(None), payload)
        assert response.status_code == status
        assert words in response.json()["error"]
        assert not Autosave.objects.exists()

    def test_a_body_over_the_size_limit_is_refused_before_it_is_read(self, author: Any) -> None:
        limit = max_autosave_bytes()
        response = post_json(logged_in(author), url(None), "x" * (limit + 1))
        assert response.status_code == 413
        assert f"at most {limit:,} are accepted" in response.json()["error"]

    def test_statuses_for_people_who_may_not_autosave(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Signed out 401; another author's draft 404 (unseen); its reviewer 403; GET 405."""
        article = make_article(author=author)
        submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        payload = {"fields": TYPED}
        assert post_json(client, url(article), payload).status_code == 401
        other = logged_in(make_user(Role.AUTHOR, username="other-author"))
        missing = post_json(other, url(article), payload)
        assert missing.status_code == 404 and "error" in missing.json()
        denied = post_json(logged_in(reviewer), url(article), payload)
        assert denied.status_code == 403 and "may not" in denied.json()["error"]
        assert logged_in(author).get(url(article)).status_code == 405
        assert not Autosave.objects.exists()

    def test_an_autosave_costs_the_same_queries_with_many_related_articles(
        self, author: Any, django_assert_num_queries: Any
    ) -> None:
        article = make_article(author=author)
        client = logged_in(author)
        post_json(client, url(article), {"fields": TYPED})  # creates the row (and prunes)
        few = {"fields": {**TYPED, "related": ["1"]}}
        many = {"fields": {**TYPED, "related": [str(n) for n in range(1, 150)]}}
        with django_assert_num_queries(QUERIES_PER_AUTOSAVE):
            assert post_json(client, url(article), few).status_code == 200
        with django_assert_num_queries(QUERIES_PER_AUTOSAVE):
            assert post_json(client, url(article), many).status_code == 200


# Session and user, the article with its workflow, the roles, then the update_or_create
# (savepoint, select, update, release).
QUERIES_PER_AUTOSAVE = 8


class TestRestoreAndClear:
    def test_the_edit_form_restores_the_autosave_with_a_notice(self, author: Any) -> None:
        article = make_article(author=author)
        autosave_store(
            user=author, article=article, data={"text_patient": "Typed before the crash."}
        )
        html = logged_in(author).get(f"/workspace/articles/{article.slug}/edit/").content.decode()
        assert "Restored unsaved changes from" in html
        assert "Typed before the crash.</textarea>" in html
        assert "Discard them" in html

    def test_a_stale_autosave_is_offered_with_its_version_not_put_into_the_form(
        self, author: Any, editor: Any
    ) -> None:
        article = make_article(author=author)
        autosave_store(user=author, article=article, data={"text_patient": "My old-base words."})
        draft_update(
            article=article,
            user=editor,
            base_version=1,
            fields={"texts": {**article.texts, "patient": "The editor's newer text."}},
            change_reason="Newer.",
        )
        client = logged_in(author)
        page = client.get(f"/workspace/articles/{article.slug}/edit/").content.decode()
        assert "typed on version 1" in page and "it is now version 2" in page
        assert "The editor&#x27;s newer text.</textarea>" in page
        assert "My old-base words." not in page
        assert "?restore=1" in page
        opened = client.get(f"/workspace/articles/{article.slug}/edit/?restore=1")
        html = opened.content.decode()
        assert "My old-base words.</textarea>" in html
        assert 'name="base_version" value="1"' in html  # saving it shows the conflict page

    def test_saving_the_edit_form_clears_the_autosave(self, author: Any) -> None:
        article = make_article(author=author)
        autosave_store(user=author, article=article, data=TYPED)
        response = logged_in(author).post(
            f"/workspace/articles/{article.slug}/edit/", edit_data(article, summary="Saved.")
        )
        assert response.status_code == 302
        assert not Autosave.objects.exists()

    def test_a_refused_save_keeps_the_autosave(self, author: Any) -> None:
        article = make_article(author=author)
        autosave_store(user=author, article=article, data=TYPED)
        response = logged_in(author).post(
            f"/workspace/articles/{article.slug}/edit/", edit_data(article, title="")
        )
        assert response.status_code == 422
        assert Autosave.objects.count() == 1

    def test_creating_the_article_clears_the_new_article_autosave(self, author: Any) -> None:
        autosave_store(user=author, article=None, data={"title": "What is HPP?"})
        client = logged_in(author)
        assert "What is HPP?" in client.get("/workspace/new/").content.decode()
        response = client.post(
            "/workspace/new/",
            {
                "title": "What is HPP?",
                "summary": "Short.",
                "text_patient": "Words.",
                "text_clinician": "Clinical words.",
                "change_reason": "First version.",
                "change_weight": "substantive",
            },
        )
        assert response.status_code == 302
        assert not Autosave.objects.exists()

    def test_discarding_removes_the_autosave_and_shows_the_saved_version(self, author: Any) -> None:
        article = make_article(author=author)
        autosave_store(user=author, article=article, data={"text_patient": "Throw me away."})
        client = logged_in(author)
        response = client.post(f"/workspace/articles/{article.slug}/autosave/discard/", follow=True)
        html = response.content.decode()
        assert response.redirect_chain[-1][0] == f"/workspace/articles/{article.slug}/edit/"
        assert "Unsaved changes discarded" in html and "Throw me away." not in html
        assert not Autosave.objects.exists()

    def test_the_conflict_page_lets_the_merged_text_be_saved(
        self, author: Any, editor: Any
    ) -> None:
        """The form on the conflict page starts from the version just shown: saving it again
        after merging makes the next version instead of the same conflict once more."""
        article = make_article(author=author)
        mine = edit_data(article, text_patient="The author's careful rewrite.")
        logged_in(editor).post(
            f"/workspace/articles/{article.slug}/edit/", edit_data(article, summary="Editor's.")
        )
        client = logged_in(author)
        conflict = client.post(f"/workspace/articles/{article.slug}/edit/", mine)
        assert conflict.status_code == 409
        assert 'name="base_version" value="2"' in conflict.content.decode()
        again = client.post(
            f"/workspace/articles/{article.slug}/edit/", {**mine, "base_version": "2"}
        )
        assert again.status_code == 302
        assert Article.objects.get(pk=article.pk).version == 3


def test_an_oversized_text_gets_one_message_with_one_count_from_the_form_and_the_autosave(
    author: Any,
) -> None:
    """A text pasted from Windows (CRLF line endings, a trailing line break) and over the limit:
    the save and the autosave give the same message, counting the bytes it would be stored as,
    and name "the patient text", never the field's internal name."""
    article = make_article(author=author)
    typed = ("a" * 98 + "\r\n") * 3_000  # 300,000 bytes as typed; 296,999 stored
    client = logged_in(author)
    saved = client.post(
        f"/workspace/articles/{article.slug}/edit/", edit_data(article, text_patient=typed)
    )
    autosaved = post_json(
        client, url(article), {"fields": {"text_patient": typed}, "base_version": article.version}
    )
    message = (
        f"The patient text is 296,999 bytes; the most one text may hold is "
        f"{limits.MAX_TEXT_BYTES:,}. Split it or shorten it."
    )
    assert autosaved.status_code == 413
    assert autosaved.json()["error"] == message
    assert saved.status_code in {200, 400, 422}
    assert message in saved.content.decode()
    assert "text_patient" not in autosaved.json()["error"]
