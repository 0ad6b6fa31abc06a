"""RIS, MEDLINE and CSL-JSON as databases and reference managers really write them."""

from __future__ import annotations

import datetime
import re

import pytest

from references.importing import references_import_plan
from references.parsers import ReferenceFileError
from tests.references.quirks import MALFORMED, QUIRKS, fields, parsed, quirk


def test_a_providers_preamble_before_the_first_record_is_skipped() -> None:
    """EBSCO's "Provider:/Database:/Content:" header lines are not a record."""
    (record,) = parsed("provider_preamble.ris")
    assert (record.line, record.fields["pages"]) == (5, "3147-3161")


def test_ovid_links_between_records_are_skipped() -> None:
    """ "Link to the Ovid Full Text or citation:" and its URL after each record."""
    assert [r.fields["title"][:9] for r in parsed("ovid_links.ris")] == ["Profile o", "Childhood"]


def test_scheme_relative_and_doubled_urls_are_read_as_one_link() -> None:
    """`UR  - //www…` gets https; of two URLs on one line the first is kept."""
    page, article = fields("url_forms.ris")
    assert page["url"] == "https://www.rarediseases.org/rare-diseases/hypophosphatasia/"
    assert article["url"] == "https://ojrd.biomedcentral.com/articles/10.1186/s13023-018-0866-7"


def test_access_dates_with_a_time_or_written_out_are_read() -> None:
    """`Y2  - 2023/01/23/21:42:58` (Zotero) and "Accessed: Feb. 3, 2016"."""
    assert [f["accessed_on"] for f in fields("access_dates.ris")] == [
        datetime.date(2023, 1, 23),
        datetime.date(2016, 2, 3),
    ]


def test_a_gen_record_is_an_article_or_generic_by_its_fields() -> None:
    """TY GEN with a DOI and a volume is a journal article; with only a URL, generic."""
    article, other = fields("gen_with_doi.ris")
    assert (article["kind"], other["kind"]) == ("journal-article", "generic")


def test_epub_ahead_of_print_note_sets_the_status_and_et_is_no_edition() -> None:
    """N1 "Epub ahead of print"; EndNote's ET on a journal article is its epub date."""
    (record,) = fields("epub_ahead.ris")
    assert record["status"] == "epub-ahead-of-print"
    assert "edition" not in record


def test_a_ris_subject_keyword_about_guidelines_does_not_make_a_guideline() -> None:
    """KW "Practice Guidelines as Topic" is a MeSH subject, not the publication type."""
    assert fields("topic_keyword.ris")[0]["kind"] == "journal-article"


def test_a_ris_edited_book_keeps_its_editors() -> None:
    """TY EDBOOK with A2 editors and no author."""
    (record,) = fields("edited_book.ris")
    assert (record["kind"], record["editors"][1]) == (
        "book",
        {"family": "Bouillon", "initials": "R"},
    )


def test_ris_suffixes_particles_and_corporate_names_are_kept() -> None:
    """ "King, Martin Luther, Jr", "van der Berg, Anna", "World Health Organization"."""
    assert fields("suffix_corporate.ris")[0]["authors"] == [
        {"family": "King", "initials": "ML", "suffix": "Jr"},
        {"family": "van der Berg", "initials": "A"},
        {"literal": "World Health Organization"},
    ]


def test_pubmed_ahead_of_print_sets_the_status_and_mesh_does_not_set_the_kind() -> None:
    """PST aheadofprint; MH "Practice Guidelines as Topic" on a Journal Article; "King ML Jr"."""
    (record,) = fields("ahead_of_print.nbib")
    assert (record["status"], record["kind"]) == ("epub-ahead-of-print", "journal-article")
    assert record["authors"] == [
        {"family": "King", "initials": "ML", "suffix": "Jr"},
        {"family": "van der Berg", "initials": "A"},
    ]


def test_every_csl_item_type_is_read_without_problems() -> None:
    """All 45 types of the CSL 1.0.2 schema map to a kind; none is refused."""
    records = parsed("csl_all_types.json")
    assert len(records) == 45
    assert not [r.label for r in records if r.problems]
    kinds = {r.label.removeprefix("item-"): r.fields["kind"] for r in records}
    assert (kinds["article-newspaper"], kinds["dataset"], kinds["legal_case"]) == (
        "news-article",
        "dataset",
        "legal",
    )
    assert (kinds["personal_communication"], kinds["software"], kinds["map"]) == (
        "personal-communication",
        "software",
        "generic",
    )


def test_csl_suffixes_particles_literals_status_and_book_editors_are_kept() -> None:
    """suffix "Jr.", non-dropping and dropping particles, literal names, "status", editors."""
    article, book, _ = fields("csl_names_status.json")
    assert article["authors"] == [
        {"family": "King", "initials": "ML", "suffix": "Jr"},
        {"family": "van der Berg", "initials": "A"},
        {"family": "de Gaulle", "initials": "C"},
        {"literal": "Bone Guideline Group"},
    ]
    assert article["status"] == "forthcoming"
    assert [e["family"] for e in book["editors"]] == ["Bilezikian", "Bouillon"]


def test_a_csl_short_doi_is_kept_as_its_doi_org_link() -> None:
    """ "DOI": "10/fqd6hj" cannot be expanded offline: it is stored as https://doi.org/10/fqd6hj."""
    short = fields("csl_names_status.json")[2]
    assert (short.get("doi"), short["url"]) == (None, "https://doi.org/10/fqd6hj")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "header_only.ris",
            "refs, record 1 (line 1): a RIS record starts with “TY  - ”, found “Provider: EBSCOhost”.",
        ),
        (
            "tag_between_records.ris",
            "refs, record 2 (line 8): a RIS record starts with “TY  - ”, found “AU  - Smith, John”.",
        ),
    ],
)
def test_ris_without_a_record_or_with_a_record_lacking_ty_is_refused(
    name: str, message: str
) -> None:
    """Skipping provider lines does not swallow a broken file: it is refused, located."""
    with pytest.raises(ReferenceFileError) as refused:
        parsed(name)
    assert [p.located("refs") for p in refused.value.problems] == [message]


@pytest.mark.django_db
def test_accept_rate_over_the_quirk_set_is_complete() -> None:
    """Every valid quirk file imports; every malformed one is refused naming record and line."""
    accepted, refused = [], []
    for path in sorted(QUIRKS.iterdir()):
        plan = references_import_plan(data=quirk(path.name), filename=path.name)
        if path.name in MALFORMED:
            if not plan.ok and all(
                re.match(rf"{re.escape(path.name)}, record \d+ \(line \d+\): ", m)
                for m in plan.messages()
            ):
                refused.append(path.name)
        elif plan.ok:
            accepted.append(path.name)
    valid = len(list(QUIRKS.iterdir())) - len(MALFORMED)
    assert (len(accepted), len(refused)) == (valid, len(MALFORMED))
