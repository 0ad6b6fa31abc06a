"""The edit form's helpers: the preview readers would see, the audience tabs' state, the address
made from the title, and the related-articles search scoped to what the writer may see."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from articles.models import Article, GlossaryTerm
from articles.slugs import slug_from_title, unique_slug
from tests.factories import (
    edit_data,
    logged_in,
    make_article,
    make_reference,
    make_user,
    publish_approved,
)

pytestmark = pytest.mark.django_db

# Long words, long sentences: well above the patient target of grade 8, and over 50 words.
HARD = (
    "Hypophosphatasia is an inherited metabolic disorder characterised by defective "
    "mineralisation of bones and teeth resulting from deficient activity of tissue-nonspecific "
    "alkaline phosphatase, an enzyme encoded by the ALPL gene, with considerable phenotypic "
    "variability ranging from perinatal lethality to isolated dental manifestations in adulthood. "
) * 3


def new_article(client: Client, **fields: str) -> Any:
    data = {
        "slug": "",
        "title": "What is HPP?",
        "summary": "Short.",
        "text_patient": "Words.",
        "text_clinician": "Clinical words.",
        "change_reason": "First version.",
        "change_weight": "substantive",
    }
    return client.post("/workspace/new/", {**data, **fields})


class TestPreview:
    def test_the_patient_preview_defines_glossary_terms_and_numbers_citations(
        self, author: Any
    ) -> None:
        """The same pipeline as readers: glossary for patients, numbered citations, the list."""
        GlossaryTerm.objects.create(term="enzyme", slug="enzyme", definition="A protein.")
        ref = make_reference(title="Profile of asfotase alfa")
        text = f"An enzyme is missing [@pmid:{ref.pmid}]."
        client = logged_in(author)
        patient = client.post("/workspace/preview/", {"text": text, "audience": "patient"})
        html = patient.content.decode()
        assert patient.status_code == 200
        assert 'class="glossary-term" href="#glossary-enzyme"' in html
        assert 'href="#ref-1"' in html and '<li id="ref-1" value="1">' in html
        assert "Profile of asfotase alfa" in html
        clinician = client.post("/workspace/preview/", {"text": text, "audience": "clinician"})
        assert "glossary-term" not in clinician.content.decode()

    def test_the_preview_reports_the_tab_state_with_the_reading_level(self, author: Any) -> None:
        client = logged_in(author)
        hard = client.post("/workspace/preview/", {"text": HARD, "audience": "patient"})
        level = re.search(r'data-summary="([^"]+)"', hard.content.decode())
        assert level is not None
        assert level.group(1).startswith("required, filled, over reading level (")
        assert "over the target" in hard.content.decode()
        empty = client.post("/workspace/preview/", {"text": "", "audience": "student"})
        assert 'data-summary="optional, empty"' in empty.content.decode()

    def test_an_unknown_audience_is_refused_by_name(self, author: Any) -> None:
        response = logged_in(author).post(
            "/workspace/preview/", {"text": "Hi.", "audience": "martians"}
        )
        assert response.status_code == 422
        assert "Unknown audience “martians”" in response.content.decode()


class TestTabs:
    def test_each_tab_says_in_words_whether_it_is_required_filled_or_over_level(
        self, author: Any
    ) -> None:
        article = make_article(
            author=author, texts={"patient": HARD, "clinician": "## About\n\nShort."}
        )
        html = logged_in(author).get(f"/workspace/articles/{article.slug}/edit/").content.decode()
        tabs = dict(
            re.findall(
                r'data-tab="(\w+)"><span class="tab-label">\w+</span> '
                r'<span class="tab-state">\(([^)]*\)?)\)</span>',
                html,
            )
        )
        assert tabs["patient"].startswith("required, filled, over reading level (")
        assert tabs["caregiver"] == "optional, empty"
        assert tabs["clinician"] == "required, filled"


class TestSlug:
    def test_a_blank_slug_is_made_from_the_title_and_made_unique(self, author: Any) -> None:
        client = logged_in(author)
        make_article(author=author, slug="What-Is-HPP", title="Taken, in another case")
        assert new_article(client).status_code == 302
        assert new_article(client).status_code == 302
        slugs = set(Article.objects.values_list("slug", flat=True))
        assert {"What-Is-HPP", "what-is-hpp-2", "what-is-hpp-3"} <= slugs

    def test_a_typed_slug_that_is_taken_is_refused_with_a_free_one_suggested(
        self, author: Any
    ) -> None:
        make_article(author=author, slug="what-is-hpp")
        response = new_article(logged_in(author), slug="what-is-hpp")
        html = response.content.decode()
        assert response.status_code == 422
        assert "The address “what-is-hpp” is already taken by another article" in html
        assert "“what-is-hpp-2” is free" in html
        assert Article.objects.count() == 1

    def test_a_title_without_letters_asks_for_a_slug(self, author: Any) -> None:
        response = new_article(logged_in(author), title="???")
        assert response.status_code == 422
        assert "no letters or digits to make an address from" in response.content.decode()

    def test_slug_derivation_follows_django_and_the_column_length(self, db: Any) -> None:
        assert slug_from_title("Ça va? Low ALP & vitamin B6!") == "ca-va-low-alp-vitamin-b6"
        long = slug_from_title("word " * 100)
        assert len(long) <= 120 and not long.endswith("-")
        assert unique_slug(long) == long

    def test_the_slug_cannot_be_changed_once_the_article_exists(self, author: Any) -> None:
        article = make_article(author=author, slug="kept-address")
        client = logged_in(author)
        assert (
            'name="slug"'
            not in client.get(f"/workspace/articles/{article.slug}/edit/").content.decode()
        )
        client.post(
            f"/workspace/articles/{article.slug}/edit/",
            edit_data(article, slug="moved", summary="Changed."),
        )
        assert Article.objects.get(pk=article.pk).slug == "kept-address"


class TestRelated:
    def test_the_search_finds_published_and_own_articles_but_no_other_draft(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        other = make_user(Role.AUTHOR, username="other-author")
        make_article(author=other, title="Bone pain: a secret draft")
        mine = make_article(author=author, title="Bone pain in my draft")
        published = publish_approved(
            make_article(author=other, title="Bone pain, published"),
            author=other,
            editor=editor,
            reviewers=[reviewer],
        )
        found = logged_in(author).get("/workspace/related/", {"q": "bone"}).json()["results"]
        assert [(r["id"], r["published"]) for r in found] == [
            (mine.pk, False),
            (published.pk, True),
        ]
        everything = logged_in(editor).get("/workspace/related/", {"q": "BONE"}).json()
        assert len(everything["results"]) == 3

    def test_the_search_is_bounded_and_excludes_the_article_itself(self, editor: Any) -> None:
        articles = [make_article(author=editor, title=f"Rickets {n:02}") for n in range(23)]
        found = (
            logged_in(editor)
            .get("/workspace/related/", {"q": "ricket", "exclude": articles[0].pk})
            .json()["results"]
        )
        assert len(found) == 20
        assert articles[0].pk not in [r["id"] for r in found]

    @pytest.mark.parametrize(
        ("q", "words"),
        [("a", "at least 2 characters"), ("x" * 101, "at most 100 characters")],
    )
    def test_a_too_short_or_too_long_search_is_a_400(self, author: Any, q: str, words: str) -> None:
        response = logged_in(author).get("/workspace/related/", {"q": q})
        assert response.status_code == 400 and words in response.json()["error"]

    def test_only_writers_search(self, client: Client, reviewer: Any) -> None:
        assert client.get("/workspace/related/", {"q": "bone"}).status_code == 401
        response = logged_in(reviewer).get("/workspace/related/", {"q": "bone"})
        assert response.status_code == 403

    def test_the_search_costs_one_query_past_the_session(
        self, author: Any, django_assert_num_queries: Any
    ) -> None:
        for n in range(5):
            make_article(author=author, title=f"Rickets {n}")
        client = logged_in(author)
        # Session, user, the user's groups (writer?), the search.
        with django_assert_num_queries(4):
            client.get("/workspace/related/", {"q": "rick"})

    def test_related_articles_are_added_by_address_without_script(self, author: Any) -> None:
        """The form works without the search: addresses typed, checked ones kept."""
        first = make_article(author=author, slug="first-one", title="First one")
        second = make_article(author=author, slug="second-one", title="Second one")
        article = make_article(author=author, related_ids=[first.pk])
        client = logged_in(author)
        page = client.get(f"/workspace/articles/{article.slug}/edit/").content.decode()
        assert re.search(rf'value="{first.pk}"[^>]*checked', page)
        assert "Second one" not in page  # only the chosen ones are listed
        response = client.post(
            f"/workspace/articles/{article.slug}/edit/",
            edit_data(article, related=[first.pk], related_add="Second-One"),
        )
        assert response.status_code == 302
        assert Article.objects.get(pk=article.pk).related_ids == sorted([first.pk, second.pk])

    def test_another_authors_draft_cannot_be_added_and_is_refused_like_a_missing_one(
        self, author: Any
    ) -> None:
        make_article(author=make_user(Role.AUTHOR, username="other"), slug="hidden-draft")
        article = make_article(author=author)
        client = logged_in(author)
        answers = [
            client.post(
                f"/workspace/articles/{article.slug}/edit/",
                edit_data(article, related_add=slug),
            )
            for slug in ("hidden-draft", "no-such-article")
        ]
        assert [a.status_code for a in answers] == [422, 422]
        assert "No article you can relate has the address “hidden-draft”." in (
            answers[0].content.decode()
        )
        assert "No article you can relate has the address “no-such-article”." in (
            answers[1].content.decode()
        )

    def test_the_edit_page_costs_the_same_queries_with_more_related_articles(
        self, author: Any, django_assert_num_queries: Any
    ) -> None:
        others = [make_article(author=author, title=f"Other {n}") for n in range(6)]
        one = make_article(author=author, related_ids=[others[0].pk])
        six = make_article(author=author, related_ids=[o.pk for o in others])
        client = logged_in(author)
        client.get(f"/workspace/articles/{one.slug}/edit/")  # warm the per-process caches
        with CaptureQueriesContext(connection) as few:
            client.get(f"/workspace/articles/{one.slug}/edit/")
        with django_assert_num_queries(len(few.captured_queries)):
            page = client.get(f"/workspace/articles/{six.slug}/edit/")
        assert page.content.decode().count('name="related"') == 6
