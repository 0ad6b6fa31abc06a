"""Importing reference files: the four formats, de-duplication, all-or-nothing, command, pages."""

from __future__ import annotations

import datetime
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.core.management import base as management_base
from django.test import Client, override_settings

from references.importing import Action, ImportRefused, references_import, references_import_plan
from references.management.commands.import_references import Command as ImportReferences
from references.models import Reference
from references.parsers import (
    Format,
    initials_from_given,
    name_from_text,
    normalise_pages,
    parse_references,
)
from tests.factories import make_reference

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "references"
EXTENSIONS = {
    Format.RIS: "ris",
    Format.BIBTEX: "bib",
    Format.MEDLINE: "nbib",
    Format.CSLJSON: "json",
}
VALID_COUNTS = {Format.RIS: 7, Format.BIBTEX: 7, Format.MEDLINE: 4, Format.CSLJSON: 6}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def records(name: str) -> dict[str, dict[str, Any]]:
    """The parsed records of a fixture, keyed by their label or their line."""
    fmt = {"ris": Format.RIS, "bib": Format.BIBTEX, "nbib": Format.MEDLINE, "json": Format.CSLJSON}[
        name.rsplit(".", 1)[1]
    ]
    return {r.label or str(r.line): r.fields for r in parse_references(fixture(name), fmt=fmt)}


def ris(*records: str) -> bytes:
    return "\n".join(f"TY  - JOUR\n{body.strip()}\nER  - \n" for body in records).encode()


class TestNames:
    @pytest.mark.parametrize(
        ("given", "initials"),
        [
            ("Sasigarn A.", "SA"),
            ("Brian L", "BL"),
            ("Jean-Marc", "JM"),
            ("S. A.", "SA"),
            ("J.-M.", "JM"),
            ("SA", "SA"),
            ("José Manuel", "JM"),
            ("Søren", "S"),
        ],
    )
    def test_initials_are_taken_from_given_names(self, given: str, initials: str) -> None:
        """Each given name (and each part of a hyphenated one) gives one initial."""
        assert initials_from_given(given) == initials

    @pytest.mark.parametrize(
        ("text", "name"),
        [
            ("Bowden, Sasigarn A.", {"family": "Bowden", "initials": "SA"}),
            ("Bowden SA", {"family": "Bowden", "initials": "SA"}),
            ("Le Merrer M", {"family": "Le Merrer", "initials": "M"}),
            ("Smith, John, Jr", {"family": "Smith", "initials": "J", "suffix": "Jr"}),
            ("King, Jr., Martin Luther", {"family": "King", "initials": "ML", "suffix": "Jr"}),
            ("King ML Jr", {"family": "King", "initials": "ML", "suffix": "Jr"}),
            ("Thakker, Rajesh V.", {"family": "Thakker", "initials": "RV"}),
            ("van der Berg, Anna", {"family": "van der Berg", "initials": "A"}),
            ("World Health Organization", {"literal": "World Health Organization"}),
            ("et al.", None),
        ],
    )
    def test_names_written_as_text_are_split_or_kept_as_corporate(
        self, text: str, name: Any
    ) -> None:
        """ "Family, Given" and NLM "Family AB" are persons; anything else is a corporate name."""
        assert name_from_text(text) == name

    @pytest.mark.parametrize(
        ("start", "end", "pages"),
        [
            ("3147", "3161", "3147-3161"),
            ("3147--3161", "", "3147-3161"),
            ("1199-201", "", "1199-1201"),
            ("99-101", "", "99-101"),
            ("e101", "", "e101"),
            ("116", "116", "116"),
        ],
    )
    def test_page_ranges_are_written_out_in_full(self, start: str, end: str, pages: str) -> None:
        """Dashes become "-" and an abbreviated end page is completed."""
        assert normalise_pages(start, end) == pages


