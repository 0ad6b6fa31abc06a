"""Exporting references (RIS, CSL-JSON): round trips through the importers, and the downloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from articles.models import Article
from references.exporting import reference_as_csl, references_to_csljson, references_to_ris
from references.importing import references_import
from references.models import Reference
from reviews.services.content import draft_update
from tests.factories import make_article, make_reference, publish_approved

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "reviews" / "demo" / "references.ris"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "references"
# more_authors is not here: exports no longer write an author "et al." (it read as a person), and
# the parsers read no other sign of it yet, so the flag does not survive a round trip.
ROUND_TRIP_FIELDS = (
    "kind",
    "authors",
    "title",
    "journal",
    "container_title",
    "editors",
    "year",
    "volume",
    "issue",
    "pages",
    "publisher",
    "place",
    "edition",
    "url",
    "accessed_on",
    "doi",
    "pmid",
    "pmcid",
)


def library() -> dict[str, dict[str, Any]]:
    """Every reference's exported fields (and what supersedes it), by citekey."""
    return {
        ref.citekey: {
            **{name: getattr(ref, name) for name in ROUND_TRIP_FIELDS},
            "superseded_by": ref.superseded_by.citekey if ref.superseded_by else None,
        }
        for ref in Reference.objects.select_related("superseded_by")
    }


def round_trip(export: Any, filename: str) -> None:
    """Export the library, empty it, import the export: the library must be as it was."""
    before = library()
    content = export(list(Reference.objects.select_related("superseded_by").order_by("pk")))
    data = (content if isinstance(content, str) else json.dumps(content)).encode()
    Reference.objects.all().delete()
    plan = references_import(data=data, filename=filename)
    assert plan.counts == {"create": len(before), "update": 0, "duplicate": 0}
    assert library() == before


class TestRoundTrip:
    @pytest.mark.parametrize(
        ("export", "filename"),
        [
            (references_to_ris, "library.ris"),
            (references_to_csljson, "library.json"),
        ],
    )
    def test_demo_references_survive_export_and_import(self, export: Any, filename: str) -> None:
        """kind, authors, title, journal, year, volume, issue, pages, identifiers… and superseded-by."""
        references_import(data=DEMO.read_bytes(), filename=DEMO.name)
        assert len(library()) == 6
        round_trip(export, filename)

    @pytest.mark.parametrize(
        ("export", "filename"),
        [
            (references_to_ris, "library.ris"),
            (references_to_csljson, "library.json"),
        ],
    )
    def test_books_chapters_pages_and_reviews_survive_export_and_import(
        self, export: Any, filename: str
    ) -> None:
        """Editors, book titles, places, editions, URLs and access dates too."""
        references_import(data=(FIXTURES / "valid.ris").read_bytes(), filename="valid.ris")
        kinds = set(Reference.objects.values_list("kind", flat=True))
        assert kinds == {
            "journal-article",
            "book",
            "chapter",
            "web-page",
            "guideline",
            "systematic-review",
        }
        round_trip(export, filename)

    @pytest.mark.parametrize("name", ["valid.bib", "valid.nbib"])
    def test_bibtex_and_medline_imports_survive_an_ris_round_trip(self, name: str) -> None:
        """What BibTeX and MEDLINE brought in is kept by RIS and CSL-JSON alike."""
        references_import(data=(FIXTURES / name).read_bytes(), filename=name)
        round_trip(references_to_ris, "library.ris")
        round_trip(references_to_csljson, "library.json")


class TestFormats:
    def test_ris_export_writes_one_tagged_record_per_reference(self) -> None:
        """TY first, ER last, no numbering lines, authors as "Family, I.", pages split, PMID in AN."""
        ref = make_reference(
            citekey="bowden-2018",
            authors=[{"family": "Bowden", "initials": "SA"}],
            title="Profile",
            journal="Drug Des Devel Ther",
            year=2018,
            volume="12",
            pages="3147-3161",
            doi="10.2147/DDDT.S154922",
            pmid="30288020",
            pmcid="PMC6161731",
            more_authors=True,
        )
        assert references_to_ris([ref]) == (
            "TY  - JOUR\nID  - bowden-2018\nAU  - Bowden, S.A.\nTI  - Profile\n"
            "JO  - Drug Des Devel Ther\nJ2  - Drug Des Devel Ther\nPY  - 2018\nVL  - 12\nSP  - 3147\n"
            "EP  - 3161\nDO  - 10.2147/dddt.s154922\nAN  - 30288020\nC2  - PMC6161731\nDB  - PubMed\nER  - \n"
        )

    def test_csljson_item_uses_csl_variable_names(self) -> None:
        """A guideline in a journal: article-journal with its genre; corporate authors as literal."""
        ref = make_reference(
            citekey="ga-2020",
            kind=Reference.Kind.GUIDELINE,
            title="Guideline",
            authors=[{"literal": "Guideline Group"}, {"family": "Emma", "initials": "F"}],
            journal="Nat Rev Nephrol",
            year=2020,
            volume="15",
            issue="7",
            pages="435-455",
            pmid="31068690",
        )
        assert reference_as_csl(ref) == {
            "id": "ga-2020",
            "type": "article-journal",
            "title": "Guideline",
            "author": [{"literal": "Guideline Group"}, {"family": "Emma", "given": "F."}],
            "genre": "Practice Guideline",
            "container-title": "Nat Rev Nephrol",
            "container-title-short": "Nat Rev Nephrol",
            "issued": {"date-parts": [[2020]]},
            "volume": "15",
            "issue": "7",
            "page": "435-455",
            "PMID": "31068690",
        }


