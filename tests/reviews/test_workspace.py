"""The editorial workspace in the browser's shoes: create, edit, conflicts, comments, history."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from articles.models import Article
from articles.services import rendition_get_or_create
from articles.sourcemap import plain_text
from reviews.models import AuditEvent, CommentResolution, ReviewComment, State
from reviews.services.comments import comment_create, comment_reply
from reviews.services.content import draft_update
from tests.factories import (
    approve,
    edit_data,
    logged_in,
    make_article,
    make_reference,
    make_user,
    publish_approved,
    submit_and_review,
)

pytestmark = pytest.mark.django_db


def is_transaction(sql: str) -> bool:
    return sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))


class TestCreateAndEdit:
    def test_author_creates_a_draft_from_the_workspace(self, author: Any) -> None:
        """The new-article form makes version 1 with the author as its author, as a draft."""
        client = logged_in(author)
        response = client.post(
            "/workspace/new/",
            {
                "slug": "what-is-hpp",
                "title": "What is HPP?",
                "summary": "Short.",
                "text_patient": "Words.",
                "text_clinician": "Clinical words.",
                "change_reason": "First version.",
                "change_weight": "substantive",
            },
        )
        assert response.status_code == 302
        article = Article.objects.get(slug="what-is-hpp")
        assert (article.version, article.workflow.state) == (1, State.DRAFT)
        assert list(article.authors.all()) == [author]

    def test_saving_the_edit_form_makes_a_version_with_reason_and_weight(self, author: Any) -> None:
        """A change saved from the form is a new version carrying its reason and weight."""
        article = make_article(author=author)
        response = logged_in(author).post(
            f"/workspace/articles/{article.slug}/edit/",
            edit_data(article, text_patient="New words.", change_weight="minor"),
        )
        assert response.status_code == 302
        snapshot = Article.objects.get(pk=article.pk).history.get(version=2)
        assert (
            snapshot.texts["patient"],
            snapshot.history_change_reason,
            snapshot.change_weight,
        ) == ("New words.", "Clarify.", "minor")

    def test_saving_unchanged_content_makes_no_version(self, author: Any) -> None:
        """Pressing save without changes says so and keeps the version."""
        article = make_article(author=author)
        client = logged_in(author)
        response = client.post(
            f"/workspace/articles/{article.slug}/edit/", edit_data(article), follow=True
        )
        assert "Nothing changed" in response.content.decode()
        assert Article.objects.get(pk=article.pk).version == 1

    def test_a_stale_save_shows_the_conflict_and_keeps_the_users_text(
        self, author: Any, editor: Any
    ) -> None:
        """Editor saves first; the author's save answers 409 with the editor's change and the author's text."""
        article = make_article(author=author)
        mine = edit_data(article, text_patient="The author's long careful rewrite.")
        logged_in(editor).post(
            f"/workspace/articles/{article.slug}/edit/",
            edit_data(article, text_patient="Dose is 15 mg daily."),
        )
        response = logged_in(author).post(f"/workspace/articles/{article.slug}/edit/", mine)
        html = response.content.decode()
        assert response.status_code == 409
        assert "Someone saved this article while you were editing" in html
        assert (
            "The author&#x27;s long careful rewrite." in html
            or "The author's long careful rewrite." in html
        )
        assert "diff-ins" in html and "15" in html
        assert Article.objects.get(pk=article.pk).texts["patient"] == "Dose is 15 mg daily."

    def test_another_authors_draft_is_invisible(self, author: Any, db: Any) -> None:
        """An author who is not on the article gets 404 on its workspace pages, not 403."""
        from accounts.roles import Role
        from tests.factories import make_user

        other = make_user(Role.AUTHOR)
        article = make_article(author=author)
        client = logged_in(other)
        for suffix in ["", "edit/", "history/", "versions/1/", "diff/?from=1&to=1"]:
            assert client.get(f"/workspace/articles/{article.slug}/{suffix}").status_code == 404, (
                suffix
            )
        assert (
            client.post(
                f"/workspace/articles/{article.slug}/edit/", edit_data(article, title="Hijacked?")
            ).status_code
            == 404
        )
        assert Article.objects.get(pk=article.pk).title == article.title

    def test_preview_renders_markdown_and_names_unknown_markers(self, author: Any) -> None:
        """The live preview shows readers' HTML, or the unknown markers with 422."""
        reference = make_reference()
        client = logged_in(author)
        ok = client.post(
            "/workspace/preview/", {"text": f"## Hi\n\nClaim [@pmid:{reference.pmid}]."}
        )
        assert (
            ok.status_code == 200
            and "<h2>Hi</h2>" in ok.content.decode()
            and 'href="#ref-1"' in ok.content.decode()
        )
        bad = client.post("/workspace/preview/", {"text": "Claim [@pmid:999999999]."})
        assert bad.status_code == 422 and "[@pmid:999999999]" in bad.content.decode()