class TestFormats:
    @pytest.mark.parametrize("fmt", list(Format))
    def test_each_valid_fixture_reads_every_record_without_problems(self, fmt: Format) -> None:
        """valid.<ext> of each format parses into its records, none with a problem."""
        parsed = parse_references(fixture(f"valid.{EXTENSIONS[fmt]}"), fmt=fmt)
        assert len(parsed) == VALID_COUNTS[fmt]
        assert [r.number for r in parsed] == list(range(1, VALID_COUNTS[fmt] + 1))
        assert not [r.problems for r in parsed if r.problems]

    def test_ris_maps_tags_to_fields(self) -> None:
        """Abbreviation preferred for the journal, SP/EP joined, PMID from AN or notes, kinds from TY and hints."""
        parsed = list(parse_references(fixture("valid.ris"), fmt=Format.RIS))
        bowden, rush, book, chapter, page, guideline, review = (r.fields for r in parsed)
        assert bowden == {
            "kind": "journal-article",
            "authors": [
                {"family": "Bowden", "initials": "SA"},
                {"family": "Foster", "initials": "BL"},
            ],
            "title": "Profile of asfotase alfa in the treatment of hypophosphatasia: design, development, and place in therapy",
            "journal": "Drug Des Devel Ther",
            "year": 2018,
            "volume": "12",
            "pages": "3147-3161",
            "doi": "https://doi.org/10.2147/DDDT.S154922",
            "pmid": "30288020",
            "pmcid": "PMC6161731",
        }
        assert (rush["pmid"], rush["pmcid"], rush["issue"]) == ("30012160", "PMC6048713", "1")
        assert (book["kind"], book["edition"], book["publisher"], book["place"]) == (
            "book",
            "2",
            "Academic Press",
            "London",
        )
        assert chapter["kind"] == "chapter"
        assert chapter["container_title"].startswith("Primer on the Metabolic Bone Diseases")
        assert chapter["editors"] == [
            {"family": "Bilezikian", "initials": "JP"},
            {"family": "Bouillon", "initials": "R"},
        ]
        assert (page["kind"], page["accessed_on"]) == ("web-page", datetime.date(2024, 3, 5))
        assert page["authors"] == [{"literal": "National Organization for Rare Disorders"}]
        assert guideline["kind"] == "guideline"
        assert (review["kind"], review["more_authors"], review["journal"]) == (
            "systematic-review",
            True,
            "Test J Bone Res",
        )

    def test_bibtex_reads_to_the_expected_fields(self) -> None:
        """@string macros, LaTeX accents, "and others", eprint PubMed IDs, chapters and web pages."""
        parsed = records("valid.bib")
        assert parsed["bowden-2018"]["journal"] == "Drug Des Devel Ther"
        assert parsed["bowden-2018"]["title"] == (
            "Profile of asfotase alfa in the treatment of hypophosphatasia: design, development, and place in therapy"
        )
        assert parsed["Rush2018"] == {
            "kind": "journal-article",
            "authors": [{"family": "Rush", "initials": "ET"}],
            "title": "Childhood hypophosphatasia: to treat or not to treat",
            "journal": "Orphanet J Rare Dis",
            "year": 2018,
            "volume": "13",
            "issue": "1",
            "pages": "116",
            "doi": "10.1186/s13023-018-0866-7",
            "pmid": "30012160",
        }
        assert parsed["villa2021"]["authors"] == [
            {"family": "Villa-Suárez", "initials": "JM"},
            {"family": "García-Fontana", "initials": "C"},
            {"family": "Andújar-Vera", "initials": "F"},
        ]
        assert parsed["villa2021"]["more_authors"] is True
        assert parsed["whyte-2018"] == {
            "kind": "chapter",
            "authors": [{"family": "Whyte", "initials": "MP"}],
            "title": "Hypophosphatasia",
            "container_title": "Primer on the Metabolic Bone Diseases and Disorders of Mineral Metabolism",
            "editors": [
                {"family": "Bilezikian", "initials": "JP"},
                {"family": "Bouillon", "initials": "R"},
            ],
            "publisher": "Wiley-Blackwell",
            "place": "Hoboken (NJ)",
            "edition": "9",
            "year": 2018,
            "pages": "1011-1017",
        }
        assert parsed["nord-hpp"]["container_title"] == "NORD Rare Disease Database"
        assert parsed["nord-hpp"]["accessed_on"] == datetime.date(2024, 3, 5)
        assert parsed["WG:2022"]["kind"] == "guideline"
        assert parsed["WG:2022"]["url"] == "https://example.org/guidelines/low-alp?lang=en&v=2_1"

    def test_medline_reads_to_the_expected_fields(self) -> None:
        """Continuation lines joined, the closing period dropped, DOI from LID/AID, kind from PT."""
        bowden, rush, guideline, review = parse_references(
            fixture("valid.nbib"), fmt=Format.MEDLINE
        )
        assert bowden.fields == {
            "kind": "journal-article",
            "authors": [
                {"family": "Bowden", "initials": "SA"},
                {"family": "Foster", "initials": "BL"},
            ],
            "title": "Profile of asfotase alfa in the treatment of hypophosphatasia: design, development, and place in therapy",
            "journal": "Drug Des Devel Ther",
            "year": 2018,
            "volume": "12",
            "pages": "3147-3161",
            "doi": "10.2147/DDDT.S154922",
            "pmid": "30288020",
            "pmcid": "PMC6161731",
        }
        assert (bowden.line, rush.line, guideline.line) == (1, 36, 54)
        assert rush.fields["issue"] == "1"
        assert guideline.fields["kind"] == "guideline"
        assert guideline.fields["pages"] == "1199-1201"
        assert guideline.fields["authors"][-1] == {"literal": "Test Bone Guideline Group"}
        assert review.fields["kind"] == "systematic-review"
        assert review.fields["year"] == 2021

    def test_csljson_prefers_the_short_container_title_and_reads_notes(self) -> None:
        """container-title-short is the journal; "PMID:" lines of a note are identifiers."""
        parsed = records("valid.json")
        assert parsed["bowden-2018"]["journal"] == "Drug Des Devel Ther"
        rush = parsed["http://zotero.org/users/1/items/ABCD1234"]
        assert (rush["pmid"], rush["pmcid"], rush["volume"]) == ("30012160", "PMC6048713", "13")
        assert parsed["nord-hpp"]["accessed_on"] == datetime.date(2024, 3, 5)
        assert parsed["low-alp-guideline"]["kind"] == "guideline"