@pytest.fixture
def published(author: Any, editor: Any, reviewer: Any) -> Article:
    first = make_reference(citekey="first-2020", title="First cited")
    second = make_reference(citekey="second-2021", title="Second cited", doi="10.5555/second")
    make_reference(citekey="never-cited", title="Not cited")
    texts = {
        "patient": f"Words [@second-2021] and [@pmid:{first.pmid}] and [@second-2021] again.",
        "clinician": f"Words [@doi:10.5555/SECOND; @pmid:{first.pmid}].",
    }
    article = make_article(author=author, slug="low-alp", texts=texts)
    published = publish_approved(article, author=author, editor=editor, reviewers=[reviewer])
    second.superseded_by = make_reference(citekey="newer-2024", title="Newer")  # after publication
    second.save()
    return published


class TestDownloads:
    def test_ris_download_lists_the_live_versions_references_as_an_attachment(
        self, client: Client, published: Article
    ) -> None:
        """RIS content type, a file name, each cited reference once in order of first citation."""
        response = client.get("/articles/low-alp/references.ris")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="low-alp-references.ris"'
        text = response.content.decode()
        ids = [line[6:] for line in text.splitlines() if line.startswith("ID  - ")]
        assert ids == ["second-2021", "first-2020"]
        assert "N1  - superseded-by: newer-2024" in text

    def test_csljson_download_is_json_items(self, client: Client, published: Article) -> None:
        """CSL-JSON content type and file name; the items are the cited references."""
        response = client.get("/articles/low-alp/references.json")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="low-alp-references.json"'
        items = json.loads(response.content)
        assert [(item["id"], item["title"]) for item in items] == [
            ("second-2021", "Second cited"),
            ("first-2020", "First cited"),
        ]

    def test_downloads_follow_the_published_version_not_the_draft(
        self, client: Client, published: Article, author: Any
    ) -> None:
        """A reference added in a later draft is not downloadable until that draft is published."""
        make_reference(citekey="draft-only")
        draft_update(
            article=published,
            user=author,
            base_version=published.version,
            fields={"texts": {**published.texts, "patient": "Now citing [@draft-only]."}},
            change_reason="New source.",
        )
        ids = [
            line[6:]
            for line in client.get("/articles/low-alp/references.ris").content.decode().splitlines()
            if line.startswith("ID  - ")
        ]
        assert "draft-only" not in ids and ids == ["second-2021", "first-2020"]

    def test_unpublished_or_unknown_articles_have_no_downloads(
        self, client: Client, author: Any
    ) -> None:
        """404 for a draft and for a slug that does not exist."""
        make_article(author=author, slug="draft-article", citations=[make_reference()])
        for path in (
            "/articles/draft-article/references.ris",
            "/articles/draft-article/references.json",
            "/articles/nothing-here/references.ris",
        ):
            assert client.get(path).status_code == 404

    def test_downloads_accept_only_get(self, client: Client, published: Article) -> None:
        """POST is not a way to download."""
        assert client.post("/articles/low-alp/references.ris").status_code == 405


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r", "\u2028", "\x85", "\x0b"])
def test_a_line_break_inside_a_field_cannot_add_a_record_to_the_ris_export(newline: str) -> None:
    """A title or journal holding a line break and RIS tags stays one value of one record."""
    injected = f"Real title{newline}ER  - {newline}TY  - JOUR{newline}TI  - Injected record"
    ref = make_reference(title=injected, journal=f"J{newline}AU  - Evil, E.")
    ris = references_to_ris([ref])
    lines = ris.splitlines()
    assert sum(line.startswith("TY  -") for line in lines) == 1
    assert sum(line.startswith("ER  -") for line in lines) == 1
    assert not any(line.startswith("AU  - Evil") for line in lines)
    title_lines = [line for line in lines if line.startswith("TI  -")]
    assert title_lines == ["TI  - Real title ER - TY - JOUR TI - Injected record"]


class TestSafeExports:
    def test_exports_never_name_et_al_as_an_author(self) -> None:
        ref = make_reference(authors=[{"family": "Bowden", "initials": "SA"}], more_authors=True)
        assert "et al" not in references_to_ris([ref])
        assert all("et al" not in str(a) for a in references_to_csljson([ref])[0]["author"])

    def test_editors_suffixes_and_corporate_names_are_kept(self) -> None:
        ref = make_reference(
            kind=Reference.Kind.BOOK,
            authors=[
                {"family": "King", "initials": "ML", "suffix": "Jr"},
                {"literal": "WHO, Regional Office for Europe"},
            ],
            editors=[{"family": "Smith", "initials": "J"}],
        )
        ris_text = references_to_ris([ref])
        assert "AU  - King, M.L., Jr\n" in ris_text
        assert "AU  - WHO, Regional Office for Europe,\n" in ris_text
        assert "A2  - Smith, J.\n" in ris_text
        item = references_to_csljson([ref])[0]
        assert item["author"] == [
            {"family": "King", "given": "M. L.", "suffix": "Jr"},
            {"literal": "WHO, Regional Office for Europe"},
        ]
        assert item["editor"] == [{"family": "Smith", "given": "J."}]

    def test_a_newline_in_a_field_cannot_start_another_ris_record(self) -> None:
        ref = make_reference(title="Harmless\nER  - \nTY  - JOUR\nTI  - Injected")
        text = references_to_ris([ref])
        assert text.count("TY  - ") == 1
        assert "TI  - Harmless ER - TY - JOUR TI - Injected\n" in text

    def test_a_corporate_author_with_a_comma_round_trips_through_ris(self) -> None:
        make_reference(authors=[{"literal": "WHO, Regional Office for Europe"}], pmid="")
        round_trip(references_to_ris, "library.ris")
