"""NLM / Vancouver entries, one test per Citing Medicine rule.

References are built in memory and never saved: formatting needs no database.
"""

from __future__ import annotations

import datetime
import html
import re
from typing import Any

import pytest

from references.models import Reference
from references.vancouver import (
    abbreviate_pages,
    format_edition,
    format_reference,
    format_reference_text,
)

Kind = Reference.Kind

GENERIC_AUTHORS = [
    {"family": family, "initials": initials}
    for family, initials in [
        ("Alpha", "A"), ("Beta", "B"), ("Gamma", "G"), ("Delta", "D"),
        ("Epsilon", "E"), ("Zeta", "Z"), ("Eta", "E"), ("Theta", "T"),
    ]
]  # fmt: skip


def make(**fields: Any) -> Reference:
    fields.setdefault("citekey", "example")
    fields.setdefault("title", "A title")
    return Reference(**fields)


def bowden() -> Reference:
    return make(
        citekey="bowden-2018",
        kind=Kind.JOURNAL_ARTICLE,
        authors=[{"family": "Bowden", "initials": "SA"}, {"family": "Foster", "initials": "BL"}],
        title=(
            "Profile of asfotase alfa in the treatment of hypophosphatasia: design, "
            "development, and place in therapy"
        ),
        journal="Drug Des Devel Ther",
        year=2018,
        volume="12",
        pages="3147-3161",
        doi="10.2147/dddt.s154922",
        pmid="30288020",
        pmcid="PMC6161731",
    )


def haffner() -> Reference:
    names = [
        ("Haffner", "D"), ("Emma", "F"), ("Eastwood", "DM"), ("Duplan", "MB"),
        ("Bacchetta", "J"), ("Schnabel", "D"), ("Wicart", "P"), ("Bockenhauer", "D"),
        ("Santos", "F"), ("Levtchenko", "E"), ("Harvengt", "P"), ("Kirchhoff", "M"),
        ("Di Rocco", "F"), ("Chaussain", "C"), ("Brandi", "ML"), ("Savendahl", "L"),
        ("Briot", "K"), ("Kamenicky", "P"), ("Rejnmark", "L"), ("Linglart", "A"),
    ]  # fmt: skip
    return make(
        citekey="haffner-2019",
        kind=Kind.GUIDELINE,
        authors=[{"family": f, "initials": i} for f, i in names],
        title=(
            "Clinical practice recommendations for the diagnosis and management of "
            "X-linked hypophosphataemia"
        ),
        journal="Nat Rev Nephrol",
        year=2019,
        volume="15",
        issue="7",
        pages="435-455",
        doi="10.1038/s41581-019-0152-5",
        pmid="31068690",
    )


def visible_text(entry: str) -> str:
    """What a reader sees of an HTML entry."""
    return html.unescape(re.sub(r"<[^>]+>", "", entry))


# --- journal articles -----------------------------------------------------------------------


def test_journal_article_without_issue_is_year_semicolon_volume_colon_pages() -> None:
    assert format_reference_text(bowden()) == (
        "Bowden SA, Foster BL. Profile of asfotase alfa in the treatment of hypophosphatasia: "
        "design, development, and place in therapy. Drug Des Devel Ther. 2018;12:3147-61. "
        "doi:10.2147/dddt.s154922. PMID: 30288020. PMCID: PMC6161731."
    )


def test_guideline_in_a_journal_is_formatted_as_a_journal_article_with_issue() -> None:
    assert format_reference_text(haffner()) == (
        "Haffner D, Emma F, Eastwood DM, Duplan MB, Bacchetta J, Schnabel D, et al. "
        "Clinical practice recommendations for the diagnosis and management of X-linked "
        "hypophosphataemia. Nat Rev Nephrol. 2019;15(7):435-55. "
        "doi:10.1038/s41581-019-0152-5. PMID: 31068690."
    )


def test_more_than_six_authors_lists_the_first_six_then_et_al() -> None:
    ref = make(authors=GENERIC_AUTHORS[:7], journal="J Test", year=2020, volume="1", pages="1-2")
    assert format_reference_text(ref).startswith(
        "Alpha A, Beta B, Gamma G, Delta D, Epsilon E, Zeta Z, et al. A title. J Test."
    )


def test_exactly_six_authors_are_all_listed_without_et_al() -> None:
    ref = make(authors=GENERIC_AUTHORS[:6], journal="J Test", year=2020, volume="1", pages="5")
    assert format_reference_text(ref) == (
        "Alpha A, Beta B, Gamma G, Delta D, Epsilon E, Zeta Z. A title. J Test. 2020;1:5."
    )