class TestComments:
    def test_a_comment_is_anchored_to_an_audience_and_a_quoted_passage(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A reviewer comments on words that exist in that audience's text; a made-up quote is refused."""
        article = submit_and_review(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        client = logged_in(reviewer)
        client.post(
            f"/workspace/articles/{article.slug}/comments/",
            {"audience": "patient", "quote": "Text for the patient.", "body": "Too vague."},
        )
        comment = ReviewComment.objects.get()
        assert (comment.audience, comment.quote, comment.version, comment.author) == (
            "patient",
            "Text for the patient.",
            article.version,
            reviewer,
        )
        with pytest.raises(Exception, match="not in the patient text"):
            comment_create(
                article=article,
                user=reviewer,
                audience="patient",
                quote="Words never written",
                body="?",
            )

    def test_open_comments_block_approval_until_resolved(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Approve is refused while a thread is open; after the writer resolves it, approval works."""
        article = submit_and_review(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        comment = comment_create(article=article, user=reviewer, body="Check the dose.")
        client = logged_in(reviewer)
        page = client.get(f"/workspace/articles/{article.slug}/").content.decode()
        assert "1 review comment(s) are still open" in page
        client.post(
            f"/workspace/articles/{article.slug}/comments/{comment.pk}/reply/", {"body": "Fixed?"}
        )
        assert ReviewComment.objects.filter(parent=comment).count() == 1
        client.post(
            f"/workspace/articles/{article.slug}/comments/{comment.pk}/resolve/",
            {"note": "Checked."},
        )
        assert CommentResolution.objects.filter(comment=comment).exists()
        approve(article, reviewer)
        assert Article.objects.get(pk=article.pk).workflow.state == State.APPROVED

    def test_an_author_cannot_resolve_a_reviewers_comment(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Only the comment's writer or an editor closes a thread."""
        article = submit_and_review(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        comment = comment_create(article=article, user=reviewer, body="Check the dose.")
        response = logged_in(author).post(
            f"/workspace/articles/{article.slug}/comments/{comment.pk}/resolve/", {}
        )
        assert response.status_code == 403
        assert not CommentResolution.objects.exists()
        logged_in(editor).post(
            f"/workspace/articles/{article.slug}/comments/{comment.pk}/resolve/", {}
        )
        assert CommentResolution.objects.filter(comment=comment, resolved_by=editor).exists()


class TestHistoryDiffRevert:
    def test_history_lists_every_version_with_who_when_reason_and_weight(
        self, author: Any, editor: Any
    ) -> None:
        """The history page shows each version's author of the change, reason and weight."""
        article = make_article(author=author)
        draft_update(
            article=article,
            user=editor,
            base_version=1,
            fields={"summary": "Better."},
            change_reason="Summary tightened.",
            change_weight="minor",
        )
        html = (
            logged_in(editor).get(f"/workspace/articles/{article.slug}/history/").content.decode()
        )
        assert "Summary tightened." in html and "First version." in html
        assert "Minor (wording, typography)" in html

    def test_diff_marks_a_changed_dose_as_a_clinical_change(self, author: Any) -> None:
        """Changing 15 mg to 150 mg is highlighted as clinical in the diff view."""
        article = make_article(
            author=author, texts={"patient": "Take 15 mg daily.", "clinician": "x"}
        )
        draft_update(
            article=article,
            user=author,
            base_version=1,
            fields={"texts": {"patient": "Take 150 mg daily.", "clinician": "x"}},
            change_reason="Dose.",
        )
        html = (
            logged_in(author)
            .get(f"/workspace/articles/{article.slug}/diff/?from=1&to=2")
            .content.decode()
        )
        assert "diff-clinical" in html
        assert "1 clinical change" in html

    def test_diff_query_count_is_flat_in_the_number_of_versions(
        self, author: Any, django_assert_max_num_queries: Any
    ) -> None:
        """Comparing two versions costs the same with 3 or 30 versions."""
        article = make_article(author=author)
        for n in range(2, 31):
            article = draft_update(
                article=article,
                user=author,
                base_version=article.version,
                fields={"summary": f"Summary {n}."},
                change_reason=f"Edit {n}.",
            )
        client = logged_in(author)
        with django_assert_max_num_queries(10):
            assert (
                client.get(f"/workspace/articles/{article.slug}/diff/?from=2&to=30").status_code
                == 200
            )

    def test_restoring_an_old_version_makes_a_new_version_that_voids_approval(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Revert copies version 1's content into a new version; the approval no longer counts."""
        article = publish_approved(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        original = article.texts
        article = draft_update(
            article=article,
            user=author,
            base_version=1,
            fields={"texts": {**original, "patient": "Changed."}},
            change_reason="Edit",
        )
        approve(article, reviewer)
        response = logged_in(author).post(
            f"/workspace/articles/{article.slug}/versions/1/restore/",
            {"base_version": article.version},
        )
        assert response.status_code == 302
        article = Article.objects.get(pk=article.pk)
        assert article.version == 3 and article.texts == original
        assert article.workflow.state == State.UNDER_REVIEW
        assert AuditEvent.objects.filter(article=article, action="void_approvals").count() == 2


class TestDashboards:
    def test_each_role_sees_its_own_lists(self, author: Any, editor: Any, reviewer: Any) -> None:
        """Reviewer: assigned to me; author: my drafts; editor: the queue and the turnaround chart."""
        reviewed = submit_and_review(
            make_article(author=author, title="Under review?", citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        make_article(author=author, title="Still a draft?")
        publish_approved(
            make_article(author=author, title="Done?", citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        assert "Under review?" in logged_in(reviewer).get("/workspace/").content.decode()
        author_page = logged_in(author).get("/workspace/").content.decode()
        assert "Still a draft?" in author_page and "My articles" in author_page
        editor_page = logged_in(editor).get("/workspace/?state=under_review").content.decode()
        assert "Under review?" in editor_page and "Review turnaround" in editor_page
        assert '<svg class="chart"' in editor_page
        assert reviewed.pk

    @pytest.mark.parametrize("n", [2, 25])
    def test_dashboard_query_count_is_flat(
        self, author: Any, editor: Any, reviewer: Any, n: int, django_assert_max_num_queries: Any
    ) -> None:
        """The dashboards cost the same with 2 or 25 articles in every list (paginated)."""
        for _ in range(n):
            submit_and_review(
                make_article(author=author, citations=[make_reference()]),
                author=author,
                editor=editor,
                reviewers=[reviewer],
            )
            make_article(author=author)
        for user in (author, editor, reviewer):
            client = logged_in(user)
            # Each list's page prefetches its authors and current reviewers: two queries a list.
            with django_assert_max_num_queries(16):
                assert client.get("/workspace/").status_code == 200

    def test_workspace_article_page_query_count_is_flat(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """The article's workspace page costs the same with one thread as with many: anchored
        threads made on older versions (found again in the current text), outdated ones, replies.
        18 queries once each audience's text is rendered and kept; the first view of a version
        renders it: at most 4 more (glossary, kept renditions, sources, one insert)."""
        article = submit_and_review(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        client = logged_in(editor)
        url = f"/workspace/articles/{article.slug}/"

        def counted() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            return len([q for q in captured.captured_queries if not is_transaction(q["sql"])])

        first = comment_create(article=article, user=reviewer, body="Point.")
        comment_reply(article=article, user=author, comment_id=first.pk, body="Done.")
        one_thread = (counted(), counted())  # the first view renders the texts and keeps them
        for n in range(15):
            text = rendition_get_or_create(version=article, audience="patient").body_html
            quote = "Text for the patient" if n == 0 else f"Edit {n - 1}."
            start = plain_text(text).index(quote)
            comment = comment_create(
                article=article,
                user=reviewer,
                body=f"Point {n}.",
                audience="patient",
                quote=quote,
                start=start,
                end=start + len(quote),
                version=article.version,
            )
            comment_reply(article=article, user=author, comment_id=comment.pk, body="Done.")
            texts = {**article.texts, "patient": article.texts["patient"] + f" Edit {n}."}
            if n % 5 == 4:  # now and then the passage goes: the thread is outdated
                texts["patient"] = texts["patient"].replace(quote, "")
            article = draft_update(
                article=article,
                user=author,
                base_version=article.version,
                fields={"texts": texts},
                change_reason=f"Edit {n}.",
            )
        many_threads = (counted(), counted())
        assert one_thread[1] == many_threads[1] == 18
        assert one_thread[0] <= 18 + 4
        # This version was never checked either: its two texts' reading levels are kept too.
        assert many_threads[0] <= 18 + 4 + 2


def test_the_turnaround_chart_is_computed_once_then_kept(
    author: Any, editor: Any, reviewer: Any, django_assert_num_queries: Any
) -> None:
    """Reading a year of approvals grows with the publisher: the chart is kept for ten minutes."""
    from reviews.selectors.reports import review_turnaround

    publish_approved(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    with django_assert_num_queries(2) as captured:
        chart = review_turnaround(months=12)
    assert [m.reviews for m in chart] == [1]
    # The approved articles are a subquery, not one parameter each: a busy year at 100,000
    # articles has more than PostgreSQL's 65,535 parameters (the bench's editor dashboard failed).
    assert "IN (SELECT" in captured.captured_queries[1]["sql"].upper()
    with django_assert_num_queries(0):
        assert review_turnaround(months=12) == chart


def test_the_related_picker_lists_no_title_of_another_authors_draft(
    author: Any,
) -> None:
    """The new-article form lists no article it was not given, and its search finds published
    articles and the user's own, never the title of another author's draft."""
    other = make_user(Role.AUTHOR, username="other-author")
    make_article(author=other, title="Someone else's secret draft")
    make_article(author=author, title="My own draft title")
    client = logged_in(author)
    html = client.get("/workspace/new/").content.decode()
    assert "secret draft" not in html and "My own draft title" not in html
    found = client.get("/workspace/related/", {"q": "draft"}).json()["results"]
    assert [r["title"] for r in found] == ["My own draft title"]
