"""Dose statements in article text: a quantity of a medicine with how often or by which route.

Content with dose statements needs the board's high-risk quorum, and the clinical diff flags any
change to the words these are made of; both read the vocabulary here, so what counts as a dose
word is decided once. A *dose statement* is a number (integers, decimals with point or comma,
ranges "15-30" or "15 to 30") with a dose unit (mg, mcg, µg, g, IU, units, mL, mmol...) or a
dosage form (tablet, capsule, puff...), perhaps with a strength in brackets ("2 tablets (500
mg)"), and with any of:

- a frequency after it in the same clause (daily, per day, "/day", twice a day, every 8 hours,
  every 4 to 6 hours, q8h, bid, at night, in 24 hours...) or a route (orally, by mouth, IV, SC...);
- a route just before it ("IV 2 g"), or a dosing word earlier in the clause ("take", "give",
  "dose is", "no more than", "maximum"): "Take 500 mg as soon as you remember";
- in a Markdown table row, a frequency or route in any cell of the row: the row is one statement
  ("| Adults | 1000 mg | every 6 hours |").

A line break inside a paragraph does not end a statement; a blank line, a list item, a heading or
a table row does. Lab values are quantities too ("ALP 30-120 U/L", "CRP 5 mg/L"): a unit followed
by "/" and anything but a dosing denominator (kg, m², a time) is a concentration or a rate, never
a dose, even when a frequency follows ("checked every 6 months"), and "U/L" is no dose unit at
all. Years, percentages, ages ("under 5 years"), page numbers and citation markers carry no dose
unit, so they are never doses. Every pattern is linear: no nested unbounded repeats, and the
look-behinds (what is dosed, a dosing word) read a bounded window before each quantity.
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
# The amount is read once, then its unit or form ("15 mg", "2 tablets", "two tablets").
_QUANTITY = rf"(?:{_AMOUNT}(?:\s*{_DOSED_UNIT}|\s+{_FORM}\b)|{_NUMBER_WORD}\s+{_FORM}\b)"
# A strength or a spelled-out unit in brackets after the quantity: "2 tablets (500 mg)".
_BRACKETED = r"(?:[ \t]*\([^()\n]{1,40}\))?"

_TIMES = r"(?:once|twice|thrice|(?:\d+|one|two|three|four|five|six)\s+times)"
_PERIOD = r"(?:day|daily|week|weekly|month|monthly|night|morning|evening)"
_DAY_24 = r"24(?:\s*|-)(?:hours?|hrs?|h)(?:\s+period)?"
_EVERY_HOURS = rf"every\s+{_AMOUNT}\s*(?:hours?|hrs?|h)\b"
_ABBREVIATION = (
    r"(?-i:bid|tid|qid|qds|tds|BID|TID|QID|QDS|TDS)|b\.i\.d\.|t\.i\.d\.|q\.i\.d\.|q\d+(?:-\d+)?h"
)
# How often a medicine is taken, in words no other sentence uses: changing one changes a dose
# even where the amount stands elsewhere ("Use the spray twice daily").
_REGIMEN = (
    rf"(?:{_TIMES}(?:\s+(?:a|an|per|each|every))?\s+{_PERIOD}|{_EVERY_HOURS}|{_ABBREVIATION}|"
    rf"(?:per|in(?:\s+any)?)\s+{_DAY_24})"
)
_FREQUENCY = (
    rf"(?:{_REGIMEN}|daily|nightly|weekly|fortnightly|monthly|hourly|{_TIMES}|"
    rf"(?:per|a|each|every)\s+{_PERIOD}|"
    rf"every\s+(?:other\s+day|{_AMOUNT}\s*(?:days?|weeks?|months?))|"
    r"(?-i:bd|od|qd|BD|OD|QD|PRN|prn|nocte|mane)|at\s+(?:night|bedtime)|before\s+bed)"
)
_ROUTE = (
    r"(?:orally|oral|by\s+mouth|per\s+os|(?-i:PO|IV|IM|SC|SQ)|i\.v\.|i\.m\.|s\.c\.|"
    r"subcutaneous(?:ly)?|intravenous(?:ly)?|intramuscular(?:ly)?|topical(?:ly)?|"
    r"sublingual(?:ly)?|inhaled|by\s+inhalation|rectal(?:ly)?|per\s+rectum|"
    r"transdermal(?:ly)?|nebuli[sz]ed|by\s+injection|applied\s+to\s+the\s+skin)"
)
# A few words may stand between the quantity and its frequency or route ("400 mg, taken with
# food, three times a day"); never a number, a sentence end or a line break.
# Separators and words are possessive: what they matched is never given back and tried again.
_GAP = r"(?:[ \t,]++(?:[^\W\d_][\w'’-]*+|\([^()\n\d]{0,30}\))){0,4}?[ \t,]++"
_TAIL = rf"{_GAP}(?:{_FREQUENCY}|{_ROUTE})(?![\w])"
_START = r"(?<![\w.,/-])"
_STATEMENT = re.compile(
    rf"{_START}(?P<quantity>{_QUANTITY}){_BRACKETED}(?P<tail>(?:{_TAIL})*)",
    re.IGNORECASE,
)
_PLAIN_QUANTITY = _QUANTITY.replace("?P<per>", "?:")
_QUANTITY_ONLY = re.compile(_START + _PLAIN_QUANTITY, re.IGNORECASE)
_REGIMEN_ONLY = re.compile(rf"(?<![\w.]){_REGIMEN}(?![\w])", re.IGNORECASE)
_FREQUENCY_OR_ROUTE = re.compile(rf"(?<![\w.])(?:{_FREQUENCY}|{_ROUTE})(?![\w])", re.IGNORECASE)
# Before a quantity, in the same clause: a route ("IV 2 g") or a word that makes it a dose.
_DOSING_BEFORE = re.compile(
    rf"(?:(?<![\w.]){_ROUTE}[ \t]+|\b(?:take|takes|taking|give|gives|given|giving|inject|"
    r"injected|apply|inhale|administer|administered|dose|doses|dosage|maximum|max|more\s+than|"
    r"up\s+to|exceed)\b[^\n.;:!?\d]{0,25})$",
    re.IGNORECASE,
)
_WINDOW = 60
# The word or two before a quantity name what is dosed ("Zinc 15-30 mg daily").
_LEAD = re.compile(r"(?:[^\W\d_][\w'’-]*[ \t]+){1,2}$")
_LEAD_SKIP = frozenset(
    {"are", "is", "was", "the", "a", "an", "of", "and", "or", "to", "take", "takes", "taking",
     "give", "given", "used", "use", "with", "then", "at", "usually", "often", "be", "as", "about",
     "inject", "apply", "inhale"}
)  # fmt: skip
# Markdown: a table row, the row under a table's header, a line that starts a block of its own.
_TABLE_ROW = re.compile(r"[ \t]*\|")
_TABLE_RULE = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-*:?[ \t]*)*\|?[ \t]*")
_BLOCK_START = re.compile(r"[ \t]*(?:[-*+][ \t]|\d+[.)][ \t]|#|>|\||$)")
_MAX_STATEMENT = 120


@dataclass(frozen=True)
class DoseStatement:
    """One dose statement found in one audience's text."""

    audience: str
    text: str


