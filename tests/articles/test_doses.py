"""Dose statements: a quantity with a frequency or a route, not any number near a unit."""

from __future__ import annotations

import time

import pytest

from articles.doses import dose_spans, find_doses, version_doses

DOSE_STATEMENTS = [
    ("Zinc 15-30 mg daily", "Zinc 15-30 mg daily"),
    ("Adults need 2 g/day.", "Adults need 2 g/day"),
    ("Give 100 mcg orally twice a day.", "100 mcg orally twice a day"),
    ("Take 1 tablet by mouth.", "1 tablet by mouth"),
    ("Gentamicin 5 mg/kg IV every 8 hours.", "Gentamicin 5 mg/kg IV every 8 hours"),
    ("Doses often used are zinc 15 to 30 mg a day.", "zinc 15 to 30 mg a day"),
    ("vitamin B12 1,000 mcg a day when you are low in it", "vitamin B12 1,000 mcg a day"),
    ("Phosphate: 750-1,600 mg/day of elemental phosphorus", "750-1,600 mg/day"),
    ("Calcitriol: 0.50-0.75 micrograms/day", "0.50-0.75 micrograms/day"),
    ("colecalciferol 800 IU daily", "colecalciferol 800 IU daily"),
    ("paracetamol 0,5 g every 6 hours", "paracetamol 0,5 g every 6 hours"),
    ("alendronate 70 mg once weekly", "alendronate 70 mg once weekly"),
    ("vitamin D 50,000 units weekly for 8 weeks", "vitamin D 50,000 units weekly"),
    ("insulin glargine 10 units SC at bedtime", "insulin glargine 10 units SC at bedtime"),
    ("ceftriaxone 2 g IV once daily", "ceftriaxone 2 g IV once daily"),
    ("amoxicillin 500 mg tid", "amoxicillin 500 mg tid"),
    (
        "ibuprofen 400 mg, taken with food, three times a day",
        "ibuprofen 400 mg, taken with food, three times a day",
    ),
    ("salbutamol 2 puffs twice daily", "salbutamol 2 puffs twice daily"),
    ("Take two tablets by mouth each morning", "two tablets by mouth each morning"),
    (
        "asfotase alfa 2 mg/kg subcutaneously three times per week",
        "asfotase alfa 2 mg/kg subcutaneously three times per week",
    ),
    ("morphine 2.5 mg IM", "morphine 2.5 mg IM"),
    ("levothyroxine 100 µg per day", "levothyroxine 100 µg per day"),
    ("5 mL by mouth every 4 to 6 hours", "5 mL by mouth every 4 to 6 hours"),
    # Shapes from patient leaflets and clinician guidance (issue #13).
    (
        "take 2 tablets (500 mg) every 8 hours.",
        "2 tablets (500 mg) every 8 hours",
    ),
    ("Adults: 1000 mg every 6 hours.", "1000 mg every 6 hours"),
    ("Children: 0.5 mg/kg/day in two doses", "0.5 mg/kg/day"),
    ("Give 5 mL three times a day.", "5 mL three times a day"),
    ("Use 1 puff twice daily.", "1 puff twice daily"),
    (
        "The usual dose is 250 micrograms (mcg) once a day.",
        "dose is 250 micrograms (mcg) once a day",
    ),
    ("Inject 10 units at night.", "10 units at night"),
    ("Cefazolin IV 2 g q8h", "Cefazolin IV 2 g q8h"),
    ("Take 1 to 2 tablets every 4 to 6 hours.", "1 to 2 tablets every 4 to 6 hours"),
    (
        "Do not take more than 4 g in 24 hours.",
        "more than 4 g in 24 hours",
    ),
    ("no more than 8 tablets in any 24-hour period", "more than 8 tablets in any 24-hour period"),
    ("Paracetamol 1 g orally", "Paracetamol 1 g orally"),
    ("Ondansetron IV 4 mg", "Ondansetron IV 4 mg"),
    ("Take 2 capsules each morning with water.", "2 capsules each morning"),
    ("The maximum dose is 4 g.", "dose is 4 g"),
    ("Take 500 mg as soon as you remember.", "500 mg"),
    ("Give 15 mg/kg q6h.", "15 mg/kg q6h"),
    # A line break inside a paragraph does not end the statement.
    ("Take 2 tablets\nevery 8 hours with food.", "2 tablets every 8 hours"),
]

NOT_DOSE_STATEMENTS = [
    "People with stage 3 chronic kidney disease",
    "The guideline was published in 2019 and updated in 2025.",
    "It affects about 1 in 100 people.",
    "as shown in reference 12 [@pmid:30288020].",
    "ALP 35 U/L",
    "an ALP below 40 IU/L on two occasions, checked every 3 months",
    "serum phosphate 0.8 mmol/L",
    "eGFR 45 mL/min/1.73 m2 measured twice",
    "a BMI over 30 kg/m2",
    "25-hydroxyvitamin D below 50 nmol/L, rechecked every 3 months",
    "a woman weighing 70 kg",
    "adults aged 65 years or older",
    "in 40% of adults each year",
    "Tablets come in 5 mg and 10 mg strengths.",
    "Take your tablets at the same time every day.",
    "Table 2 lists daily activities.",
    "Repeat the test in 6 weeks.",
    "CRP 5 mg/L measured daily",
    "Hb 120 g/L",
    "Grade 2 oral mucositis",
    "1,000 participants were followed weekly",
    "Figure 3: bone density over 10 years",
    # Lab values with reference ranges: a concentration is not a dose, even beside a frequency.
    "ALP 30-120 U/L",
    "ALP 30-120 U/L, checked every 6 months",
    "Serum calcium 2.2-2.6 mmol/L; phosphate 0.8-1.5 mmol/L daily in hospital",
    "In 2019, 40% of patients had low phosphate.",
    "About 40% of patients stop within 2 years.",
    "Children under 5 years need a smaller dose.",
    "This is common in children under 5 years of age.",
    "Zinc deficiency is rare [@pmid:123] [@pmid:30288020, p. 12].",
    "See pages 120-135 of the 2021 guideline.",
    "Ask your doctor before you start.",
    "Ask your doctor before you start taking any new medicine.",
    "The trial enrolled 2 groups of 250 adults over 12 weeks.",
    "Blood tests every 3 months for the first year.",
    "| Test | Result | Range |\n|---|---|---|\n| ALP | 35 U/L | 30-120 U/L |",
    "| Year | Patients | Share |\n|---|---|---|\n| 2019 | 1,200 | 40% |",
    "Tablets come in 5 mg and 10 mg strengths.\n\nTake them daily.",
]