def test_initials_are_written_without_periods_or_spaces() -> None:
    ref = make(authors=[{"family": "Bowden", "initials": "S. A."}], journal="J", year=2018)
    assert format_reference_text(ref).startswith("Bowden SA. A title.")


def test_corporate_author_is_written_as_given() -> None:
    ref = make(
        authors=[{"literal": "American Academy of Pediatrics"}, {"family": "Doe", "initials": "J"}],
        journal="Pediatrics",
        year=2021,
        volume="147",
        issue="2",
        pages="e2020",
    )
    assert format_reference_text(ref) == (
        "American Academy of Pediatrics, Doe J. A title. Pediatrics. 2021;147(2):e2020."
    )


def test_no_author_starts_with_the_title() -> None:
    ref = make(title="Hypophosphatasia in adults", journal="Lancet", year=2020, volume="395")
    assert format_reference_text(ref) == "Hypophosphatasia in adults. Lancet. 2020;395."


@pytest.mark.parametrize(
    ("title", "written"),
    [
        ("Is it rickets?", "Is it rickets? J Test."),
        ("Bones matter!", "Bones matter! J Test."),
        ("Already ended.", "Already ended. J Test."),
        ("Needs a period", "Needs a period. J Test."),
    ],
)
def test_title_ends_with_one_period_unless_it_has_its_own_end_mark(
    title: str, written: str
) -> None:
    ref = make(title=title, journal="J Test", year=2020)
    assert written in format_reference_text(ref)


@pytest.mark.parametrize(
    ("pages", "abbreviated"),
    [
        ("3147-3161", "3147-61"),
        ("123-129", "123-9"),
        ("1199-1201", "1199-201"),
        ("435-455", "435-55"),
        ("99-101", "99-101"),  # different lengths: nothing shared to drop
        ("3147-61", "3147-61"),  # already abbreviated
        ("12–19", "12-9"),  # en dash
        ("5-5", "5"),
        ("e12345", "e12345"),  # article number kept
        ("e12-e19", "e12-e19"),  # non-numeric range kept
        ("S10-S15", "S10-S15"),
        ("123-129, 140-145", "123-9, 140-5"),
    ],
)
def test_page_ranges_drop_repeated_leading_digits(pages: str, abbreviated: str) -> None:
    assert abbreviate_pages(pages) == abbreviated


def test_electronic_only_article_gives_the_article_number_after_the_year() -> None:
    ref = make(journal="PLoS One", year=2021, pages="e0245678")
    assert format_reference_text(ref) == "A title. PLoS One. 2021:e0245678."


def test_article_ahead_of_print_says_epub_ahead_of_print() -> None:
    ref = make(journal="Bone", year=2024, doi="10.1016/j.bone.2024.1")
    assert format_reference_text(ref) == (
        "A title. Bone. 2024 [Epub ahead of print]. doi:10.1016/j.bone.2024.1."
    )


def test_systematic_review_in_a_journal_is_formatted_as_a_journal_article() -> None:
    ref = make(
        kind=Kind.SYSTEMATIC_REVIEW,
        journal="Cochrane Database Syst Rev",
        year=2019,
        volume="6",
        pages="CD012345",
    )
    assert format_reference_text(ref) == ("A title. Cochrane Database Syst Rev. 2019;6:CD012345.")


# --- books, chapters, documents -------------------------------------------------------------


def test_book_gives_edition_place_publisher_and_year() -> None:
    ref = make(
        kind=Kind.BOOK,
        authors=[{"family": "Glorieux", "initials": "FH"}],
        title="Pediatric bone: biology and diseases",
        edition="2",
        place="London",
        publisher="Academic Press",
        year=2012,
    )
    assert format_reference_text(ref) == (
        "Glorieux FH. Pediatric bone: biology and diseases. 2nd ed. London: Academic Press; 2012."
    )


@pytest.mark.parametrize(
    ("edition", "written"),
    [("1", "1st ed."), ("3", "3rd ed."), ("11", "11th ed."), ("22", "22nd ed."),
     ("4th ed.", "4th ed."), ("Rev", "Rev ed."), ("", "")],
)  # fmt: skip
def test_edition_numbers_become_ordinals(edition: str, written: str) -> None:
    assert format_edition(edition) == written


def test_book_without_place_uses_the_citing_medicine_placeholder() -> None:
    ref = make(kind=Kind.BOOK, publisher="Springer", year=2010)
    assert format_reference_text(ref) == "A title. [place unknown]: Springer; 2010."


