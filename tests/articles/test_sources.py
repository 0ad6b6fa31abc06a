"""Listed sources ("sources consulted"): content, validation, editing, revert, readers, export."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from articles import content
from articles.audiences import audience_keys
from articles.forms import ArticleContentForm
from articles.models import Article, Rendition
from articles.rendering import further_reading
from references.selectors import references_for_keys
from references.vancouver import format_short_reference
from reviews.services.content import draft_update, version_revert
from reviews.services.errors import WorkflowError
from reviews.services.evidence import check_waive
from tests.articles.test_versioning import KNOWN_CONTENT, KNOWN_HASH
from tests.factories import edit_data, logged_in, make_article, make_reference, publish_approved
from tests.test_valid_html import assert_valid


class TestContent:
    def test_no_sources_leave_every_existing_hash_as_it_was(self) -> None:
        """An empty list is not written into the canonical bytes: the documented hash stands."""
        assert content.content_hash(**KNOWN_CONTENT, sources=[]) == KNOWN_HASH
        assert b"sources" not in content.canonical_serialization(**KNOWN_CONTENT, sources=())

    def test_listing_sources_changes_the_hash_and_their_order_counts(self) -> None:
        """Sources are content; the author's order is part of it."""
        one = content.content_hash(**KNOWN_CONTENT, sources=["pmid:1", "doi:10.1/x"])
        other = content.content_hash(**KNOWN_CONTENT, sources=["doi:10.1/x", "pmid:1"])
        assert KNOWN_HASH != one != other

    def test_keys_are_normalised_like_marker_keys_and_repeats_dropped(self) -> None:
        """`PMID: 0123`, `@pmid:123` and `pmid:123` are one source; a malformed key stays as typed."""
        assert content.normalise_source_keys(
            [" PMID:0123 ", "@pmid:123", "DOI:10.1000/X", "", "Bowden-2018", "pmid:abc"]
        ) == ["pmid:123", "doi:10.1000/x", "bowden-2018", "pmid:abc"]
        same = content.content_hash(**KNOWN_CONTENT, sources=["PMID: 0123", "pmid:123"])
        assert same == content.content_hash(**KNOWN_CONTENT, sources=["pmid:123"])


@pytest.mark.django_db
class TestModel:
    def test_sources_are_stored_normalised_in_the_version_and_its_history_row(
        self, author: Any
    ) -> None:
        """A sources change makes a new version whose frozen snapshot lists them."""
        ref = make_reference()
        article = make_article(author=author)
        article = draft_update(
            article=article,
            user=author,
            base_version=1,
            fields={"sources": [f" PMID:{ref.pmid} ", ref.citekey]},
            change_reason="List",
        )
        assert article.version == 2
        assert article.sources == [f"pmid:{ref.pmid}", ref.citekey]
        assert article.history.get(version=2).sources == article.sources
        assert article.compute_content_hash() == article.content_hash

    def test_an_unknown_or_malformed_key_is_refused_by_name_and_nothing_is_written(
        self, author: Any
    ) -> None:
        """full_clean() names each key the library does not resolve, and each malformed one."""
        ref = make_reference()
        article = make_article(author=author)
        with pytest.raises(ValidationError) as refused:
            draft_update(
                article=article,
                user=author,
                base_version=1,
                fields={"sources": [f"pmid:{ref.pmid}", "pmid:999999", "no such key!"]},
                change_reason="List",
            )
        messages = refused.value.message_dict["sources"]
        assert any("Not in the reference library: pmid:999999." in m for m in messages)
        assert any("Not a citation key: “no such key!”" in m for m in messages)
        assert Article.objects.get(pk=article.pk).version == 1

    def test_a_non_list_is_refused(self, author: Any) -> None:
        """The field holds a list of keys, nothing else."""
        article = make_article(author=author)
        article.sources = {"pmid": 1}
        with pytest.raises(ValidationError) as refused:
            article.full_clean()
        assert "sources" in refused.value.message_dict