MALFORMED = [
    ("truncated.ris", 2, 9, "looks truncated"),
    ("truncated.bib", 2, 9, "malformed"),
    ("truncated.nbib", 2, 8, "no title (TI)"),
    ("truncated.json", 2, 14, "cut off"),
    ("bad_encoding.ris", 2, 10, "not UTF-8"),
    ("bad_encoding.bib", 2, 10, "not UTF-8"),
    ("bad_encoding.nbib", 2, 10, "not UTF-8"),
    ("bad_encoding.json", 2, 15, "not UTF-8"),
    ("wrong_format.ris", 1, 1, "looks like BibTeX"),
    ("wrong_format.bib", 1, 1, "looks like RIS"),
    ("wrong_format.nbib", 1, 1, "looks like CSL-JSON"),
    ("wrong_format.json", 1, 1, "looks like MEDLINE"),
    ("duplicate.ris", 3, 17, "same reference as record 1 (line 1): same DOI"),
    ("duplicate.bib", 3, 17, "same reference as record 1 (line 1): same title and year"),
    ("duplicate.nbib", 3, 14, "same reference as record 1 (line 1): same PMID"),
    ("duplicate.json", 3, 20, "same reference as record 1 (line 2): same DOI"),
]


@pytest.mark.django_db
class TestRefusal:
    @pytest.mark.parametrize(("name", "record", "line", "reason"), MALFORMED)
    def test_malformed_file_is_refused_naming_file_record_and_line_and_nothing_is_written(
        self, name: str, record: int, line: int, reason: str
    ) -> None:
        """Truncated, mis-encoded, wrong-format and self-duplicating files write nothing."""
        make_reference(doi="10.1186/s13023-018-0866-7", pmid="30012160")  # in most of the files
        before = (Reference.objects.count(), Reference.history.count())
        with pytest.raises(ImportRefused) as refused:
            references_import(data=fixture(name), filename=name)
        messages = refused.value.plan.messages()
        message = messages[0]
        assert len(messages) == 1
        assert message.startswith(f"{name}, record {record} (line {line}): ")
        assert reason in message
        assert (Reference.objects.count(), Reference.history.count()) == before

    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (b"", "the file is empty"),
            (b"  \n\n", "the file is empty"),
            ("TY  - JOUR\nTI  - x\nER  - \n".encode("utf-16"), "UTF-16"),
            ("TY  - JOUR\nTI  - x\nER  - \n".encode("utf-16-le"), "UTF-16"),
            (bytes(range(256)) * 4, "binary data"),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        ],
    )
    def test_unreadable_bytes_are_refused_with_a_clear_reason(
        self, data: bytes, reason: str
    ) -> None:
        """Empty files, UTF-16 and binary data are refused by name, not crashed on."""
        plan = references_import_plan(data=data, filename="refs.ris")
        assert not plan.ok
        assert reason in plan.messages()[0]

    @pytest.mark.parametrize("filename", ["refs.json", "refs.bib"])
    def test_deeply_nested_brackets_are_refused_not_crashed_on(self, filename: str) -> None:
        """The JSON and LaTeX readers recurse; a hostile nesting is a refusal, not a RecursionError."""
        data = (
            b"[" * 100_000
            if filename.endswith(".json")
            else b"@article{k, title={" + b"{" * 5000 + b"}" * 5001 + b"}"
        )
        plan = references_import_plan(data=data, filename=filename)
        assert "nested too deeply" in plan.messages()[0]

    def test_a_byte_order_mark_and_windows_line_ends_are_accepted(self) -> None:
        """UTF-8 with a BOM and CRLF, as some Windows reference managers write it."""
        data = b"\xef\xbb\xbf" + fixture("valid.ris").replace(b"\n", b"\r\n")
        plan = references_import_plan(data=data, filename="refs.ris")
        assert plan.ok and plan.counts["create"] == 7
        assert plan.rows[1].record.line == 20

    def test_unknown_extension_asks_for_the_format(self) -> None:
        """An extension no format has is refused, listing the ones that work."""
        plan = references_import_plan(data=fixture("valid.ris"), filename="refs.docx")
        assert "cannot tell the format" in plan.messages()[0] and ".ris" in plan.messages()[0]

    def test_chosen_format_overrides_the_extension(self) -> None:
        """With a format chosen, the name does not matter."""
        plan = references_import_plan(data=fixture("valid.ris"), filename="export.dat", fmt="ris")
        assert plan.ok and plan.counts["create"] == 7

    def test_one_invalid_record_refuses_the_whole_file_naming_the_field_line(self) -> None:
        """A bad DOI in the third record: nothing of the first two is written either."""
        data = ris(
            "TI  - First\nPY  - 2020\nAU  - Smith, J",
            "TI  - Second\nPY  - 2020\nAU  - Jones, K",
            "TI  - Third\nPY  - 2020\nDO  - not-a-doi\nUR  - javascript:alert(1)",
        )
        with pytest.raises(ImportRefused) as refused:
            references_import(data=data, filename="refs.ris")
        messages = refused.value.plan.messages()
        assert (
            messages[0]
            == "refs.ris, record 3 (line 16): doi (DO): “not-a-doi” is not a DOI: a DOI starts with “10.”, a registrant code and a slash."
        )
        assert messages[1].startswith("refs.ris, record 3 (line 17): url (UR): ")
        assert not Reference.objects.exists()

    def test_unknown_reference_type_is_a_problem_of_its_record(self) -> None:
        """TY XYZ is named; the file is refused."""
        plan = references_import_plan(
            data=b"TY  - XYZ\nTI  - A title\nER  - \n", filename="refs.ris"
        )
        assert plan.messages() == [
            "refs.ris, record 1 (line 1): “TY  - XYZ” is not a RIS reference type."
        ]


