"""What a search finds and in which order, pinned so that making search faster cannot make it
worse: title above summary above text, more query words in the title first, the reader's own
audience text, only what is live, snippets from where the words are, pages that do not overlap.

Runs on SQLite (the fallback) and on PostgreSQL (full text); the few full-text-only behaviours
(stems, phrases) are marked.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from articles.models import Article
from reviews.services.transitions import transition_apply
from tests.factories import make_article, make_reference, publish_approved, submit_and_review

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stems and phrases are full-text search only"
)
FILLER = "Most people can keep up their work, school and home life. "


def publish(author: Any, editor: Any, reviewer: Any, **fields: Any) -> Article:
    return publish_approved(
        make_article(author=author, **fields), author=author, editor=editor, reviewers=[reviewer]
    )


def texts(patient: str, clinician: str | None = None) -> dict[str, str]:
    return {"patient": patient, "clinician": clinician if clinician is not None else patient}


def titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="[^"]+">([^<]+)</a></h2>', html)


def snippets(html: str) -> list[str]:
    return re.findall(r'<p class="snippet">(.*?)</p>', html, re.S)


def search(client: Client, q: str, **params: Any) -> str:
    response = client.get("/search/", {"q": q, **params})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
class TestRanking:
    def test_more_query_words_in_the_title_rank_higher(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Both words in the title beat one in the title and one in the text, which beats both
        words in the text only."""
        publish(
            author,
            editor,
            reviewer,
            title="Text only?",
            texts=texts("A blood sample goes for a test."),
        )
        publish(
            author,
            editor,
            reviewer,
            title="Is a blood draw painful?",
            texts=texts("The test is quick."),
        )
        publish(author, editor, reviewer, title="What does a blood test show?")
        assert titles(search(client, "blood test")) == [
            "What does a blood test show?",
            "Is a blood draw painful?",
            "Text only?",
        ]

    def test_every_word_must_occur_somewhere(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Two words find the articles with both, in any of title, summary and text."""
        publish(author, editor, reviewer, title="Blood only?", texts=texts("Nothing else."))
        publish(
            author,
            editor,
            reviewer,
            title="Blood in the title?",
            summary="A plain summary.",
            texts=texts("The test comes in the text."),
        )
        html = search(client, "blood test")
        assert titles(html) == ["Blood in the title?"]
        assert "1 article matches" in html

    def test_a_title_match_on_an_old_article_beats_text_matches_on_new_ones(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Relevance first, whatever the publication order."""
        publish(author, editor, reviewer, title="Why do bones ache?")
        for n in range(3):
            publish(
                author,
                editor,
                reviewer,
                title=f"Newer question {n}?",
                texts=texts("Your bones may ache."),
            )
        assert titles(search(client, "ache"))[0] == "Why do bones ache?"

    def test_equally_relevant_articles_come_newest_first(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        for name in ("Older", "Middle", "Newest"):
            publish(author, editor, reviewer, title=f"{name} wombat question?")
        assert titles(search(client, "wombat")) == [
            "Newest wombat question?",
            "Middle wombat question?",
            "Older wombat question?",
        ]

    def test_disputed_live_content_is_still_found(
        self, client: Client, author: Any, editor: Any, reviewer: Any, settings: Any
    ) -> None:
        """Content live pending review whose review asked for changes stays public when the
        site keeps it up as disputed, so search finds it, flagged as pending review."""
        settings.EDITORIAL_CHANGES_REQUESTED_LIVE = "dispute"
        article = make_article(author=author, title="Disputed okapi?", citations=[make_reference()])
        submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        transition_apply(
            article=article, user=editor, action="publish_pending_review", note="Early."
        )
        transition_apply(
            article=Article.objects.get(pk=article.pk),
            user=reviewer,
            action="request_changes",
            password="correct horse battery staple",
            note="Wrong.",
            params={"content_hash": article.content_hash},
        )
        assert Article.objects.get(pk=article.pk).live_disputed
        html = search(client, "okapi")
        assert titles(html) == ["Disputed okapi?"]
        assert "Pending review" in html

    def test_taken_down_and_retired_articles_are_not_found(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Unpublishing or retiring an article removes it from search at once."""
        first = publish(author, editor, reviewer, title="Capybara one?")
        second = publish(author, editor, reviewer, title="Capybara two?")
        publish(author, editor, reviewer, title="Capybara three?")
        transition_apply(article=first, user=editor, action="unpublish", note="Old.")
        transition_apply(
            article=Article.objects.get(pk=second.pk), user=editor, action="retire", note="Gone."
        )
        assert titles(search(client, "capybara")) == ["Capybara three?"]


@pytest.mark.django_db
class TestSnippets:
    def test_snippet_quotes_the_text_where_the_word_occurs_in_a_long_article(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A word deep in a long text is quoted from there, highlighted, not the text's start."""
        body = "## What it is\n\n" + FILLER * 40 + "Ask about the lumbar puncture first. " + FILLER
        publish(author, editor, reviewer, title="Long article?", texts=texts(body))
        [snippet] = snippets(search(client, "lumbar"))
        assert "<mark>lumbar</mark> puncture" in snippet
        assert snippet.startswith("…") or "What it is" not in snippet

    def test_snippet_highlights_several_words_near_each_other(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Each query word is marked where they occur together."""
        body = FILLER * 10 + "A fasting blood test shows the level. " + FILLER * 10
        publish(author, editor, reviewer, title="Tests?", texts=texts(body))
        [snippet] = snippets(search(client, "blood test"))
        assert "<mark>blood</mark>" in snippet and "<mark>test</mark>" in snippet

    def test_snippet_comes_from_the_readers_audience_only(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """The clinician reads the clinician text quoted; the patient never sees it quoted."""
        publish(
            author,
            editor,
            reviewer,
            title="Enzyme levels?",
            texts=texts(
                "Your enzyme level is a simple blood number.",
                "Serum enzyme activity reflects osteoblast turnover.",
            ),
        )
        [patient] = snippets(search(client, "enzyme", audience="patient"))
        [clinician] = snippets(search(client, "enzyme", audience="clinician"))
        assert "simple blood number" in patient and "osteoblast" not in patient
        assert "osteoblast" in clinician and "simple blood" not in clinician

    @postgres_only
    def test_snippet_marks_other_forms_of_the_word(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A search for "fracture" marks "fractured" and "fractures" (same stem)."""
        body = FILLER * 5 + "A fractured wrist heals. Fractures of the hip are worse. " + FILLER
        publish(author, editor, reviewer, title="Broken bones?", texts=texts(body))
        [snippet] = snippets(search(client, "fracture"))
        assert "<mark>fractured</mark>" in snippet and "<mark>Fractures</mark>" in snippet

    def test_title_only_match_shows_the_start_of_the_text(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """No match in the text: the snippet is the beginning of the reader's text, unmarked."""
        publish(
            author,
            editor,
            reviewer,
            title="What is a tapir?",
            texts=texts("## Overview\n\nAn animal question for the test suite."),
        )
        [snippet] = snippets(search(client, "tapir"))
        assert "An animal question" in snippet and "<mark>" not in snippet


@pytest.mark.django_db
class TestPhrases:
    pytestmark = postgres_only

    def test_a_quoted_phrase_needs_the_words_together_and_in_order(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        publish(author, editor, reviewer, title="Apart?", texts=texts("A test of the blood."))
        publish(author, editor, reviewer, title="Together?", texts=texts("A blood test today."))
        assert titles(search(client, '"blood test"')) == ["Together?"]
        assert titles(search(client, "blood -today")) == ["Apart?"]

    def test_a_negated_word_in_the_text_excludes_an_article_matching_by_title(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        publish(author, editor, reviewer, title="Bone health?", texts=texts("For children."))
        publish(author, editor, reviewer, title="Bone density?", texts=texts("For adults."))
        assert titles(search(client, "bone -children")) == ["Bone density?"]

    def test_past_the_ranking_bound_title_matches_still_come_first(
        self, client: Client, author: Any, editor: Any, reviewer: Any, monkeypatch: Any
    ) -> None:
        """More matches than are ranked: the page says "more than", ranks the newest matches
        and the newest title matches, so an old title match is not lost behind new text ones."""
        monkeypatch.setattr("public.search.MAX_RANKED", 3)
        publish(author, editor, reviewer, title="What is a gecko?")
        for n in range(5):
            publish(author, editor, reviewer, title=f"Lizards {n}?", texts=texts("A gecko."))
        html = search(client, "gecko")
        assert "More than 3 articles match" in html
        found = titles(html)
        assert found[0] == "What is a gecko?" and len(found) == 3
        assert found[1:] == ["Lizards 4?", "Lizards 3?"]  # equally relevant: newest first

    def test_a_misspelling_finds_nothing_rather_than_something_else(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        publish(author, editor, reviewer, title="What is hypophosphatasia?")
        assert "No published article matches" in search(client, "hypophosfatasia")


@pytest.mark.django_db
class TestPages:
    def test_pages_cover_every_match_once_in_rank_order(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Title matches fill the first page, text matches follow; no article on two pages."""
        for n in range(12):
            publish(author, editor, reviewer, title=f"Pangolin question {n:02}?")
        for n in range(12):
            publish(
                author,
                editor,
                reviewer,
                title=f"Other question {n:02}?",
                texts=texts("A pangolin appears here."),
            )
        first = titles(search(client, "pangolin"))
        second = titles(search(client, "pangolin", page=2))
        assert len(first) == 20 and len(second) == 4
        assert len(set(first + second)) == 24
        assert all(t.startswith("Pangolin") for t in first[:12])
        assert all(t.startswith("Other") for t in first[12:] + second)
        assert titles(search(client, "pangolin", page=99)) == second
        assert titles(search(client, "pangolin", page="x")) == first
