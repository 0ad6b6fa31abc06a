"""Dose statements in article text: a quantity of a medicine with how often or by which route.

Content with dose statements needs the board's high-risk quorum, and the clinical diff flags any
change to the words these are made of; both read the vocabulary here, so what counts as a dose
word is decided once. A *dose statement* is a number (integers, decimals with point or comma,
ranges "15-30" or "15 to 30") with a dose unit (mg, mcg, µg, g, IU, units, mL, mmol...) or a
dosage form (tablet, capsule, puff...), followed in the same clause by a frequency (daily, per
day, "/day", twice a day, every 8 hours, bid...) or a route (orally, by mouth, IV, IM, SC,
topically...). Lab values are quantities too ("ALP 35 U/L", "CRP 5 mg/L"): a unit followed by
"/" and anything but a dosing denominator (kg, m², a time) is a concentration or a rate, never a
dose, even when a frequency follows ("measured daily").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# One number as the diff tokenises it: integers, decimals, thousands separators ("1,600", "0.50",
# ".5"), joined into ranges, fractions and ratios ("15-30", "1/2", "1:1000"), with an optional
# percent sign.
NUMBER = r"(?:\d+(?:[.,]\d+)*|[.,]\d+)(?:[-–—/:](?:\d+(?:[.,]\d+)*|[.,]\d+))*%?"

# Dose and strength units, dosage forms, and how often or how long: the words whose change the
# diff flags as clinical. Generous on purpose, because a false flag costs the reviewer a glance
# and a missed one can cost a patient.
DOSE_WORDS = frozenset(
    {
        "mg", "mcg", "µg", "μg", "ug", "ng", "g", "gm", "kg", "gram", "grams", "kilogram",
        "kilograms", "milligram", "milligrams", "microgram", "micrograms", "nanogram", "nanograms",
        "ml", "l", "dl", "cl", "litre", "litres", "liter", "liters", "millilitre", "millilitres",
        "milliliter", "milliliters", "cc",
        "iu", "unit", "units", "mmol", "µmol", "μmol", "mol", "meq", "mosm", "%", "percent",
        "kcal", "cal", "m²", "m2",
        "dose", "doses", "dosage", "dosing", "tablet", "tablets", "tab", "tabs", "capsule",
        "capsules", "pill", "pills", "drop", "drops", "puff", "puffs", "sachet", "sachets",
        "patch", "patches", "spray", "sprays", "teaspoon", "teaspoons", "tablespoon",
        "tablespoons", "tsp", "tbsp", "ampoule", "ampoules", "vial", "vials",
        "per", "times", "once", "twice", "thrice", "daily", "nightly", "hourly", "weekly",
        "fortnightly", "monthly", "yearly", "annually", "bd", "bid", "tds", "tid", "qds", "qid",
        "od", "prn", "stat",
        "s", "sec", "second", "seconds", "min", "mins", "minute", "minutes", "h", "hr", "hrs",
        "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year", "years",
    }
)  # fmt: skip

# --- the recogniser ---------------------------------------------------------------------------

_NUM = r"(?:\d+(?:[.,]\d+)*|[.,]\d+)"
_AMOUNT = rf"{_NUM}(?:\s*(?:-|–|—|to)\s*{_NUM})?"
_NUMBER_WORD = r"(?:one|two|three|four|five|six|half\s+a|a\s+half|½|¼)"
# Units a medicine is dosed in. Body weight ("70 kg") and percentages are left out: alone they
# describe a person or a population, not a dose.
_UNIT = (
    r"(?:mg|mcg|µg|μg|ug|micrograms?|milligrams?|grams?|g|gm|IU|iu|units?|mL|ml|"
    r"millilit(?:re|er)s?|mmol|mEq|meq)"
)
_FORM = (
    r"(?:tablets?|tabs?|capsules?|caps|pills?|drops?|puffs?|sachets?|patch(?:es)?|sprays?|"
    r"teaspoons?|tsp|tablespoons?|tbsp|ampoules?|vials?|injections?|suppositor(?:y|ies)|"
    r"lozenges?|inhalations?)"
)
_PER_TIME = r"(?:day|d|24\s?h|week|wk|month|h|hr|hour|dose)"
# "mg/kg", "mg/m²" and "mg/day" are doses; any other "/..." after a unit is a concentration or a
# rate ("U/L", "mmol/L", "mL/min"), and the lookahead refuses it.
_DOSED_UNIT = rf"{_UNIT}(?:/(?:kg|m2|m²))?(?P<per>/{_PER_TIME})?(?![\w/])"
_QUANTITY = rf"(?:{_AMOUNT}\s*{_DOSED_UNIT}|(?:{_AMOUNT}|{_NUMBER_WORD})\s+{_FORM}\b)"

_TIMES = r"(?:once|twice|thrice|(?:\d+|one|two|three|four|five|six)\s+times)"
_PERIOD = r"(?:day|daily|week|weekly|month|monthly|night|morning|evening)"
_FREQUENCY = (
    r"(?:daily|nightly|weekly|fortnightly|monthly|hourly|"
    rf"{_TIMES}(?:\s+(?:a|an|per|each|every)?\s*{_PERIOD})?|"
    rf"(?:per|a|each|every)\s+{_PERIOD}|"
    rf"every\s+(?:other\s+day|{_AMOUNT}\s*(?:hours?|hrs?|h|days?|weeks?|months?))|"
    r"(?-i:bid|tid|qid|qds|tds|bd|od|qd|BID|TID|QID|QDS|TDS|BD|OD|QD|PRN|prn|nocte|mane)|"
    r"b\.i\.d\.|t\.i\.d\.|q\.i\.d\.|q\d+h|at\s+(?:night|bedtime)|before\s+bed)"
)
_ROUTE = (
    r"(?:orally|oral|by\s+mouth|per\s+os|(?-i:PO|IV|IM|SC|SQ)|i\.v\.|i\.m\.|s\.c\.|"
    r"subcutaneous(?:ly)?|intravenous(?:ly)?|intramuscular(?:ly)?|topical(?:ly)?|"
    r"sublingual(?:ly)?|inhaled|by\s+inhalation|rectal(?:ly)?|per\s+rectum|"
    r"transdermal(?:ly)?|nebuli[sz]ed|by\s+injection|applied\s+to\s+the\s+skin)"
)
# A few words may stand between the quantity and its frequency or route ("400 mg, taken with
# food, three times a day"); never a number, a sentence end or a line break.
_GAP = r"(?:[ \t,]+(?:[^\W\d_][\w'’-]*|\([^()\n\d]{0,30}\))){0,4}?[ \t,]+"
_TAIL = rf"{_GAP}(?:{_FREQUENCY}|{_ROUTE})(?![\w])"
_STATEMENT = re.compile(
    rf"(?<![\w.,/-])(?:{_QUANTITY})(?:{_TAIL})*",
    re.IGNORECASE,
)
_QUANTITY_ONLY = re.compile(_QUANTITY.replace("?P<per>", "?:"), re.IGNORECASE)
# The word or two before a quantity name what is dosed ("Zinc 15-30 mg daily").
_LEAD = re.compile(r"(?:[^\W\d_][\w'’-]*[ \t]+){1,2}$")
_LEAD_SKIP = frozenset(
    {"are", "is", "was", "the", "a", "an", "of", "and", "or", "to", "take", "takes", "taking",
     "give", "given", "used", "use", "with", "then", "at", "usually", "often", "be", "as", "about"}
)  # fmt: skip
_MAX_STATEMENT = 120


@dataclass(frozen=True)
class DoseStatement:
    """One dose statement found in one audience's text."""

    audience: str
    text: str