@pytest.mark.django_db
class TestImport:
    @pytest.mark.parametrize("fmt", list(Format))
    def test_each_valid_fixture_imports_with_exact_counts_and_history(self, fmt: Format) -> None:
        """Every record created, each with one history row saying where it came from."""
        name = f"valid.{EXTENSIONS[fmt]}"
        plan = references_import(data=fixture(name), filename=name)
        assert plan.counts == {"create": VALID_COUNTS[fmt], "update": 0, "duplicate": 0}
        assert Reference.objects.count() == VALID_COUNTS[fmt]
        assert Reference.history.count() == VALID_COUNTS[fmt]
        assert set(Reference.history.values_list("history_change_reason", flat=True)) == {
            f"Imported from {name}"
        }

    def test_reimporting_the_same_file_finds_only_duplicates_and_writes_nothing(self) -> None:
        """The second import matches every record and adds no row and no history."""
        references_import(data=fixture("valid.ris"), filename="valid.ris")
        history = Reference.history.count()
        plan = references_import(data=fixture("valid.ris"), filename="valid.ris")
        assert plan.counts == {"create": 0, "update": 0, "duplicate": 7}
        assert Reference.history.count() == history

    def test_citekeys_come_from_the_file_key_else_first_author_and_year(self) -> None:
        """A valid key is kept (lower-cased); otherwise family-year in lower-case ASCII."""
        references_import(data=fixture("valid.bib"), filename="valid.bib")
        assert set(Reference.objects.values_list("citekey", flat=True)) == {
            "bowden-2018",
            "rush2018",
            "villa2021",
            "thakker-2018",
            "whyte-2018",
            "nord-hpp",
            "working-group-on-bone-mineral-disorders-2022",
        }
        references_import(data=fixture("valid.nbib"), filename="valid.nbib")
        assert Reference.objects.get(pmid="99000001").citekey == "le-merrer-2022"

    def test_citekey_collisions_get_letter_suffixes_against_library_and_file(self) -> None:
        """rush-2018 taken in the library; two more Rush 2018 papers become rush-2018a and rush-2018b."""
        make_reference(citekey="rush-2018", title="Something else", year=2018)
        references_import(
            data=ris(
                "AU  - Rush, Eric T.\nTI  - First paper\nPY  - 2018",
                "AU  - Rush, Eric T.\nTI  - Second paper\nPY  - 2018",
                "AU  - Østergaard, Søren\nTI  - Third paper\nPY  - 2021",
            ),
            filename="refs.ris",
        )
        assert list(Reference.objects.order_by("pk").values_list("citekey", flat=True)) == [
            "rush-2018",
            "rush-2018a",
            "rush-2018b",
            "ostergaard-2021",
        ]

    def test_file_key_already_used_in_the_library_falls_back_to_author_year(self) -> None:
        """An ID naming another library reference is not reused."""
        make_reference(citekey="bowden-2018", title="Another Bowden paper", year=2018, pmid="1")
        references_import(
            data=ris("ID  - bowden-2018\nAU  - Bowden, S\nTI  - New one\nPY  - 2018"),
            filename="r.ris",
        )
        assert Reference.objects.get(title="New one").citekey == "bowden-2018a"

    def test_duplicates_are_found_by_doi_case_insensitively(self) -> None:
        """Same DOI in other letters (and another title): a duplicate, nothing written."""
        existing = make_reference(doi="10.1186/s13023-018-0866-7", pmid="")
        plan = references_import(
            data=ris(
                "TI  - Different words\nPY  - 2018\nDO  - https://doi.org/10.1186/S13023-018-0866-7"
            ),
            filename="r.ris",
        )
        assert [(row.action, row.matched_by, row.citekey) for row in plan.rows] == [
            (Action.DUPLICATE, "DOI", existing.citekey)
        ]
        assert Reference.objects.count() == 1

    def test_duplicates_are_found_by_pmid_when_the_doi_does_not_match(self) -> None:
        """No DOI in the file: the PMID finds the reference."""
        existing = make_reference(pmid="30012160")
        plan = references_import(
            data=ris("TI  - Other title\nPY  - 2018\nAN  - 30012160"), filename="r.ris"
        )
        assert [(row.action, row.matched_by, row.citekey) for row in plan.rows] == [
            (Action.DUPLICATE, "PMID", existing.citekey)
        ]

    def test_duplicates_are_found_by_normalised_title_and_year(self) -> None:
        """No identifiers: case, accents and punctuation of the title do not matter; the year does."""
        existing = make_reference(
            title="Hypophosphatasia: the disease in adults", year=2013, pmid=""
        )
        plan = references_import(
            data=ris(
                "AU  - Author, A.\nTI  - HYPOPHOSPHATASIA - The Disease in Adults.\nPY  - 2013",
                "AU  - Author, A.\nTI  - Hypophosphatasia: the disease in adults\nPY  - 2014",
            ),
            filename="r.ris",
        )
        assert [(row.action, row.matched_by) for row in plan.rows] == [
            (Action.DUPLICATE, "title and year"),
            (Action.CREATE, ""),
        ]
        assert plan.rows[0].citekey == existing.citekey

    def test_same_title_and_year_with_another_doi_is_a_different_reference(self) -> None:
        """An erratum has its original's title: a different DOI keeps them apart."""
        make_reference(
            title="Hypophosphatasia in adults", year=2013, doi="10.5555/original", pmid=""
        )
        plan = references_import(
            data=ris("TI  - Hypophosphatasia in adults\nPY  - 2013\nDO  - 10.5555/erratum"),
            filename="r.ris",
        )
        assert plan.counts["create"] == 1

    def test_same_title_and_year_by_another_first_author_is_another_work(self) -> None:
        """ "Hypophosphatasia" (2018) is a chapter by Whyte and a page by NORD: neither is a duplicate."""
        make_reference(
            title="Hypophosphatasia",
            year=2018,
            authors=[{"family": "Whyte", "initials": "MP"}],
            pmid="",
        )
        plan = references_import(
            data=ris(
                "TI  - Hypophosphatasia\nPY  - 2018\nAU  - National Organization for Rare Disorders",
                "TI  - Hypophosphatasia\nPY  - 2018\nAU  - Whyte, Michael P.",
                "TI  - Hypophosphatasia\nPY  - 2018\nAU  - Mornet, Etienne",
            ),
            filename="r.ris",
        )
        assert [row.action for row in plan.rows] == [Action.CREATE, Action.DUPLICATE, Action.CREATE]
        assert Reference.objects.filter(title="Hypophosphatasia").count() == 3

    def test_update_fills_a_missing_pmid_and_never_overwrites(self) -> None:
        """The library gains PMID and PMCID; its own journal and volume stay; the difference is reported."""
        existing = make_reference(
            doi="10.2147/dddt.s154922", pmid="", journal="Drug Des Dev Ther", volume="12"
        )
        plan = references_import(
            data=ris(
                "TI  - x\nPY  - 2018\nDO  - 10.2147/DDDT.S154922\nJO  - Drug Design Devel Ther\nVL  - 99\n"
                "AN  - 30288020\nC2  - PMC6161731\nIS  - 4"
            ),
            filename="r.ris",
        )
        assert plan.counts == {"create": 0, "update": 1, "duplicate": 0}
        assert sorted(plan.rows[0].filled) == ["issue", "pmcid", "pmid"]
        existing.refresh_from_db()
        assert (existing.pmid, existing.pmcid, existing.issue) == ("30288020", "PMC6161731", "4")
        assert (existing.journal, existing.volume, existing.title) == (
            "Drug Des Dev Ther",
            "12",
            existing.title,
        )
        latest = existing.history.first()
        assert latest.history_type == "~" and latest.history_change_reason == "Imported from r.ris"
        assert latest.pmid == "30288020"

    def test_a_record_whose_doi_and_pmid_name_two_references_is_refused(self) -> None:
        """The file, or the library, is wrong; the message names both references."""
        make_reference(citekey="a-2018", doi="10.5555/a", pmid="11")
        make_reference(citekey="b-2018", doi="10.5555/b", pmid="22")
        plan = references_import_plan(
            data=ris("TI  - x\nDO  - 10.5555/a\nAN  - 22"), filename="r.ris"
        )
        assert "“a-2018”" in plan.messages()[0] and "“b-2018”" in plan.messages()[0]

    def test_two_records_matching_one_library_reference_are_refused(self) -> None:
        """One by its DOI, the other by its PMID: the file lists that reference twice."""
        make_reference(citekey="rush-2018", doi="10.1186/s13023-018-0866-7", pmid="30012160")
        plan = references_import_plan(
            data=ris(
                "TI  - a\nDO  - 10.1186/s13023-018-0866-7",
                "TI  - b\nAN  - 30012160",
            ),
            filename="r.ris",
        )
        assert plan.messages() == [
            "r.ris, record 2 (line 6): this is the same reference as record 1 (line 1): both are "
            "library reference “rush-2018”. Remove one of them."
        ]

    def test_superseded_by_note_links_the_references(self) -> None:
        """`N1 - superseded-by: key` names a reference of the file or of the library."""
        make_reference(citekey="old-guideline", title="Old guideline", pmid="")
        references_import(
            data=ris(
                "ID  - first-2019\nTI  - First\nPY  - 2019\nN1  - superseded-by: second-2025",
                "ID  - second-2025\nTI  - Second\nPY  - 2025",
                "AU  - Author, A.\nTI  - Old guideline\nPY  - 2020\nN1  - superseded-by: second-2025",
            ),
            filename="r.ris",
        )
        assert Reference.objects.get(citekey="first-2019").superseded_by.citekey == "second-2025"
        assert Reference.objects.get(citekey="old-guideline").superseded_by.citekey == "second-2025"
        assert Reference.objects.get(citekey="first-2019").history.count() == 1

    def test_superseded_by_an_unknown_key_is_refused(self) -> None:
        """The key must be in the file or in the library."""
        plan = references_import_plan(
            data=ris("TI  - x\nN1  - superseded-by: nowhere-2030"), filename="r.ris"
        )
        assert (
            "“nowhere-2030”, which is neither in the file nor in the library" in plan.messages()[0]
        )

    def test_dry_run_writes_nothing(self) -> None:
        """--dry-run reports the counts and leaves the library as it was."""
        out = io.StringIO()
        call_command(
            "import_references",
            str(FIXTURES / "valid.ris"),
            "--dry-run",
            stdout=out,
            stderr=io.StringIO(),
        )
        assert (
            "Would import valid.ris (RIS): 7 created, 0 updated, 0 duplicate. Dry run: nothing written."
            in out.getvalue()
        )
        assert not Reference.objects.exists()
        assert not Reference.history.exists()


