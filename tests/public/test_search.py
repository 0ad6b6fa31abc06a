"""Search: published live versions only, ranked, audience-specific safe snippets, fixed queries."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from articles.audiences import audiences
from articles.models import Article
from public.search import MAX_QUERY_LENGTH, PLAIN_TEXT_RULES, article_search, plain_text
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import make_article, make_reference, publish_approved, submit_and_review

postgres_only = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="full-text search (tsvector, ts_headline, GIN) exists on PostgreSQL only; "
        "SQLite runs the substring fallback",
    ),
]


def texts(patient: str, clinician: str | None = None) -> dict[str, str]:
    return {"patient": patient, "clinician": clinician or patient}


def publish(author: Any, editor: Any, reviewer: Any, **fields: Any) -> Article:
    return publish_approved(
        make_article(author=author, **fields), author=author, editor=editor, reviewers=[reviewer]
    )


def result_titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="[^"]+">([^<]+)</a></h2>', html)


def snippets(html: str) -> list[str]:
    return re.findall(r'<p class="snippet">(.*?)</p>', html, re.S)


class TestPlainText:
    def test_markdown_syntax_and_citation_markers_are_removed(self) -> None:
        """Headings, emphasis, links, list bullets and citation markers leave only the words."""
        text = plain_text(
            "## Causes\n\n- **Low** zinc [@pmid:30288020; @bowden-2018].\n- See [the NHS](https://nhs.uk)."
        )
        assert text == "Causes\n\nLow zinc.\nSee the NHS."
        table = plain_text("| Test | Result |\n|:---|---:|\n| `ALP` | *low* |")
        assert table.split() == ["Test", "Result", "ALP", "low"]

    def test_the_index_migration_strips_markdown_the_same_way(self) -> None:
        """The GIN index expression was written with the rules search uses today."""
        migration = importlib.import_module("articles.migrations.0003_article_search_indexes")
        assert migration.PLAIN_TEXT_RULES == PLAIN_TEXT_RULES
        assert migration.AUDIENCE_TEXTS == {
            a.key: (a.key, *a.fallback) for a in audiences().values()
        }


@pytest.mark.django_db
class TestSearchPage:
    def test_finds_by_title_summary_and_body_and_ranks_title_first(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """The word in a title ranks above the word in a summary, which ranks above the body."""
        publish(
            author,
            editor,
            reviewer,
            title="Body only?",
            texts=texts("Rickets can follow osteomalacia."),
        )
        publish(
            author, editor, reviewer, title="Summary only?", summary="About osteomalacia in adults."
        )
        publish(author, editor, reviewer, title="What is osteomalacia?")
        publish(author, editor, reviewer, title="Unrelated question?")
        html = client.get("/search/?q=osteomalacia").content.decode()
        assert result_titles(html) == ["What is osteomalacia?", "Summary only?", "Body only?"]
        assert "3 articles match" in html

    def test_only_the_published_live_version_is_searched(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Drafts, unpublished articles and unreviewed edits of a live article are never found."""
        make_article(author=author, title="Draft about zebrafish?")
        withdrawn = publish(author, editor, reviewer, title="Withdrawn zebrafish?")
        transition_apply(article=withdrawn, user=editor, action="unpublish", note="Withdrawn.")
        live = publish(author, editor, reviewer, slug="live", title="Live question?")
        draft_update(
            article=live,
            user=author,
            base_version=live.version,
            fields={"texts": texts("Unreviewed zebrafish text.")},
            change_reason="Rewrite",
        )
        html = client.get("/search/?q=zebrafish").content.decode()
        assert result_titles(html) == []
        assert "No published article matches “zebrafish”" in html

    def test_pending_review_articles_are_found_and_flagged(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """An article published pending review is public, so it is found, with its badge."""
        article = make_article(author=author, title="Pending walrus?", citations=[make_reference()])
        submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        transition_apply(
            article=article, user=editor, action="publish_pending_review", note="Early."
        )
        html = client.get("/search/?q=walrus").content.decode()
        assert result_titles(html) == ["Pending walrus?"]
        assert "Pending review" in html

    def test_snippet_is_escaped_highlighted_and_free_of_markdown(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """User text never reaches the page as markup: only our <mark> tags are HTML."""
        ref = make_reference()
        body = (
            f"## Warning <script>alert(1)</script>\n\n**Hypophosphatasia** & <b>bold</b> "
            f"claims [@pmid:{ref.pmid}] about hypophosphatasia."
        )
        publish(author, editor, reviewer, title="Is it <em>rare</em>?", texts=texts(body))
        html = client.get("/search/?q=hypophosphatasia").content.decode()
        [snippet] = snippets(html)
        assert "<script" not in html.split("<main", 1)[1]
        assert "<b>" not in snippet and "<em>rare" not in html
        assert "Is it &lt;em&gt;rare&lt;/em&gt;?" in html
        assert (
            "<mark>Hypophosphatasia</mark>" in snippet
            and "<mark>hypophosphatasia</mark>" in snippet
        )
        assert re.sub(r"</?mark>", "", snippet).count("<") == 0
        assert "&amp;" in snippet
        assert "**" not in snippet and "[@" not in snippet and "##" not in snippet

    def test_snippet_and_matching_follow_the_readers_audience(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """?audience= or the cookie chooses whose text is searched and quoted; links keep it."""
        publish(
            author,
            editor,
            reviewer,
            slug="alp",
            title="What is ALP?",
            texts=texts(
                "An enzyme in your bones.",
                "An enzyme; hydrolase activity rises with bone turnover.",
            ),
        )
        [clinician] = snippets(client.get("/search/?q=enzyme&audience=clinician").content.decode())
        assert "<mark>enzyme</mark>" in clinician and "hydrolase" in clinician
        [patient] = snippets(client.get("/search/?q=enzyme").content.decode())
        assert "<mark>enzyme</mark> in your bones" in patient
        assert (
            result_titles(client.get("/search/?q=hydrolase&audience=patient").content.decode())
            == []
        )
        client.cookies["audience"] = "clinician"
        response = client.get("/search/?q=hydrolase")
        html = response.content.decode()
        assert result_titles(html) == ["What is ALP?"]
        assert 'href="/articles/alp/?audience=clinician"' in html
        assert "Cookie" in response["Vary"] and "private" in response["Cache-Control"]

    def test_an_audience_without_text_searches_its_fallback(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A caregiver searches the patient text when there is no caregiver text, as the page shows it."""
        publish(
            author,
            editor,
            reviewer,
            title="Fallback?",
            texts=texts("Patients feel tired.", "Fatigue is common."),
        )
        html = client.get("/search/?q=tired&audience=caregiver").content.decode()
        assert result_titles(html) == ["Fallback?"]
        assert "<mark>tired</mark>" in snippets(html)[0]

    def test_results_are_paginated_with_the_query_kept(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Twenty results a page; the page links keep the query and the audience."""
        for n in range(23):
            publish(author, editor, reviewer, title=f"Narwhal question {n:02}?")
        first = client.get("/search/?q=narwhal&audience=student").content.decode()
        assert len(result_titles(first)) == 20
        assert 'href="?q=narwhal&amp;audience=student&amp;page=2"' in first
        second = client.get("/search/?q=narwhal&audience=student&page=2").content.decode()
        assert len(result_titles(second)) == 3
        assert set(result_titles(first)).isdisjoint(result_titles(second))

    def test_empty_query_shows_a_friendly_prompt(self, client: Client) -> None:
        """No query: a prompt, no results and no error."""
        response = client.get("/search/?q=%20%20")
        assert response.status_code == 200
        assert "Type a word or a question" in response.content.decode()

    def test_overlong_query_is_refused_with_a_message(self, client: Client) -> None:
        """Over 200 characters answers 400 saying the limit; nothing is searched."""
        response = client.get("/search/", {"q": "x" * (MAX_QUERY_LENGTH + 1)})
        assert response.status_code == 400
        assert f"please use at most {MAX_QUERY_LENGTH}" in response.content.decode()
        assert client.get("/search/", {"q": "x" * MAX_QUERY_LENGTH}).status_code == 200

    def test_control_characters_and_operators_do_not_break_search(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """NUL bytes, stray quotes and operators are a query like any other, never a 500."""
        publish(author, editor, reviewer, title="What is a manatee?")
        for query in ["mana\x00tee", '"manatee', "manatee -", "or", "&|!():*", "the"]:
            assert client.get("/search/", {"q": query}).status_code == 200
        assert result_titles(client.get("/search/", {"q": "\x02manatee\x03"}).content.decode()) == [
            "What is a manatee?"
        ]

    def test_unknown_audience_is_a_clear_400(self, client: Client) -> None:
        """As on the article page: ?audience=nonsense names the valid audiences."""
        response = client.get("/search/?q=x&audience=martian")
        assert response.status_code == 400
        assert "clinician" in response.content.decode()

    @pytest.mark.parametrize("n_matching", [2, 25])
    def test_query_count_is_flat(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        n_matching: int,
        django_assert_num_queries: Any,
    ) -> None:
        """Two queries for 2 or 25 matches: the ranked candidates and the page with its snippets
        (the count and the page on SQLite)."""
        for n in range(n_matching):
            publish(author, editor, reviewer, title=f"Dugong question {n}?")
        with django_assert_num_queries(2):
            response = client.get("/search/?q=dugong")
        assert len(result_titles(response.content.decode())) == min(n_matching, 20)

    def test_a_repeated_search_runs_no_query_until_a_publication_changes_the_answer(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        django_assert_num_queries: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        """A page of results is kept under the publication epoch: the same search again costs
        nothing; another audience or page is another search; a publication shows at once."""
        with django_capture_on_commit_callbacks(execute=True):
            publish(author, editor, reviewer, title="Manatee question one?")
        first = client.get("/search/?q=manatee&audience=patient").content.decode()
        with django_assert_num_queries(0):
            again = client.get("/search/?q=manatee&audience=patient").content.decode()
        assert again == first and result_titles(first) == ["Manatee question one?"]
        with django_assert_num_queries(2):  # another audience: another search
            client.get("/search/?q=manatee&audience=clinician")
        with django_capture_on_commit_callbacks(execute=True):
            publish(author, editor, reviewer, title="Manatee question two?")
        assert sorted(
            result_titles(client.get("/search/?q=manatee&audience=patient").content.decode())
        ) == ["Manatee question one?", "Manatee question two?"]

    def test_an_empty_query_costs_no_queries(
        self, client: Client, django_assert_num_queries: Any
    ) -> None:
        """The prompt is served without touching the database."""
        with django_assert_num_queries(0):
            assert client.get("/search/").status_code == 200


@pytest.mark.django_db
class TestFullText:
    pytestmark = postgres_only

    def test_words_match_by_stem_and_websearch_syntax_works(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """ "fractures" finds "fracture"; quotes make a phrase; -word excludes."""
        publish(author, editor, reviewer, title="Can a bone fracture heal slowly?")
        publish(
            author,
            editor,
            reviewer,
            title="Do children get fractures of the bone?",
            texts=texts("Children heal quickly."),
        )
        assert len(result_titles(client.get("/search/?q=fractures").content.decode())) == 2
        assert result_titles(client.get("/search/", {"q": '"fracture heal"'}).content.decode()) == [
            "Can a bone fracture heal slowly?"
        ]
        assert result_titles(client.get("/search/?q=bone -children").content.decode()) == [
            "Can a bone fracture heal slowly?"
        ]

    def test_headline_comes_from_postgresql(self, author: Any, editor: Any, reviewer: Any) -> None:
        """The real full-text path runs: ts_headline marks the stemmed match in the snippet."""
        publish(
            author,
            editor,
            reviewer,
            title="Headline?",
            texts=texts("Symptoms include aching muscles and weakness."),
        )
        found = article_search(query="ache", audience=audiences()["patient"], page_number=1)
        assert found.full_text
        [result] = found.results
        assert "Symptoms include <mark>aching</mark> muscles" in result.snippet

    @pytest.mark.parametrize("audience", ["patient", "caregiver", "student", "clinician"])
    def test_each_audiences_match_is_served_by_its_own_gin_index(self, audience: str) -> None:
        """With scans of the table itself ruled out (and its btree indexes, which an empty
        table's statistics favour), PostgreSQL answers the match from the audience's GIN index
        over the stored vectors: no text is made a vector while searching."""
        with connection.cursor() as cursor:
            # Rolled back with the test.
            cursor.execute("DROP INDEX search_entry_recent")
            cursor.execute("ALTER TABLE public_searchentry DROP CONSTRAINT search_entry_unique")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            for column in ("document", "head"):
                cursor.execute(
                    f"EXPLAIN SELECT article_id FROM public_searchentry WHERE audience = %s"
                    f" AND {column} @@ websearch_to_tsquery('english', 'bone')",
                    [audience],
                )
                plan = "\n".join(row[0] for row in cursor.fetchall())
                assert f"Bitmap Index Scan on search_entry_{column}_{audience}" in plan, plan
                assert "to_tsvector" not in plan
