"""De-duplication never merges two works: identifiers first, then title, year and first author
with nothing that locates the work disagreeing; anything uncertain is the editor's choice."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from references.importing import Action, PlanChanged, references_import, references_import_plan
from references.models import Reference
from tests.factories import make_reference

pytestmark = pytest.mark.django_db


def ris(*records: str) -> bytes:
    return "\n".join(f"TY  - JOUR\n{body.strip()}\nER  - \n" for body in records).encode()


SERIES = "AU  - Whyte, M. P.\nTI  - Hypophosphatasia in adults\nPY  - 2020\nJO  - Bone\nVL  - 12\n"


def test_a_paper_of_a_series_in_another_issue_is_created_not_written_onto_the_first() -> None:
    first = make_reference(
        authors=[{"family": "Whyte", "initials": "MP"}],
        title="Hypophosphatasia in adults",
        year=2020,
        journal="Bone",
        volume="12",
        issue="1",
        pages="1-9",
        pmid="",
    )
    plan = references_import(
        data=ris(
            SERIES + "IS  - 2\nSP  - 20\nEP  - 29\nDO  - 10.1000/part-two\nUR  - https://x.org/2"
        ),
        filename="r.ris",
    )
    assert [row.action for row in plan.rows] == [Action.CREATE]
    first.refresh_from_db()
    assert (first.doi, first.url) == ("", "")
    assert Reference.objects.get(doi="10.1000/part-two").issue == "2"


def test_the_same_series_pair_in_one_file_is_two_works_not_a_repeat() -> None:
    plan = references_import(
        data=ris(SERIES + "IS  - 1\nSP  - 1\nEP  - 9", SERIES + "IS  - 2\nSP  - 20\nEP  - 29"),
        filename="r.ris",
    )
    assert plan.counts["create"] == 2


def test_markup_entities_ampersand_transliteration_and_particles_still_match() -> None:
    existing = make_reference(
        authors=[{"family": "de Hoon", "initials": "M"}, {"family": "Wörmann", "initials": "B"}],
        title="<i>In vivo</i> effects of calcium &amp; phosphate in Wörmann's cohort",
        year=2018,
        pmid="",
    )
    plan = references_import(
        data=ris(
            "AU  - Hoon, M de\nTI  - In vivo effects of calcium and phosphate in Woermann's "
            "cohort\nPY  - 2018\nDO  - 10.1000/cohort"
        ),
        filename="r.ris",
    )
    assert [(row.action, row.matched_by) for row in plan.rows] == [
        (Action.UPDATE, "title and year")
    ]
    existing.refresh_from_db()
    assert existing.doi == "10.1000/cohort"


def test_a_name_suffix_does_not_make_another_first_author() -> None:
    make_reference(
        authors=[{"family": "King", "initials": "ML", "suffix": "Jr"}],
        title="A dream of equal care",
        year=2001,
        pmid="",
    )
    plan = references_import_plan(
        data=ris("AU  - King Jr, M. L.\nTI  - A dream of equal care\nPY  - 2001\nJO  - J Test"),
        filename="r.ris",
    )
    assert [row.action for row in plan.rows] == [Action.DUPLICATE]


def test_the_epub_year_and_the_print_year_of_one_work_match_when_journal_and_volume_agree() -> None:
    make_reference(
        authors=[{"family": "Rush", "initials": "ET"}],
        title="Burosumab in adults",
        year=2019,
        journal="Bone",
        volume="130",
        pmid="",
    )
    plan = references_import_plan(
        data=ris("AU  - Rush, E. T.\nTI  - Burosumab in adults\nPY  - 2020\nJO  - Bone\nVL  - 130"),
        filename="r.ris",
    )
    assert [(row.action, row.matched_by) for row in plan.rows] == [
        (Action.DUPLICATE, "title and year")
    ]


def test_an_uncertain_match_is_kept_apart_and_shown_until_the_editor_merges_it() -> None:
    existing = make_reference(
        authors=[{"family": "Rush", "initials": "ET"}],
        title="Burosumab in adults",
        year=2019,
        journal="J Bone Miner Res",
        pmid="",
    )
    data = ris(
        "AU  - Rush, E. T.\nTI  - Burosumab in adults\nPY  - 2019\n"
        "JO  - Journal of Bone and Mineral Research\nDO  - 10.1000/buro"
    )
    plan = references_import_plan(data=data, filename="r.ris")
    (row,) = plan.rows
    assert row.action == Action.CREATE
    assert row.possible.startswith(f"possible duplicate of library reference “{existing.citekey}”")
    assert "journal" in row.possible
    with pytest.raises(PlanChanged):  # the answer is part of what was confirmed
        references_import(
            data=data, filename="r.ris", merge=frozenset({1}), expected_digest=plan.digest()
        )
    chosen = references_import_plan(data=data, filename="r.ris", merge=frozenset({1}))
    merged = references_import(
        data=data, filename="r.ris", merge=frozenset({1}), expected_digest=chosen.digest()
    )
    assert [row.action for row in merged.rows] == [Action.UPDATE]
    existing.refresh_from_db()
    assert existing.doi == "10.1000/buro"


def test_a_record_is_found_by_its_pmcid() -> None:
    existing = make_reference(title="Old title", pmid="", pmcid="PMC123456")
    plan = references_import_plan(
        data=ris("TI  - A retitled version\nPY  - 2020\nC2  - PMC123456"), filename="r.ris"
    )
    assert [(row.action, row.reference.pk, row.matched_by) for row in plan.rows] == [
        (Action.DUPLICATE, existing.pk, "PMCID")
    ]


INVALID_SECOND = (
    "AU  - Rush, E. T.\nTI  - Valid one\nPY  - 2020",
    "AU  - Foster, B. L.\nTI  - Broken one\nPY  - 2020\nDO  - not-a-doi",
)


def test_an_invalid_record_still_refuses_the_whole_file_by_default(tmp_path) -> None:
    path = tmp_path / "r.ris"
    path.write_bytes(ris(*INVALID_SECOND))
    with pytest.raises(CommandError, match="record 2"):
        call_command("import_references", str(path), no_progress=True, stdout=io.StringIO())
    assert not Reference.objects.exists()


def test_skip_invalid_imports_the_valid_records_and_reports_the_skipped_ones(tmp_path) -> None:
    path = tmp_path / "r.ris"
    path.write_bytes(ris(*INVALID_SECOND))
    out = io.StringIO()
    call_command("import_references", str(path), no_progress=True, skip_invalid=True, stdout=out)
    assert list(Reference.objects.values_list("title", flat=True)) == ["Valid one"]
    assert "Skipped 1 invalid record (2):" in out.getvalue()
    assert "r.ris, record 2 (line 11): doi (DO): “not-a-doi” is not a DOI" in out.getvalue()
