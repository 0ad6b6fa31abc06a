"""BibTeX as JabRef, Web of Science, Scopus, BibDesk and biblatex users really write it."""

from __future__ import annotations

import pytest

from references.importing import references_import_plan
from references.parsers import ReferenceFileError
from tests.references.quirks import fields, parsed, quirk


def test_capitalised_author_field_is_split_into_every_person() -> None:
    """`Author = {A and B and C and D}` (JabRef, Web of Science) is four people, not one."""
    first, second = fields("capitalised_fields.bib")
    assert first["authors"] == [
        {"family": "Bowden", "initials": "SA"},
        {"family": "Foster", "initials": "BL"},
        {"family": "Rush", "initials": "ET"},
        {"family": "Whyte", "initials": "MP"},
    ]
    assert first["doi"] == "10.2147/DDDT.S154922"


def test_a_single_personal_name_is_a_person_not_a_corporate_author() -> None:
    """`Author = {Eric T. Rush}` is Rush ET, not the body "Eric T. Rush"."""
    assert fields("capitalised_fields.bib")[1]["authors"] == [{"family": "Rush", "initials": "ET"}]


def test_name_suffixes_and_particles_are_kept() -> None:
    """ "King, Jr., Martin Luther" keeps Jr; "van der" and "de la" stay in the family name."""
    assert fields("suffixes_particles.bib")[0]["authors"] == [
        {"family": "King", "initials": "ML", "suffix": "Jr"},
        {"family": "Gates", "initials": "WH", "suffix": "III"},
        {"family": "van der Berg", "initials": "A"},
        {"family": "de la Cruz", "initials": "J"},
    ]


def test_string_macros_joined_with_hash_are_expanded() -> None:
    """`journal = full` where `full = jbmr # miner # " Res"` reads "J Bone Miner Res"."""
    (record,) = fields("string_concatenation.bib")
    assert record["journal"] == "J Bone Miner Res"
    assert record["year"] == 2016


def test_crossref_and_xdata_fields_are_inherited() -> None:
    """A chapter takes its book's title, editors, year and (through xdata) publisher and place."""
    chapter, book = fields("crossref_xdata.bib")
    assert chapter["container_title"].startswith("Primer on the Metabolic Bone Diseases")
    assert chapter["editors"] == [
        {"family": "Bilezikian", "initials": "JP"},
        {"family": "Bouillon", "initials": "R"},
    ]
    assert (chapter["year"], chapter["publisher"], chapter["place"]) == (
        2018,
        "Wiley-Blackwell",
        "Hoboken (NJ)",
    )
    assert book["publisher"] == "Wiley-Blackwell"


def test_latex_logos_are_kept_and_math_reads_as_text() -> None:
    """ "The \\TeX Book" keeps TeX; Cu$_2$O reads Cu₂O, $\\alpha$ reads α."""
    knuth, cu2o = fields("latex_macros_math.bib")
    assert knuth["title"] == "The TeX Book"
    assert cu2o["title"] == "Photocatalytic Cu₂O films and α-Fe₂O₃ at 10⁻³ torr"


def test_a_missing_comma_is_refused_naming_record_line_and_field() -> None:
    """The title does not swallow the next field: record 2, the line after the title, "title"."""
    with pytest.raises(ReferenceFileError) as refused:
        parsed("missing_comma.bib")
    assert [p.located("refs.bib") for p in refused.value.problems] == [
        "refs.bib, record 2 (line 11): a comma is missing after the value of “title”: "
        "“journal = …” follows it."
    ]


def test_repeated_fields_are_accepted_and_joined() -> None:
    """Scopus repeats funding_details, Web of Science Author-Email: the entry is read."""
    (record,) = parsed("repeated_fields.bib")
    assert record.fields["title"] == "Profile of asfotase alfa in the treatment of hypophosphatasia"
    assert not record.problems


def test_biblatex_collection_inreference_and_patent_are_read() -> None:
    """@collection is an edited book, @inreference a chapter, @patent a patent."""
    collection, entry, patent = fields("biblatex_types.bib")
    assert (collection["kind"], collection["editors"][0]["family"]) == ("book", "Bilezikian")
    assert (entry["kind"], entry["container_title"]) == (
        "chapter",
        "Encyclopedia of Endocrine Diseases",
    )
    assert (patent["kind"], patent["year"]) == ("patent", 2013)


@pytest.mark.django_db
def test_an_edition_longer_than_thirty_characters_is_imported() -> None:
    """ "3., erw. und aktualisierte Aufl." fits the edition field whole."""
    plan = references_import_plan(data=quirk("long_edition.bib"), filename="refs.bib")
    assert plan.ok, plan.messages()
    assert plan.rows[0].reference.edition == "3., erw. und aktualisierte Aufl."


@pytest.mark.django_db
def test_a_file_key_with_a_dot_is_kept_as_the_citekey() -> None:
    """`Bennett.Checkel_2015` (Better BibTeX style) becomes the citekey, lower-cased."""
    plan = references_import_plan(data=quirk("citekey_with_dot.bib"), filename="refs.bib")
    assert plan.ok, plan.messages()
    assert plan.rows[0].reference.citekey == "bennett.checkel_2015"


@pytest.mark.django_db
def test_short_and_url_encoded_dois_are_imported() -> None:
    """A shortDOI is kept as its doi.org link; "10.1007%2F…" is decoded to "10.1007/…"."""
    plan = references_import_plan(data=quirk("doi_forms.bib"), filename="refs.bib")
    assert plan.ok, plan.messages()
    short, encoded = (row.reference for row in plan.rows)
    assert (short.doi, short.url) == ("", "https://doi.org/10/fqd6hj")
    assert encoded.doi == "10.1007/s00125-020-05151-3"


def test_pubstate_forthcoming_sets_the_status() -> None:
    """biblatex `pubstate = {forthcoming}` is the Forthcoming status."""
    assert fields("pubstate_forthcoming.bib")[0]["status"] == "forthcoming"


def test_a_subject_keyword_about_guidelines_does_not_make_a_guideline() -> None:
    """keywords "Practice Guidelines as Topic" leave a research @article a journal article."""
    assert fields("topic_keyword.bib")[0]["kind"] == "journal-article"


def test_an_edited_book_keeps_its_editors() -> None:
    """@book with editors and no author: the editors are kept."""
    assert fields("edited_book.bib")[0]["editors"] == [
        {"family": "Bilezikian", "initials": "JP"},
        {"family": "Bouillon", "initials": "R"},
    ]
