"""Dose statements: a quantity with a frequency or a route, not any number near a unit."""

from __future__ import annotations

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
]


@pytest.mark.parametrize(("text", "statement"), DOSE_STATEMENTS)
def test_a_quantity_with_a_frequency_or_route_is_a_dose_statement(
    text: str, statement: str
) -> None:
    assert find_doses(text) == [statement]


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
    assert spans == {"1 tablet", "1 tablet twice daily", "15 mg"}
