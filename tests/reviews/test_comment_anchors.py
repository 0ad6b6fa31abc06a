"""Comments on what reviewers see: a passage selected in the rendered text is anchored to its
Markdown, checked on the server, found again when the text changes, and shown beside the text.
"""

from __future__ import annotations

import re
from typing import Any

import html5lib
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from articles.models import Article
from articles.services import rendition_get_or_create
from articles.sourcemap import plain_text
from reviews.models import CommentResolution, ReviewComment
from reviews.services.comments import (
    MAX_BODY,
    MAX_QUOTE,
    comment_create,
    comment_reply,
    comment_resolve,
)
from reviews.services.content import draft_update
from tests.factories import logged_in, make_article, make_reference, submit_and_review
from tests.test_valid_html import assert_valid

pytestmark = pytest.mark.django_db

PATIENT = """## What *a low ALP* means

A low ALP can be **a sign of HPP [@pmid:{pmid}]**. It is _rare_ and often missed.

- Bone pain in the legs
- Loose teeth in **young** children
"""


@pytest.fixture
def article(author: Any, editor: Any, reviewer: Any) -> Article:
    ref = make_reference(pmid="30288020")
    return submit_and_review(
        make_article(
            author=author,
            slug="low-alp",
            texts={
                "patient": PATIENT.format(pmid=ref.pmid),
                "clinician": f"## Clinical view\n\nLow ALP warrants ALPL testing [@pmid:{ref.pmid}].",
            },
        ),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )


def rendered(article: Article, audience: str = "patient") -> str:
    return plain_text(rendition_get_or_create(version=article, audience=audience).body_html)


def select(article: Article, words: str, audience: str = "patient") -> dict[str, Any]:
    """What the page's script sends for a selection of `words` in the rendered text."""
    text = rendered(article, audience)
    start = text.index(words)
    return {
        "audience": audience,
        "quote": words,
        "start": start,
        "end": start + len(words),
        "version": article.version,
    }


def edit(article: Article, author: Any, patient: str) -> Article:
    return draft_update(
        article=article,
        user=author,
        base_version=article.version,
        fields={"texts": {**article.texts, "patient": patient}},
        change_reason="Edit.",
    )