def test_chapter_names_its_editors_book_edition_and_pages() -> None:
    ref = make(
        kind=Kind.CHAPTER,
        authors=[{"family": "Whyte", "initials": "MP"}],
        title="Hypophosphatasia",
        editors=[
            {"family": "Bilezikian", "initials": "JP"},
            {"family": "Bouillon", "initials": "R"},
        ],
        container_title="Primer on the metabolic bone diseases and disorders of mineral metabolism",
        edition="9",
        place="Hoboken (NJ)",
        publisher="Wiley-Blackwell",
        year=2018,
        pages="643-649",
    )
    assert format_reference_text(ref) == (
        "Whyte MP. Hypophosphatasia. In: Bilezikian JP, Bouillon R, editors. Primer on the "
        "metabolic bone diseases and disorders of mineral metabolism. 9th ed. Hoboken (NJ): "
        "Wiley-Blackwell; 2018. p. 643-9."
    )


def test_chapter_with_one_editor_says_editor() -> None:
    ref = make(
        kind=Kind.CHAPTER,
        editors=[{"family": "Smith", "initials": "J"}],
        container_title="Book",
        place="Boston",
        publisher="Pub",
        year=2000,
        pages="1-10",
    )
    assert "In: Smith J, editor. Book." in format_reference_text(ref)


def test_web_page_has_internet_medium_cited_date_and_url() -> None:
    ref = make(
        kind=Kind.WEB_PAGE,
        authors=[{"literal": "National Organization for Rare Disorders"}],
        title="Hypophosphatasia",
        place="Danbury (CT)",
        publisher="NORD",
        year=2023,
        accessed_on=datetime.date(2024, 3, 5),
        url="https://rarediseases.org/rare-diseases/hypophosphatasia/",
    )
    assert format_reference_text(ref) == (
        "National Organization for Rare Disorders. Hypophosphatasia [Internet]. Danbury (CT): "
        "NORD; 2023 [cited 2024 Mar 5]. "
        "Available from: https://rarediseases.org/rare-diseases/hypophosphatasia/"
    )


def test_guideline_without_journal_is_an_internet_document_issued_by_its_body() -> None:
    ref = make(
        kind=Kind.GUIDELINE,
        authors=[{"literal": "National Institute for Health and Care Excellence"}],
        title="Vitamin D deficiency in children",
        place="London",
        year=2022,
        accessed_on=datetime.date(2024, 11, 20),
        url="https://example.org/guidance/ng1",
    )
    assert format_reference_text(ref) == (
        "National Institute for Health and Care Excellence. Vitamin D deficiency in children "
        "[Internet]. London: National Institute for Health and Care Excellence; 2022 "
        "[cited 2024 Nov 20]. Available from: https://example.org/guidance/ng1"
    )


def test_systematic_review_without_journal_or_url_is_a_report() -> None:
    ref = make(
        kind=Kind.SYSTEMATIC_REVIEW,
        authors=[{"literal": "Agency X"}],
        title="Review of Y",
        place="Rockville (MD)",
        publisher="Agency X",
        year=2015,
    )
    assert format_reference_text(ref) == ("Agency X. Review of Y. Rockville (MD): Agency X; 2015.")


# --- HTML -----------------------------------------------------------------------------------


def test_html_links_doi_pmid_and_pmcid_with_noopener() -> None:
    entry = format_reference(bowden())
    assert (
        '<a href="https://doi.org/10.2147/dddt.s154922" rel="noopener">'
        "doi:10.2147/dddt.s154922</a>." in entry
    )
    assert (
        'PMID: <a href="https://pubmed.ncbi.nlm.nih.gov/30288020/" rel="noopener">30288020</a>.'
        in entry
    )
    assert (
        'PMCID: <a href="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC6161731/" '
        'rel="noopener">PMC6161731</a>.' in entry
    )


def test_html_links_a_web_page_url_to_itself() -> None:
    ref = make(kind=Kind.WEB_PAGE, url="https://example.org/a?b=1&c=2", year=2020)
    assert (
        'Available from: <a href="https://example.org/a?b=1&amp;c=2" rel="noopener">'
        "https://example.org/a?b=1&amp;c=2</a>" in format_reference(ref)
    )


def test_html_says_what_the_text_says() -> None:
    for ref in (bowden(), haffner()):
        assert visible_text(format_reference(ref)) == format_reference_text(ref)