def find_doses(text: str) -> list[str]:
    """The dose statements in one text, in order, each as written (with what is dosed before it).

    A quantity counts only with a frequency, a route or a dosing word (see the module's
    docstring): "Zinc 15-30 mg daily" and "1 tablet by mouth" do, "a 10 mg tablet", "stage 3"
    or "ALP 35 U/L" do not. A table row with a dose is one statement, its cells joined by " | ".
    """
    return [statement for _start, _end, statement in _found(text)]


def dose_spans(text: str) -> list[tuple[int, int]]:
    """Where the text states a dose or a dosed quantity: (start, end) offsets, in order.

    Dose statements as `find_doses` reads them ("1 tablet twice daily", a whole table row) and,
    alone, quantities in a dose unit or dosage form ("15 mg", "2 tablets") and dosing regimens
    ("twice daily", "every 8 hours", "q6h"): an edit inside any changes a dose. A lab value
    ("ALP 35 U/L") or a test's interval ("every 3 months") is none of them.
    """
    quantities: list[tuple[int, int]] = []
    spans = [(start, end) for start, end, _statement in _found(text, quantities)]
    spans += [match.span() for match in _REGIMEN_ONLY.finditer(text)]
    return sorted(spans + quantities)


def version_doses(texts: Mapping[str, str]) -> list[DoseStatement]:
    """The dose statements in every audience's text of a version, by audience key then order."""
    return [
        DoseStatement(audience=key, text=statement)
        for key in sorted(texts)
        for statement in find_doses(texts[key] or "")
    ]