class TestAnchoring:
    @pytest.mark.parametrize(
        ("words", "markdown"),
        [
            ("can be a sign", "can be **a sign"),
            ("sign of HPP1. It", "sign of HPP [@pmid:30288020]**. It"),
            ("It is rare and", "It is _rare_ and"),
            ("the legs\nLoose teeth", "the legs\n- Loose teeth"),
            ("means\nA low", "means\n\nA low"),
            ("in young children", "in **young** children"),
        ],
        ids=["bold", "citation", "italics", "list-items", "heading", "bold-in-list"],
    )
    def test_a_selection_is_anchored_to_the_markdown_it_came_from(
        self, article: Article, reviewer: Any, words: str, markdown: str
    ) -> None:
        comment = comment_create(
            article=article, user=reviewer, body="Say more.", **select(article, words)
        )
        source = article.texts["patient"]
        assert source[comment.source_start : comment.source_end] == markdown
        assert (comment.quote, comment.version, comment.audience) == (
            words,
            article.version,
            "patient",
        )
        text = rendered(article)
        assert text[comment.rendered_start : comment.rendered_start + len(words)] == words
        assert comment.prefix == text[max(comment.rendered_start - 32, 0) : comment.rendered_start]
        assert comment.suffix.startswith(text[comment.rendered_start + len(words) :][:5])

    def test_a_selection_made_on_an_earlier_version_is_anchored_to_that_version(
        self, article: Article, author: Any, reviewer: Any
    ) -> None:
        """The page was loaded before the author saved: the words are checked where they were."""
        shown = select(article, "often missed")
        newer = edit(article, author, article.texts["patient"].replace("often missed", "missed"))
        comment = comment_create(article=newer, user=reviewer, body="Often?", **shown)
        assert comment.version == article.version < newer.version
        assert article.texts["patient"][comment.source_start : comment.source_end] == "often missed"

    @pytest.mark.parametrize(
        ("change", "field", "reason"),
        [
            ({"start": 10_000, "end": 10_010}, "quote", "You selected “a sign of HPP”"),
            ({"end": 3}, "start", "starts before it ends: characters"),
            ({"quote": "a sign of XLH"}, "quote", "“a sign of XLH” is not in the patient text"),
            ({"start": 5, "end": 5, "quote": ""}, "quote", "Select some words first."),
            ({"start": 5, "end": 5}, "quote", "Select some words first."),
            ({"audience": "caregiver"}, "audience", "Version 1 has no caregiver text."),
            ({"version": 99}, "version", "no version 99"),
            ({"audience": "martians"}, "audience", "is not an audience"),
            ({"start": None}, "start", "A selection names"),
        ],
        ids=[
            "beyond-the-text",
            "backwards",
            "other-words",
            "empty-with-no-quote",
            "empty",
            "no-such-text",
            "version",
            "audience",
            "missing",
        ],
    )
    def test_a_selection_that_is_not_there_is_refused_precisely(
        self, article: Article, reviewer: Any, change: dict[str, Any], field: str, reason: str
    ) -> None:
        data = {**select(article, "a sign of HPP"), **change}
        with pytest.raises(ValidationError) as refused:
            comment_create(article=article, user=reviewer, body="Hmm.", **data)
        assert field in refused.value.message_dict
        assert reason in " ".join(refused.value.message_dict[field])
        assert not ReviewComment.objects.exists()

    @pytest.mark.parametrize("shift", [-7, 3, 40])
    def test_offsets_that_miss_the_words_are_mended_when_the_words_are_once_nearby(
        self, article: Article, reviewer: Any, shift: int
    ) -> None:
        """A page that counted differently (a mark moved by the parser) sends offsets a little
        off: the words, found once near there, are anchored where they are."""
        data = select(article, "often missed")
        data["start"] += shift
        data["end"] += shift
        comment = comment_create(article=article, user=reviewer, body="Often?", **data)
        assert comment.rendered_start == rendered(article).index("often missed")
        assert article.texts["patient"][comment.source_start : comment.source_end] == (
            "often missed"
        )

    def test_offsets_that_miss_words_found_twice_nearby_are_refused_quoting_the_selection(
        self, article: Article, reviewer: Any
    ) -> None:
        data = {**select(article, "Loose teeth"), "quote": "in"}
        data["end"] = data["start"] + 2
        with pytest.raises(ValidationError) as refused:
            comment_create(article=article, user=reviewer, body="In?", **data)
        reason = " ".join(refused.value.message_dict["quote"])
        assert reason.startswith("You selected “in”, which is not at characters")
        assert "(there it reads “Lo”)" in reason
        assert "select more words so that they are found once" in reason
        assert not ReviewComment.objects.exists()

    def test_a_selection_across_a_line_break_sent_as_a_form_field_crlf_is_anchored(
        self, article: Article, reviewer: Any
    ) -> None:
        """A form field sends the text's line breaks as CRLF; the words are what count."""
        data = select(article, "the legs\nLoose teeth")
        comment = comment_create(
            article=article,
            user=reviewer,
            body="Which bones?",
            **{**data, "quote": data["quote"].replace("\n", "\r\n")},
        )
        assert comment.quote == "the legs\nLoose teeth"
        assert article.texts["patient"][comment.source_start : comment.source_end] == (
            "the legs\n- Loose teeth"
        )

    def test_only_spaces_or_a_huge_body_are_refused(self, article: Article, reviewer: Any) -> None:
        text = rendered(article)
        gap = text.index("\n")
        with pytest.raises(ValidationError, match="not only spaces"):
            comment_create(
                article=article,
                user=reviewer,
                body="?",
                audience="patient",
                quote="\n",
                start=gap,
                end=gap + 1,
                version=article.version,
            )
        with pytest.raises(ValidationError, match=f"at most {MAX_BODY} characters"):
            comment_create(article=article, user=reviewer, body="x" * (MAX_BODY + 1))

    def test_a_pasted_quote_is_found_in_the_rendered_text_not_the_markdown(
        self, article: Article, reviewer: Any
    ) -> None:
        """Without script: the words as the page shows them (bold gone, citation numbered)."""
        comment = comment_create(
            article=article,
            user=reviewer,
            body="Source?",
            audience="patient",
            quote="a sign of HPP1.  It is rare",
        )
        source = article.texts["patient"]
        assert source[comment.source_start : comment.source_end].startswith("a sign of HPP [@pmid")
        assert comment.quote == "a sign of HPP1. It is rare"
        with pytest.raises(ValidationError, match="not in the patient text"):
            comment_create(
                article=article, user=reviewer, body="?", audience="patient", quote="**a sign**"
            )

    def test_a_pasted_quote_found_twice_asks_for_more_words(
        self, article: Article, reviewer: Any
    ) -> None:
        with pytest.raises(ValidationError, match="2 times; quote more words"):
            comment_create(
                article=article, user=reviewer, body="?", audience="patient", quote="low ALP"
            )