def find_doses(text: str) -> list[str]:
    """The dose statements in one text, in order, each as written (with what is dosed before it).

    A quantity counts only with a frequency or a route: "Zinc 15-30 mg daily" and "1 tablet by
    mouth" do, "a 10 mg tablet", "stage 3" or "ALP 35 U/L" do not.
    """
    return [_with_lead(text, match) for match in _statements(text)]


def dose_spans(text: str) -> list[tuple[int, int]]:
    """Where the text states a dose or a dosed quantity: (start, end) offsets, in order.

    Dose statements as `find_doses` reads them ("1 tablet twice daily") and, alone, quantities
    in a dose unit or dosage form ("15 mg", "2 tablets"): an edit inside either changes a dose.
    A lab value ("ALP 35 U/L") is neither.
    """
    spans = [match.span() for match in _statements(text)]
    spans += [match.span() for match in _QUANTITY_ONLY.finditer(text)]
    return sorted(spans)


def _statements(text: str) -> list[re.Match[str]]:
    found = []
    for match in _STATEMENT.finditer(text):
        # "2 g/day" carries its frequency; otherwise a frequency or route must follow.
        quantity = _QUANTITY_ONLY.match(text, match.start())
        if match.group("per") or (quantity is not None and quantity.end() < match.end()):
            found.append(match)
    return found


def version_doses(texts: Mapping[str, str]) -> list[DoseStatement]:
    """The dose statements in every audience's text of a version, by audience key then order."""
    return [
        DoseStatement(audience=key, text=statement)
        for key in sorted(texts)
        for statement in find_doses(texts[key] or "")
    ]


def _with_lead(text: str, match: re.Match[str]) -> str:
    line_start = text.rfind("\n", 0, match.start()) + 1
    before = text[max(line_start, match.start() - 60) : match.start()]
    lead = _LEAD.search(before)
    words = lead.group(0).split() if lead else []
    while words and words[0].casefold() in _LEAD_SKIP:
        words.pop(0)
    statement = " ".join([*words, " ".join(match.group(0).split())])
    return statement[:_MAX_STATEMENT]