def test_html_escapes_hostile_field_values() -> None:
    ref = make(
        authors=[{"family": "<img src=x onerror=alert(1)>", "initials": "X"}],
        title="<script>alert('t')</script>",
        journal='J" onmouseover="x',
        year=2020,
        doi='10.1000/"><script>x</script>',
        pmid='1"><b>',
    )
    entry = format_reference(ref)
    assert "<script>" not in entry
    assert "<img" not in entry
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in entry
    assert 'onmouseover="x' not in entry
    assert "<b>" not in entry
    # Escaping does not change what the reader sees.
    assert visible_text(entry) == format_reference_text(ref)


def test_url_that_is_not_http_is_shown_but_never_linked() -> None:
    ref = make(kind=Kind.WEB_PAGE, url="javascript:alert(1)", year=2020)
    entry = format_reference(ref)
    assert "href" not in entry
    assert "Available from: javascript:alert(1)" in entry


def test_retracted_reference_carries_a_visible_flag() -> None:
    ref = bowden()
    ref.retracted_on = datetime.date(2020, 1, 1)
    entry = format_reference(ref)
    assert entry.endswith(' <strong class="ref-flag">[Retracted]</strong>')
    assert format_reference_text(ref).endswith(" [Retracted]")


def test_superseded_reference_carries_a_flag() -> None:
    ref = bowden()
    ref.superseded_by_id = 42
    assert format_reference(ref).endswith(' <span class="ref-flag">[Superseded]</span>')
    assert format_reference_text(ref).endswith("PMC6161731. [Superseded]")


def test_truncated_author_list_is_followed_by_et_al() -> None:
    """A stored list marked as truncated ends in "et al." even with fewer than six names."""
    ref = Reference(
        citekey="haffner-2025",
        kind=Reference.Kind.GUIDELINE,
        authors=[{"family": "Haffner", "initials": "D"}],
        more_authors=True,
        title="Clinical practice recommendations for the diagnosis and management of X-linked hypophosphataemia (update)",
        journal="Nat Rev Nephrol",
        year=2025,
        volume="21",
        issue="5",
        pages="330-354",
    )
    assert format_reference_text(ref).startswith("Haffner D, et al. Clinical practice")


class TestCitingMedicineFixes:
    def test_journal_abbreviations_lose_their_periods(self) -> None:
        ref = Reference(title="T", journal="J. Chem. Phys.", year=2020, volume="1", pages="1-5")
        assert "J Chem Phys. 2020;1:1-5." in format_reference_text(ref)

    def test_an_edited_book_names_its_editors(self) -> None:
        ref = Reference(
            kind=Kind.BOOK,
            title="Bone",
            editors=[{"family": "Smith", "initials": "J"}, {"family": "Jones", "initials": "K"}],
            place="Berlin",
            publisher="Springer",
            year=2010,
        )
        assert (
            format_reference_text(ref) == "Smith J, Jones K, editors. Bone. Berlin: Springer; 2010."
        )

    def test_a_name_suffix_follows_the_initials(self) -> None:
        ref = Reference(
            title="T",
            journal="J",
            year=2020,
            volume="1",
            authors=[{"family": "King", "initials": "ML", "suffix": "Jr"}],
        )
        assert format_reference_text(ref).startswith("King ML Jr. T.")

    def test_a_thesis_says_dissertation(self) -> None:
        ref = Reference(
            kind=Kind.THESIS,
            title="Bones",
            authors=[{"family": "Smith", "initials": "J"}],
            place="Oxford",
            publisher="University of Oxford",
            year=2010,
        )
        assert format_reference_text(ref) == (
            "Smith J. Bones [dissertation]. Oxford: University of Oxford; 2010."
        )

    def test_a_forthcoming_article_is_forthcoming_not_epub(self) -> None:
        ref = Reference(title="T", journal="Bone", year=2026, status=Reference.Status.FORTHCOMING)
        assert format_reference_text(ref) == "T. Bone. Forthcoming 2026."

    def test_part_of_a_website_keeps_the_site_name(self) -> None:
        ref = Reference(
            kind=Kind.WEB_PAGE,
            title="Hypophosphatasia",
            container_title="MedlinePlus",
            place="Bethesda (MD)",
            publisher="National Library of Medicine",
            year=2024,
            accessed_on=datetime.date(2025, 3, 5),
            url="https://medlineplus.gov/hpp",
        )
        assert format_reference_text(ref) == (
            "MedlinePlus [Internet]. Bethesda (MD): National Library of Medicine; 2024 "
            "[cited 2025 Mar 5]. Hypophosphatasia. Available from: https://medlineplus.gov/hpp"
        )