class TestRelocation:
    def page(self, article: Article, user: Any) -> str:
        response = logged_in(user).get(f"/workspace/articles/{article.slug}/")
        assert response.status_code == 200
        return response.content.decode()

    def test_a_thread_follows_its_passage_into_the_new_version(
        self, article: Article, author: Any, reviewer: Any
    ) -> None:
        comment = comment_create(
            article=article, user=reviewer, body="Source?", **select(article, "often missed")
        )
        newer = edit(
            article,
            author,
            article.texts["patient"].replace("## What", "Read this first.\n\n## What"),
        )
        html = self.page(newer, reviewer)
        mark = re.search(rf'<mark class="anchor" data-thread="{comment.pk}">([^<]*)</mark>', html)
        assert mark and mark.group(1) == "often missed"
        assert f"made on version {article.version}" in html
        assert "Outdated" not in html

    def test_a_thread_whose_passage_was_rewritten_is_shown_as_outdated(
        self, article: Article, author: Any, reviewer: Any
    ) -> None:
        comment = comment_create(
            article=article, user=reviewer, body="Source?", **select(article, "often missed")
        )
        newer = edit(
            article, author, article.texts["patient"].replace("often missed", "easy to overlook")
        )
        html = self.page(newer, reviewer)
        assert f'data-thread="{comment.pk}">' in html
        assert f'<mark class="anchor" data-thread="{comment.pk}"' not in html
        section = html[html.index('id="comments"') :]
        assert "Outdated:" in section and "often missed" in section
        assert f"(version {article.version}) is no longer in the text" in section

    def test_a_quote_from_before_anchors_is_highlighted_when_found(
        self, article: Article, reviewer: Any
    ) -> None:
        """Old rows hold only a quote: found in the rendered text, it is marked like the rest."""
        old = ReviewComment.objects.create(
            article=article,
            cycle=1,
            version=article.version,
            audience="patient",
            quote="Bone pain in the legs",
            body="Which bones?",
            author=reviewer,
        )
        lost = ReviewComment.objects.create(
            article=article,
            cycle=1,
            version=article.version,
            audience="patient",
            quote="**a sign of HPP**",
            body="Bold?",
            author=reviewer,
        )
        html = self.page(article, reviewer)
        assert f'<mark class="anchor" data-thread="{old.pk}">Bone pain in the legs</mark>' in html
        assert "not found as such in the rendered text" in html
        assert f'id="comment-{lost.pk}"' in html