def _found(
    text: str, quantities: list[tuple[int, int]] | None = None
) -> list[tuple[int, int, str]]:
    """(start, end, statement) of each dose statement, prose and table rows, in order.

    Every quantity seen, statement or not, is added to `quantities` when it is given.
    """
    prose, rows = _layout(text)
    found = [(start, end, _row_statement(text[start:end])) for start, end in rows]
    found = [row for row in found if row[2]]
    if quantities is not None:
        for start, end in rows:
            quantities += [m.span() for m in _QUANTITY_ONLY.finditer(text, start, end)]
    for match in _STATEMENT.finditer(prose):
        if quantities is not None:
            quantities.append(match.span("quantity"))
        # "2 g/day" carries its frequency; otherwise a frequency or route must follow, or a
        # route or dosing word come before.
        if match.group("per") or match.group("tail") or _dosed_before(prose, match.start()):
            found.append((match.start(), match.end(), _with_lead(prose, match)))
    return sorted(found)


def _layout(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text as prose (same length, offsets kept) and where its table rows are.

    In the prose a line break inside a paragraph is a space, so a statement may run across it;
    table rows are blanked out of it, being read whole by `_row_statement`.
    """
    chars = list(text)
    rows: list[tuple[int, int]] = []
    lines = text.split("\n")
    offset = 0
    for number, line in enumerate(lines):
        end = offset + len(line)
        if _TABLE_ROW.match(line):
            if not _TABLE_RULE.fullmatch(line):
                rows.append((offset, end))
            chars[offset:end] = " " * len(line)
        elif (
            end < len(text)
            and line.strip()
            and not line.lstrip().startswith("#")
            and not _BLOCK_START.match(lines[number + 1])
        ):
            chars[end] = " "  # the break inside a paragraph
        offset = end + 1
    return "".join(chars), rows


def _row_statement(row: str) -> str:
    """A table row's cells joined by " | " when the row states a dose, else ""."""
    quantity = _QUANTITY_ONLY.search(row)
    if quantity is None:
        return ""
    per = _STATEMENT.match(row, quantity.start())
    if not (per is not None and per.group("per")) and not _FREQUENCY_OR_ROUTE.search(row):
        return ""
    cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
    return " | ".join(cell for cell in cells if cell)[:_MAX_STATEMENT]


def _dosed_before(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return _DOSING_BEFORE.search(text, max(line_start, start - _WINDOW), start) is not None


def _with_lead(text: str, match: re.Match[str]) -> str:
    line_start = text.rfind("\n", 0, match.start()) + 1
    before = text[max(line_start, match.start() - _WINDOW) : match.start()]
    lead = _LEAD.search(before)
    words = lead.group(0).split() if lead else []
    while words and words[0].casefold() in _LEAD_SKIP:
        words.pop(0)
    statement = " ".join([*words, " ".join(match.group(0).split())])
    return statement[:_MAX_STATEMENT]