@pytest.mark.django_db
class TestEditForm:
    def test_the_edit_page_has_a_sources_textarea_with_one_key_per_line(self, author: Any) -> None:
        """The stored list is shown one key per line."""
        refs = [make_reference(), make_reference()]
        article = make_article(author=author, sources=[f"pmid:{r.pmid}" for r in refs])
        html = logged_in(author).get(f"/workspace/articles/{article.slug}/edit/").content.decode()
        assert "Sources consulted" in html
        assert f"pmid:{refs[0].pmid}\npmid:{refs[1].pmid}</textarea>" in html
        assert_valid(html, "edit")

    def test_saving_the_form_stores_the_listed_sources(self, author: Any) -> None:
        """Keys typed one per line, with blank lines and repeats, are stored canonical, in order."""
        ref, other = make_reference(), make_reference()
        article = make_article(author=author)
        typed = f"{other.citekey}\n\n  PMID:{ref.pmid}\n{other.citekey}\n"
        response = logged_in(author).post(
            f"/workspace/articles/{article.slug}/edit/", edit_data(article, sources=typed)
        )
        assert response.status_code == 302
        stored = Article.objects.get(pk=article.pk)
        assert (stored.version, stored.sources) == (2, [other.citekey, f"pmid:{ref.pmid}"])

    def test_a_new_article_is_created_with_its_sources(self, author: Any) -> None:
        """The new-article form takes the list too; an unknown key there creates nothing."""
        ref = make_reference()
        data = {
            "slug": "new",
            "title": "New?",
            "summary": "Short.",
            "text_patient": "Words.",
            "text_clinician": "Words.",
            "change_reason": "First version.",
            "change_weight": "substantive",
        }
        client = logged_in(author)
        refused = client.post("/workspace/new/", {**data, "sources": "pmid:99999999"})
        assert (
            refused.status_code == 422
            and "Not in the reference library: pmid:99999999." in refused.content.decode()
        )
        assert not Article.objects.filter(slug="new").exists()
        assert client.post("/workspace/new/", {**data, "sources": ref.citekey}).status_code == 302
        assert Article.objects.get(slug="new").sources == [ref.citekey]

    def test_an_unknown_key_is_an_error_on_the_field_and_nothing_is_written(
        self, author: Any
    ) -> None:
        """The form comes back (422, not 500) naming the unknown key under the field."""
        ref = make_reference()
        article = make_article(author=author)
        response = logged_in(author).post(
            f"/workspace/articles/{article.slug}/edit/",
            edit_data(
                article, sources=f"pmid:{ref.pmid}\ndoi:10.9999/missing", text_patient="Changed."
            ),
        )
        assert response.status_code == 422
        errors = response.context["form"].errors
        assert list(errors) == ["sources"]
        assert "Not in the reference library: doi:10.9999/missing." in errors["sources"][0]
        stored = Article.objects.get(pk=article.pk)
        assert (stored.version, stored.sources) == (1, [])

    def test_a_form_that_does_not_post_the_field_keeps_the_sources(self, author: Any) -> None:
        """The admin's fieldsets leave the textarea out: its save must not erase the list."""
        ref = make_reference()
        article = make_article(author=author, sources=[ref.citekey])
        data = edit_data(article, related=[], topics=[], text_patient="Changed.")
        form = ArticleContentForm(data, instance=article)
        assert form.is_valid(), form.errors
        assert "sources" not in form.content_fields()
        emptied = ArticleContentForm({**data, "sources": ""}, instance=article)
        assert emptied.is_valid() and emptied.content_fields()["sources"] == []

    def test_an_admin_save_keeps_the_sources_it_does_not_show(
        self, author: Any, editor: Any
    ) -> None:
        """The admin's article form has no sources textarea; saving there leaves the list alone."""
        ref = make_reference()
        article = make_article(author=author, sources=[ref.citekey])
        client = logged_in(editor)
        data = edit_data(article, related=[], text_patient="Fixed.", change_weight="minor")
        response = client.post(f"/admin/articles/article/{article.pk}/change/", data)
        assert response.status_code == 302
        stored = Article.objects.get(pk=article.pk)
        assert (stored.version, stored.sources) == (2, [ref.citekey])

    def test_a_nul_character_is_refused_on_the_field(self, author: Any) -> None:
        """A NUL in a key is a form error, never a database error."""
        article = make_article(author=author)
        form = ArticleContentForm(edit_data(article, sources="pmid:1\x00"), instance=article)
        assert not form.is_valid() and "sources" in form.errors


@pytest.mark.django_db
class TestRevert:
    def test_restoring_a_version_restores_its_sources(self, author: Any) -> None:
        """Version 1's list comes back as a new version after the list was changed."""
        one, two = make_reference(), make_reference()
        article = make_article(author=author, sources=[one.citekey])
        article = draft_update(
            article=article,
            user=author,
            base_version=1,
            fields={"sources": [two.citekey]},
            change_reason="Swap",
        )
        article = version_revert(article=article, user=author, to_version=1, base_version=2)
        assert (article.version, article.sources) == (3, [one.citekey])
        assert article.content_hash == article.history.get(version=1).content_hash

    def test_a_version_whose_source_left_the_library_is_refused_not_crashed(
        self, author: Any
    ) -> None:
        """Restoring a list naming a deleted reference is a workflow refusal naming the key."""
        gone, kept = make_reference(), make_reference()
        article = make_article(author=author, sources=[gone.citekey])
        article = draft_update(
            article=article,
            user=author,
            base_version=1,
            fields={"sources": [kept.citekey]},
            change_reason="Swap",
        )
        gone.delete()
        with pytest.raises(WorkflowError, match=f"Not in the reference library: {gone.citekey}"):
            version_revert(article=article, user=author, to_version=1, base_version=2)
        assert Article.objects.get(pk=article.pk).version == 2