class TestPage:
    def test_the_page_shows_each_audience_text_in_tabs(
        self, article: Article, reviewer: Any
    ) -> None:
        html = logged_in(reviewer).get(f"/workspace/articles/{article.slug}/").content.decode()
        section = html[
            html.index('<section aria-labelledby="article-text-title" id="article-text"') :
        ]
        assert 'role="tablist"' in section
        assert re.search(r'role="tab"[^>]*>Patient<', section)
        assert re.search(r'role="tab"[^>]*>Clinician<', section)
        assert 'role="tabpanel" id="text-patient" data-audience="patient"' in section
        assert "a sign of HPP" in section and 'class="citation"' in section
        assert "caregiver" not in section.split("</section>")[0].lower()
        assert_valid(html, "workspace article")

    def test_every_id_on_the_page_is_unique_and_every_link_in_it_lands(
        self, article: Article, reviewer: Any
    ) -> None:
        """Two renditions on one page, each with its `ref-1` and `cite-1-1`: each panel's ids
        carry its audience, and each panel lists its own references for its citations."""
        comment_create(
            article=article, user=reviewer, body="Cite it.", **select(article, "a sign of HPP1")
        )
        html = logged_in(reviewer).get(f"{W}/").content.decode()
        tree = html5lib.parse(html, namespaceHTMLElements=False)
        ids = [e.get("id") for e in tree.iter() if e.get("id")]
        assert [i for i in set(ids) if ids.count(i) > 1] == []
        links = {e.get("href")[1:] for e in tree.iter("a") if (e.get("href") or "").startswith("#")}
        assert links - set(ids) == set()
        for audience in ("patient", "clinician"):
            assert f'href="#{audience}-ref-1" id="{audience}-cite-1-1"' in html
            assert f'<li id="{audience}-ref-1" value="1">' in html
            assert f'href="#{audience}-cite-1-1"' in html

    def test_threads_sit_beside_their_passage_and_resolve_is_for_the_entitled(
        self, article: Article, author: Any, editor: Any, reviewer: Any
    ) -> None:
        comment = comment_create(
            article=article, user=reviewer, body="Source?", **select(article, "can be a sign")
        )
        comment_reply(article=article, user=author, comment_id=comment.pk, body="Added one.")
        resolve = f"/workspace/articles/{article.slug}/comments/{comment.pk}/resolve/"
        for user, sees_resolve in ((reviewer, True), (editor, True), (author, False)):
            html = logged_in(user).get(f"/workspace/articles/{article.slug}/").content.decode()
            margin = html[html.index('<aside class="margin-threads"') :]
            margin = margin[: margin.index("</aside>")]
            assert f'id="comment-{comment.pk}"' in margin and "Added one." in margin
            assert (resolve in html) is sees_resolve, user
            assert_valid(html, f"page for {user}")
        marks = re.findall(rf'<mark class="anchor" data-thread="{comment.pk}">([^<]*)', html)
        assert marks == ["can be ", "a sign"]

    def test_resolved_threads_fold_into_a_list(self, article: Article, reviewer: Any) -> None:
        for words in ("can be a sign", "often missed"):
            thread = comment_create(
                article=article, user=reviewer, body="Point.", **select(article, words)
            )
            comment_resolve(article=article, user=reviewer, comment_id=thread.pk)
        html = logged_in(reviewer).get(f"/workspace/articles/{article.slug}/").content.decode()
        assert "Resolved comments (2)" in html
        assert '<mark class="anchor"' not in html

    def test_the_resolve_rule_is_one_function_for_the_button_and_the_service(
        self, article: Article, author: Any, reviewer: Any
    ) -> None:
        thread = comment_create(article=article, user=reviewer, body="General point.")
        with pytest.raises(PermissionDenied):
            comment_resolve(article=article, user=author, comment_id=thread.pk)
        assert not CommentResolution.objects.exists()


W = "/workspace/articles/low-alp"