@pytest.mark.django_db
class TestCommand:
    def test_command_imports_and_reports_counts(self) -> None:
        """Format from the extension; created / updated / duplicate on one line."""
        make_reference(doi="10.1186/s13023-018-0866-7", pmid="")
        out = io.StringIO()
        call_command(
            "import_references", str(FIXTURES / "valid.nbib"), stdout=out, stderr=io.StringIO()
        )
        assert (
            "Imported valid.nbib (MEDLINE / PubMed (.nbib)): 3 created, 1 updated, 0 duplicate."
            in out.getvalue()
        )

    def test_format_option_reads_a_file_of_any_name(self, tmp_path: Path) -> None:
        """--format bibtex for a file called export.txt (which would otherwise be MEDLINE)."""
        path = tmp_path / "export.txt"
        shutil.copy(FIXTURES / "valid.bib", path)
        call_command(
            "import_references",
            str(path),
            "--format",
            "bibtex",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        assert Reference.objects.count() == 7

    def test_malformed_file_raises_command_error_naming_file_record_and_line(self) -> None:
        """The error lists every problem; nothing is written."""
        with pytest.raises(CommandError) as error:
            call_command(
                "import_references",
                str(FIXTURES / "duplicate.ris"),
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
        assert "duplicate.ris refused, nothing written (1 problem)" in str(error.value)
        assert "duplicate.ris, record 3 (line 17)" in str(error.value)
        assert not Reference.objects.exists()

    def test_command_exits_with_a_non_zero_status_on_a_malformed_file(
        self, capsys: Any, monkeypatch: Any
    ) -> None:
        """Run as from the shell: status 1 and the reason on stderr."""
        # run_from_argv closes every connection when it ends, the test database's too.
        monkeypatch.setattr(management_base.connections, "close_all", lambda: None)
        with pytest.raises(SystemExit) as exit_:
            ImportReferences().run_from_argv(
                ["manage.py", "import_references", str(FIXTURES / "truncated.ris")]
            )
        assert exit_.value.code == 1
        assert "truncated.ris, record 2 (line 9)" in capsys.readouterr().err
        assert not Reference.objects.exists()

    def test_missing_file_is_a_command_error(self, tmp_path: Path) -> None:
        """No traceback for a path that is not there."""
        with pytest.raises(CommandError, match="Cannot read"):
            call_command("import_references", str(tmp_path / "nope.ris"))

    def test_progress_bar_is_not_drawn_when_stderr_is_not_a_terminal(self) -> None:
        """Logs and CI output stay clean."""
        err = io.StringIO()
        call_command(
            "import_references", str(FIXTURES / "valid.ris"), stdout=io.StringIO(), stderr=err
        )
        assert err.getvalue() == ""

    def test_progress_bar_is_drawn_on_a_terminal_unless_switched_off(self) -> None:
        """On a TTY tqdm shows the phases; --no-progress hides them."""

        class Terminal(io.StringIO):
            def isatty(self) -> bool:
                return True

        err = Terminal()
        call_command(
            "import_references",
            str(FIXTURES / "valid.ris"),
            "--dry-run",
            stdout=io.StringIO(),
            stderr=err,
        )
        assert "Checking" in err.getvalue()
        quiet = Terminal()
        call_command(
            "import_references",
            str(FIXTURES / "valid.ris"),
            "--dry-run",
            "--no-progress",
            stdout=io.StringIO(),
            stderr=quiet,
        )
        assert quiet.getvalue() == ""


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_load_demo_imports_the_six_demo_references_from_ris() -> None:
    """The demo library comes from articles/demo/references.ris, with haffner-2019 superseded."""
    call_command("load_demo", stdout=io.StringIO())
    assert set(Reference.objects.values_list("citekey", flat=True)) == {
        "bowden-2018",
        "rush-2018",
        "haffner-2019",
        "haffner-2025",
        "villa-suarez-2021",
        "baujat-2013",
    }
    haffner = Reference.objects.get(citekey="haffner-2019")
    assert haffner.superseded_by.citekey == "haffner-2025"
    assert (haffner.kind, haffner.more_authors, haffner.issue) == ("guideline", True, "7")
    assert Reference.objects.get(citekey="bowden-2018").doi == "10.2147/dddt.s154922"


# --- the editor's pages ----------------------------------------------------------------------


def editor_client(user: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/references/import/")  # sets the CSRF cookie
    return client


def upload(client: Client, name: str, data: bytes, **extra: Any) -> Any:
    file = io.BytesIO(data)
    file.name = name
    return client.post(
        "/references/import/",
        {"file": file, "csrfmiddlewaretoken": client.cookies["csrftoken"].value, **extra},
    )


@pytest.mark.django_db
class TestImportPages:
    def test_upload_preview_confirm_imports_the_file(self, editor: Any) -> None:
        """Preview writes nothing and lists the plan; confirming (with CSRF) imports it."""
        client = editor_client(editor)
        preview = upload(client, "valid.ris", fixture("valid.ris"))
        html = preview.content.decode()
        assert preview.status_code == 200
        assert "<strong>7</strong> to create" in html and "bowden-2018" in html
        assert not Reference.objects.exists()
        response = client.post(
            "/references/import/confirm/",
            {
                "sha256": preview.context["sha256"],
                "plan": preview.context["plan"].digest(),
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )
        assert response.status_code == 302
        assert Reference.objects.count() == 7
        assert set(Reference.history.values_list("history_user", flat=True)) == {editor.pk}
        page = client.get(response["Location"]).content.decode()
        assert "Imported valid.ris: 7 created, 0 updated, 0 duplicate." in page
        again = client.post(
            "/references/import/confirm/",
            {
                "sha256": preview.context["sha256"],
                "plan": preview.context["plan"].digest(),
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )
        assert again.status_code == 409  # the stored file was used up
        assert Reference.objects.count() == 7

    def test_posts_without_the_csrf_token_are_refused(self, editor: Any) -> None:
        """Neither the upload nor the confirmation works without the token."""
        client = editor_client(editor)
        file = io.BytesIO(fixture("valid.ris"))
        file.name = "valid.ris"
        assert client.post("/references/import/", {"file": file}).status_code == 403
        assert client.post("/references/import/confirm/", {"sha256": "x"}).status_code == 403
        assert not Reference.objects.exists()

    def test_confirm_refuses_a_file_other_than_the_previewed_one(self, editor: Any) -> None:
        """The confirmation names the previewed file by hash; another hash is a 409."""
        client = editor_client(editor)
        preview = upload(client, "valid.ris", fixture("valid.ris"))
        response = client.post(
            "/references/import/confirm/",
            {
                "sha256": "0" * 64,
                "plan": preview.context["plan"].digest(),
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )
        assert response.status_code == 409
        assert "Upload it again" in response.content.decode()
        assert not Reference.objects.exists()

    def test_confirm_shows_the_new_preview_when_the_library_changed(self, editor: Any) -> None:
        """Someone imported one of the references meanwhile: nothing written, the new plan shown."""
        client = editor_client(editor)
        preview = upload(client, "valid.ris", fixture("valid.ris"))
        make_reference(
            doi="10.1186/s13023-018-0866-7", pmid="30012160", pmcid="PMC6048713", issue="1"
        )
        response = client.post(
            "/references/import/confirm/",
            {
                "sha256": preview.context["sha256"],
                "plan": preview.context["plan"].digest(),
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )
        assert response.status_code == 409
        assert "The library changed" in response.content.decode()
        assert "<strong>6</strong> to create" in response.content.decode()
        assert Reference.objects.count() == 1

    def test_preview_of_a_malformed_file_names_record_and_line(self, editor: Any) -> None:
        """422, the problems listed, no confirm button, nothing stored or written."""
        client = editor_client(editor)
        response = upload(client, "truncated.ris", fixture("truncated.ris"))
        html = response.content.decode()
        assert response.status_code == 422
        assert "truncated.ris, record 2 (line 9)" in html
        assert "/references/import/confirm/" not in html
        assert "reference_import" not in client.session

    @pytest.mark.parametrize(
        ("name", "data", "status", "text"),
        [
            ("empty.ris", b"", 400, "The submitted file is empty"),
            ("refs.ris", "TY  - JOUR\nER  - \n".encode("utf-16"), 422, "UTF-16"),
            ("refs.json", bytes(range(256)), 422, "binary data"),
            ("refs.pdf", b"%PDF-1.7\n", 422, "cannot tell the format"),
            ("refs.ris", b"\xff\xd8\xff\xe0 garbage", 422, "not UTF-8"),
            (
                "refs.json",
                b'[{"type": "article-journal", "title": 5, "issued": "x"}',
                422,
                "truncated",
            ),
            ("refs.json", b'{"items": "no"}', 422, "no title"),
            (
                "refs.ris",
                b"TY  - JOUR\nTI  - " + b"x" * (5 * 1024 * 1024),
                413,
                "the limit is 5 MB",
            ),
        ],
    )
    def test_bad_uploads_get_a_clear_4xx_never_a_500(
        self, editor: Any, name: str, data: bytes, status: int, text: str
    ) -> None:
        """Empty, UTF-16, binary, wrong extension, garbage, broken JSON, too large."""
        client = editor_client(editor)
        response = upload(client, name, data)
        assert response.status_code == status
        assert text in response.content.decode()
        assert not Reference.objects.exists()

    def test_other_users_get_403_and_visitors_the_sign_in_page(
        self, author: Any, client: Client
    ) -> None:
        """Only the Editor group imports references."""
        assert client.get("/references/import/").status_code == 302
        client.force_login(author)
        assert client.get("/references/import/").status_code == 403
        file = io.BytesIO(fixture("valid.ris"))
        file.name = "valid.ris"
        assert client.post("/references/import/", {"file": file}).status_code == 403
        assert client.post("/references/import/confirm/", {}).status_code == 403
        assert not Reference.objects.exists()