@pytest.fixture
def listed(author: Any, editor: Any, reviewer: Any) -> dict[str, Any]:
    """A published article citing one reference, listing it (by another key) and two more."""
    cited = make_reference()
    extra = make_reference(doi="10.1234/extra.5", title="An uncited cohort study")
    guideline = make_reference(
        kind="guideline",
        pmid="",
        doi="",
        citekey="nice-2020",
        title="A guideline consulted",
        journal="",
        publisher="NICE",
    )
    texts = dict.fromkeys(
        ("patient", "caregiver", "student", "clinician"), f"Words [@pmid:{cited.pmid}]."
    )
    article = make_article(
        author=author,
        slug="listed",
        texts=texts,
        sources=[cited.citekey, f"pmid:{extra.pmid}", "nice-2020"],
    )
    check_waive(
        article=article,
        user=author,
        check_key="citations.listed_not_cited",
        reason="Background reading for readers.",
    )
    article = publish_approved(article, author=author, editor=editor, reviewers=[reviewer])
    return {"article": article, "cited": cited, "extra": extra, "guideline": guideline}


@pytest.mark.django_db
class TestPublicPage:
    def test_uncited_listed_sources_are_further_reading_after_the_bibliography(
        self, client: Client, listed: dict[str, Any]
    ) -> None:
        """Unnumbered, Vancouver-formatted with their links; a listed source the text cites is not repeated."""
        html = client.get("/articles/listed/?audience=patient").content.decode()
        references, further = (
            html.index('id="references-title"'),
            html.index(">Further reading</h2>"),
        )
        assert references < further
        section = html[further : html.index("</section>", further)]
        extra = listed["extra"]
        assert "An uncited cohort study" in section and "A guideline consulted" in section
        assert f'href="https://doi.org/{extra.doi}"' in section
        assert f'href="https://pubmed.ncbi.nlm.nih.gov/{extra.pmid}/"' in section
        assert listed["cited"].title not in section
        assert 'id="ref-' not in section and "<ol" not in section
        assert_valid(html, "/articles/listed/")

    def test_an_article_without_sources_has_no_further_reading(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Nothing listed, nothing shown."""
        ref = make_reference()
        publish_approved(
            make_article(author=author, slug="plain", citations=[ref]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        assert "Further reading" not in client.get("/articles/plain/").content.decode()

    def test_further_reading_is_taken_from_the_live_version(
        self, client: Client, author: Any, listed: dict[str, Any]
    ) -> None:
        """A draft's new list is not shown until it is published."""
        article = listed["article"]
        draft_update(
            article=article,
            user=author,
            base_version=article.version,
            fields={"sources": []},
            change_reason="Drop",
        )
        assert "An uncited cohort study" in client.get("/articles/listed/").content.decode()

    @pytest.mark.parametrize("audience", ["clinician", "patient"])
    def test_listed_sources_cost_no_query_cold_or_warm(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        listed: dict[str, Any],
        audience: str,
    ) -> None:
        """The further reading is rendered with the text, so the page costs what it costs without
        sources (at most four queries warm), for two listed sources or twenty."""
        refs = [make_reference() for _ in range(20)]
        texts = dict.fromkeys(("patient", "clinician"), f"Words [@pmid:{listed['cited'].pmid}].")
        plain = publish_approved(
            make_article(author=author, slug="plain", texts=texts),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        many = make_article(
            author=author, slug="many", texts=texts, sources=[r.citekey for r in refs]
        )
        check_waive(
            article=many, user=author, check_key="citations.listed_not_cited", reason="Reading."
        )
        publish_approved(many, author=author, editor=editor, reviewers=[reviewer])

        def cost(slug: str) -> tuple[int, int]:
            client.cookies["audience"] = audience
            cache.clear()
            with CaptureQueriesContext(connection) as cold:
                assert client.get(f"/articles/{slug}/").status_code == 200
            with CaptureQueriesContext(connection) as warm:
                assert client.get(f"/articles/{slug}/").status_code == 200
            return len(cold), len(warm)

        base_cold, base_warm = cost(plain.slug)
        assert cost("listed") == cost("many") == (base_cold, base_warm)
        assert base_warm <= 4
        assert "Further reading" in client.get("/articles/many/").content.decode()

    def test_further_reading_is_rendered_once_with_the_rendition(
        self, listed: dict[str, Any]
    ) -> None:
        """Stored on every audience's rendition of the live version: unnumbered, in list order,
        leaving out a listed source the text cites."""
        version = listed["article"].live_version
        renditions = Rendition.objects.filter(content_hash=version.content_hash)
        assert renditions.count() == len(audience_keys())
        for rendition in renditions:
            assert [e["citekey"] for e in rendition.further_reading] == [
                listed["extra"].citekey,
                "nice-2020",
            ]
            assert all("number" not in e for e in rendition.further_reading)

    def test_further_reading_leaves_out_sources_cited_by_any_of_their_keys(
        self, listed: dict[str, Any]
    ) -> None:
        cited = listed["cited"]
        references = references_for_keys([f"pmid:{cited.pmid}", cited.citekey])
        assert (
            further_reading(
                sources=[cited.citekey], citation_keys=[f"pmid:{cited.pmid}"], references=references
            )
            == []
        )


@pytest.mark.django_db
class TestExport:
    @pytest.mark.parametrize("fmt", ["ris", "csljson"])
    def test_the_reference_export_includes_the_listed_sources_after_the_cited(
        self, client: Client, listed: dict[str, Any], fmt: str
    ) -> None:
        """Cited first (once, though also listed), then the listed sources in their order."""
        response = client.get(f"/articles/listed/references.{'ris' if fmt == 'ris' else 'json'}")
        assert response.status_code == 200
        expected = [listed["cited"].citekey, listed["extra"].citekey, "nice-2020"]
        body = response.content.decode()
        if fmt == "ris":
            assert [
                line.split("  - ")[1] for line in body.splitlines() if line.startswith("ID  - ")
            ] == expected
        else:
            assert [item["id"] for item in json.loads(body)] == expected


class TestShortReference:
    def test_a_short_reference_names_first_author_year_and_title(self) -> None:
        """Vancouver names, "et al." after the first of several, the title cut at a word."""
        from references.models import Reference

        ref = Reference(
            citekey="x",
            authors=[{"family": "Bowden", "initials": "SA"}, {"family": "Lee", "initials": "B"}],
            year=2018,
            title="Alkaline phosphatase in the diagnosis of hypophosphatasia in children and adults.",
        )
        assert (
            format_short_reference(ref)
            == "Bowden SA, et al. 2018. Alkaline phosphatase in the diagnosis of hypophosphatasia in…"
        )
        alone = Reference(citekey="y", authors=[{"literal": "NICE"}], title="Guideline.")
        assert format_short_reference(alone) == "NICE. Guideline"


@pytest.mark.django_db
class TestReviewSeesSourceChanges:
    def test_the_diff_shows_a_change_to_the_listed_sources_alone(self, author: Any) -> None:
        """A reviewer cannot sign a sources-only change without seeing it."""
        first, second = make_reference(), make_reference()
        article = make_article(author=author, slug="src", sources=[first.citekey])
        draft_update(
            article=article,
            user=author,
            base_version=1,
            fields={"sources": [first.citekey, second.citekey]},
            change_reason="Add a source",
        )
        html = logged_in(author).get("/workspace/articles/src/diff/?from=1&to=2").content.decode()
        assert (
            "Sources consulted" in html and second.citekey in html.split("Sources consulted", 1)[1]
        )

    def test_an_article_without_sources_shows_no_sources_section_in_the_diff(
        self, author: Any
    ) -> None:
        article = make_article(author=author, slug="plain-src")
        draft_update(
            article=article,
            user=author,
            base_version=1,
            fields={"summary": "Changed."},
            change_reason="Summary",
        )
        html = (
            logged_in(author)
            .get("/workspace/articles/plain-src/diff/?from=1&to=2")
            .content.decode()
        )
        assert "Sources consulted" not in html and "Summary" in html


@pytest.mark.django_db
def test_retracting_a_listed_source_alerts_the_articles_that_list_it(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """Readers see listed sources as further reading, so a retraction flags the article too."""
    from datetime import date

    from reviews.services.evidence import reference_flag

    listed_only = make_reference()
    article = make_article(author=author, slug="lists-it", sources=[listed_only.citekey])
    flagged = reference_flag(
        reference=listed_only,
        user=editor,
        retracted_on=date(2026, 1, 5),
        retraction_notice_url="https://example.org/notice",
    )
    assert [a.pk for a in flagged] == [article.pk]


@pytest.mark.django_db
def test_the_read_api_gives_the_further_reading_unnumbered(
    client: Client, listed: dict[str, Any]
) -> None:
    data = client.get("/api/v1/articles/listed/?audience=clinician").json()
    assert [e["citekey"] for e in data["further_reading"]] == [listed["extra"].citekey, "nice-2020"]
    assert all("number" not in e for e in data["further_reading"])
    assert data["further_reading"][0]["doi"] == listed["extra"].doi