class TestViews:
    def test_a_selection_posted_by_the_page_makes_a_thread_and_returns_to_it(
        self, article: Article, reviewer: Any
    ) -> None:
        response = logged_in(reviewer).post(
            f"{W}/comments/", {**select(article, "a sign of HPP1"), "body": "Cite it."}
        )
        comment = ReviewComment.objects.get()
        assert response.status_code == 302
        assert response["Location"].endswith(f"#comment-{comment.pk}")
        assert comment.quote == "a sign of HPP1"

    @pytest.mark.parametrize(
        ("change", "status", "reason"),
        [
            ({"start": "-1"}, 422, "greater than or equal to 0"),
            ({"start": "9999", "end": "10000"}, 422, "You selected “a sign of HPP1”"),
            ({"start": "abc"}, 422, "Enter a whole number"),
            ({"quote": "a sign of XLH1"}, 422, "“a sign of XLH1” is not in the patient text"),
            ({"start": "5", "end": "5"}, 422, "Select some words first."),
            ({"audience": "caregiver"}, 422, "Version 1 has no caregiver text."),
            ({"audience": "nobody"}, 422, "Select a valid choice"),
            ({"version": "0"}, 422, "greater than or equal to 1"),
            ({"version": "7"}, 422, "no version 7"),
            ({"version": "99999999999999999999"}, 422, "less than or equal to"),
            ({"body": "x" * (MAX_BODY + 1)}, 422, f"at most {MAX_BODY} characters"),
        ],
        ids=[
            "negative",
            "beyond",
            "not-a-number",
            "other-words",
            "empty",
            "no-text",
            "no-audience",
            "version-0",
            "future-version",
            "huge-version",
            "huge-body",
        ],
    )
    def test_a_bad_selection_gives_the_page_back_with_the_reason(
        self, article: Article, reviewer: Any, change: dict[str, str], status: int, reason: str
    ) -> None:
        data = {**select(article, "a sign of HPP1"), "body": "Cite it.", **change}
        response = logged_in(reviewer).post(f"{W}/comments/", data)
        html = response.content.decode()
        assert response.status_code == status, html[:2000]
        assert reason in html
        assert 'role="alert" id="refused"' in html
        assert "Cite it." in html or change.get("body")
        assert not ReviewComment.objects.exists()
        assert_valid(html, str(change))

    def test_another_articles_comment_cannot_be_answered_or_resolved_here(
        self, article: Article, author: Any, editor: Any, reviewer: Any
    ) -> None:
        other = submit_and_review(
            make_article(author=author, slug="other", citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        elsewhere = comment_create(article=other, user=reviewer, body="Elsewhere.")
        client = logged_in(reviewer)
        reply = client.post(f"{W}/comments/{elsewhere.pk}/reply/", {"body": "Lost reply."})
        resolve = client.post(f"{W}/comments/{elsewhere.pk}/resolve/", {"note": "Lost note."})
        for response, words in ((reply, "Lost reply."), (resolve, "Lost note.")):
            html = response.content.decode()
            assert response.status_code == 422
            assert "There is no such comment on this article." in html and words in html
        assert ReviewComment.objects.count() == 1 and not CommentResolution.objects.exists()

    def test_an_author_resolving_a_reviewers_thread_gets_the_page_back_403(
        self, article: Article, author: Any, reviewer: Any
    ) -> None:
        """The button is not offered; a forged post gets the page, the reason and the note."""
        thread = comment_create(
            article=article, user=reviewer, body="Source?", **select(article, "often missed")
        )
        response = logged_in(author).post(
            f"{W}/comments/{thread.pk}/resolve/", {"note": "I fixed it."}
        )
        html = response.content.decode()
        assert response.status_code == 403
        assert "Only the comment&#x27;s writer or an editor resolves it." in html
        assert "I fixed it." in html and 'id="article-text"' in html
        assert not CommentResolution.objects.exists()
        assert_valid(html, "refused resolve")

    def test_a_huge_reply_is_refused_and_kept_in_its_thread(
        self, article: Article, author: Any, reviewer: Any
    ) -> None:
        thread = comment_create(
            article=article, user=reviewer, body="Source?", **select(article, "often missed")
        )
        words = "Because " + "really " * 2000
        response = logged_in(author).post(f"{W}/comments/{thread.pk}/reply/", {"body": words})
        html = response.content.decode()
        assert response.status_code == 422
        assert f"A reply is at most {MAX_BODY} characters" in html
        assert (
            f'aria-describedby="reply-{thread.pk}-errors" aria-invalid="true">{words.strip()}'
            in html
        )
        assert not ReviewComment.objects.filter(parent=thread).exists()


def test_a_passage_longer_than_the_limit_is_refused_before_any_rendering(
    article: Article, reviewer: Any, django_assert_max_num_queries: Any
) -> None:
    """A forged selection of megabytes costs the lock and the roles, not a source map."""
    with (
        django_assert_max_num_queries(6) as captured,
        pytest.raises(ValidationError, match="at most"),
    ):
        comment_create(
            article=article,
            user=reviewer,
            body="Long.",
            audience="patient",
            quote="x" * (MAX_QUOTE + 1),
            start=0,
            end=MAX_QUOTE + 1,
            version=article.version,
        )
    assert not [q for q in captured.captured_queries if "rendition" in q["sql"]]