# Markdown tables: a row is one statement, its cells may hold the amount and the frequency apart.
TABLES = [
    (
        "| Age | Dose | How often |\n|---|---|---|\n| Adults | 1000 mg | every 6 hours |",
        ["Adults | 1000 mg | every 6 hours"],
    ),
    (
        "| Drug | Dose | Route |\n| --- | --- | --- |\n| Ceftriaxone | 2 g | IV |\n"
        "| Zinc | 15-30 mg | daily |\n| Notes | see text | |",
        ["Ceftriaxone | 2 g | IV", "Zinc | 15-30 mg | daily"],
    ),
    (
        "Dosing:\n\n| Weight | Dose |\n|:--|--:|\n| 10-15 kg | 2.5 mL four times a day |",
        ["10-15 kg | 2.5 mL four times a day"],
    ),
]


@pytest.mark.parametrize(("text", "statement"), DOSE_STATEMENTS)
def test_a_quantity_with_a_frequency_or_route_is_a_dose_statement(
    text: str, statement: str
) -> None:
    assert find_doses(text) == [statement]


@pytest.mark.parametrize(("text", "statements"), TABLES)
def test_a_table_row_with_an_amount_and_a_frequency_in_different_cells_is_one_statement(
    text: str, statements: list[str]
) -> None:
    assert find_doses(text) == statements


def test_the_qa_article_is_found_in_both_audiences() -> None:
    """Issue #13: a patient sentence with a bracketed strength and a clinician table row."""
    found = version_doses(
        {
            "patient": "## How to take it\n\nTake 2 tablets (500 mg) every 8 hours.",
            "clinician": "| Group | Dose | Interval |\n|---|---|---|\n"
            "| Adults | 1000 mg | every 6 hours |",
        }
    )
    assert [(d.audience, d.text) for d in found] == [
        ("clinician", "Adults | 1000 mg | every 6 hours"),
        ("patient", "2 tablets (500 mg) every 8 hours"),
    ]


@pytest.mark.parametrize("text", NOT_DOSE_STATEMENTS)
def test_numbers_lab_values_and_doses_without_frequency_or_route_are_not(text: str) -> None:
    assert find_doses(text) == []


def test_every_audience_text_is_searched_and_named() -> None:
    """Each statement carries the audience whose text holds it."""
    found = version_doses(
        {"patient": "Zinc 15 mg daily.", "clinician": "ALP 35 U/L.", "student": "2 g/day"}
    )
    assert [(d.audience, d.text) for d in found] == [
        ("patient", "Zinc 15 mg daily"),
        ("student", "2 g/day"),
    ]


def test_dose_spans_cover_statements_and_bare_quantities_but_not_lab_values() -> None:
    """Where an edit changes a dose: "1 tablet twice daily" and a bare "15 mg", never "35 U/L"."""
    text = "Take 1 tablet twice daily. A 15 mg tablet. ALP 35 U/L. CRP 5 mg/L."
    spans = {text[start:end] for start, end in dose_spans(text)}
    assert spans == {"1 tablet", "1 tablet twice daily", "twice daily", "15 mg"}


def test_dose_spans_cover_a_bare_dosing_frequency_so_changing_it_changes_a_dose() -> None:
    """ "every 8 hours", "twice daily", "q8h": a regimen even when the amount is elsewhere."""
    text = "Use the spray twice daily. Repeat every 8 hours. Or q6h. Checked in 2019."
    spans = {text[start:end] for start, end in dose_spans(text)}
    assert spans == {"twice daily", "every 8 hours", "q6h"}


def test_dose_spans_cover_a_whole_table_row_with_a_dose() -> None:
    text = "| Adults | 1000 mg | every 6 hours |"
    assert (0, len(text)) in dose_spans(text)


ADVERSARIAL = [
    "1 mg" + " ," * 10_000,
    "1 " * 10_000,
    "2 tablets (" + "a" * 20_000,
    "| 1 mg " * 3_400,
    "every " * 3_400,
    ("take " + "word " * 3) * 1_250,
    "1,2" * 7_000,
    "5 mg/" * 4_000,
    "Take 2 tablets (500 mg) every 8 hours.\n" * 500,
    "| :- " * 5_000 + "x",
    "|" + " " * 19_998 + "x",
    "a\n" * 10_000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_detection_stays_linear_on_adversarial_text(text: str) -> None:
    """20,000 characters built to make a regex backtrack: found (or not) well under 100 ms."""
    text = text[:20_000]
    for recognise in (find_doses, dose_spans):
        started = time.perf_counter()
        recognise(text)
        assert time.perf_counter() - started < 0.1, recognise.__name__
