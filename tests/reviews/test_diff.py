"""Word-level diffs of article versions: changes, escaped HTML, and flagged clinical edits."""

from __future__ import annotations

import re
import time

import pytest
from django.utils.html import escape

from reviews.diff import Change, diff_fields, diff_texts, diff_versions


def only_change(old: str, new: str) -> Change:
    """The single change between two texts; fails the test if there is not exactly one."""
    changes = diff_texts(old, new).changes
    assert len(changes) == 1, changes
    return changes[0]


# --- what changed --------------------------------------------------------------------------------


def test_identical_texts_have_no_changes_and_render_as_escaped_text() -> None:
    """Identical versions give no changes and HTML that is just the escaped text."""
    text = 'Take 5 mg "as needed" & rest.\n\nSee <your> GP.'
    result = diff_texts(text, text, audience="patient")
    assert result.audience == "patient"
    assert not result.changed
    assert result.changes == []
    assert result.clinical_changes == []
    assert result.html == escape(text)


def test_word_insert_is_one_insert_change() -> None:
    """An added word is an insert with nothing removed, drawn as <ins>."""
    result = diff_texts("Drink water.", "Drink plenty water.")
    assert result.changes == [
        Change(kind="insert", old="", new=" plenty", clinical=False, reasons=())
    ]
    assert result.html == 'Drink<ins class="diff-ins"> plenty</ins> water.'


def test_word_deletion_is_one_delete_change() -> None:
    """A removed word is a delete with nothing added, drawn as <del>."""
    result = diff_texts("Rest well at home.", "Rest at home.")
    assert result.changes == [
        Change(kind="delete", old=" well", new="", clinical=False, reasons=())
    ]
    assert result.html == 'Rest<del class="diff-del"> well</del> at home.'


def test_word_replacement_is_one_replace_change() -> None:
    """A swapped word is one replace, drawn as <del> then <ins>."""
    result = diff_texts("The rash is red.", "The rash is pink.")
    assert result.changes == [
        Change(kind="replace", old="red", new="pink", clinical=False, reasons=())
    ]
    assert result.html == (
        'The rash is <del class="diff-del">red</del><ins class="diff-ins">pink</ins>.'
    )


def test_adjacent_changed_words_merge_into_one_change() -> None:
    """A dose phrase rewritten around one unchanged word reads as a single replace."""
    change = only_change("Take 15-30 mg daily with food.", "Take 150 mg weekly with food.")
    assert change.kind == "replace"
    assert change.old == "15-30 mg daily"
    assert change.new == "150 mg weekly"
    assert change.reasons == ("number", "unit")


def test_distant_changes_stay_separate() -> None:
    """Edits separated by a longer unchanged stretch are reported as separate changes."""
    result = diff_texts(
        "Mild pain usually settles within a few days at home.",
        "Slight pain usually settles within a few weeks at home.",
    )
    assert [(change.old, change.new) for change in result.changes] == [
        ("Mild", "Slight"),
        ("days", "weeks"),
    ]


def test_changes_do_not_straddle_a_paragraph_break() -> None:
    """Edits on either side of a blank line stay two changes, so each stays in its paragraph."""
    result = diff_texts("Rest often.\n\nSleep early.", "Rest daily.\n\nWake early.")
    assert [(change.old, change.new) for change in result.changes] == [
        ("often", "daily"),
        ("Sleep", "Wake"),
    ]


def test_inserted_paragraph_is_one_insert_change() -> None:
    """A paragraph added between unchanged ones is a single insertion of that paragraph."""
    old = "Rest at home.\n\nDrink water.\n"
    new = "Rest at home.\n\nDo not drive.\n\nDrink water.\n"
    change = only_change(old, new)
    assert change.kind == "insert"
    assert change.new == "Do not drive.\n\n"
    assert change.reasons == ("negation",)


def test_whitespace_and_newlines_are_preserved() -> None:
    """Unchanged whitespace, blank lines and indentation come through untouched."""
    old = "# Dosage\n\n  - Rest\n\tthen walk.\n"
    new = "# Dosage\n\n  - Rest\n\tthen run.\n"
    result = diff_texts(old, new)
    assert result.html == (
        '# Dosage\n\n  - Rest\n\tthen <del class="diff-del">walk</del>'
        '<ins class="diff-ins">run</ins>.\n'
    )


def test_line_ending_style_alone_is_not_a_change() -> None:
    """A version that differs only in CRLF versus LF line endings has no changes."""
    assert not diff_texts("Rest.\r\nSleep.", "Rest.\nSleep.").changed


def test_long_texts_align_despite_repeated_tokens() -> None:
    """A one-word edit in a text of hundreds of tokens is still reported as that one word."""
    paragraph = "Patients with this condition usually recover at home with rest. " * 40
    change = only_change(paragraph + "Call your GP.", paragraph + "Call your nurse.")
    assert (change.old, change.new) == ("GP", "nurse")


# --- clinical flags ------------------------------------------------------------------------------


def test_dose_number_change_is_clinical_number() -> None:
    """Changing a dose figure is flagged as a clinical number change."""
    change = only_change("Take 500 mg twice a day.", "Take 1000 mg twice a day.")
    assert (change.old, change.new) == ("500", "1000")
    assert change.clinical
    assert change.reasons == ("number",)


def test_unit_change_is_clinical_unit() -> None:
    """Swapping mg for mcg leaves the number alone but is flagged as a unit change."""
    change = only_change("Give 50 mg once.", "Give 50 mcg once.")
    assert (change.old, change.new) == ("mg", "mcg")
    assert change.clinical
    assert change.reasons == ("unit",)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Take it daily.", "Take it weekly."),
        ("Dose is 2 mg/kg.", "Dose is 2 mmol/L."),
        ("Apply 1 patch.", "Apply 1 spray."),
        ("Give 400 IU.", "Give 400 µg."),
    ],
)
def test_frequency_and_unit_swaps_are_clinical_unit(old: str, new: str) -> None:
    """Frequencies, compound units and dosage forms count as units, whatever their case."""
    assert only_change(old, new).reasons == ("unit",)


def test_added_negation_is_clinical_negation() -> None:
    """Turning "should take" into "should not take" is flagged as a negation."""
    change = only_change("You should take it with food.", "You should not take it with food.")
    assert change.kind == "insert"
    assert change.new.strip() == "not"
    assert change.reasons == ("negation",)


def test_removed_avoid_is_clinical_negation() -> None:
    """Dropping "avoid" reverses the advice and is flagged."""
    result = diff_texts("Avoid alcohol while taking it.", "Alcohol while taking it.")
    assert result.changed
    assert [change.reasons for change in result.clinical_changes] == [("negation",)]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("You should take it.", "You shouldn't take it."),
        ("You can use it.", "You can’t use it."),
        ("Safe in pregnancy.", "Contraindicated in pregnancy."),
        ("Take with milk.", "Take without milk."),
    ],
)
def test_negation_forms_are_clinical_negation(old: str, new: str) -> None:
    """Contractions (straight or curly apostrophe), prohibitions and "without" are negations."""
    assert "negation" in only_change(old, new).reasons


def test_quantity_bound_swap_is_clinical_comparison() -> None:
    """ "No more than" becoming "no less than" reverses a limit and is flagged."""
    change = only_change("Take no more than 4 g a day.", "Take no less than 4 g a day.")
    assert change.reasons == ("comparison",)


def test_before_you_start_is_not_a_timing_change() -> None:
    """ "Ask your doctor before you start" orders no dose in time: not clinical."""
    change = only_change("Ask your doctor.", "Ask your doctor before you start.")
    assert change.reasons == ()


def test_before_meals_instead_of_with_meals_is_a_timing_change() -> None:
    change = only_change("Take it with meals.", "Take it before meals.")
    assert change.reasons == ("comparison",)


def test_number_words_are_clinical_number() -> None:
    """A dose written in words ("one" -> "two tablets") is a number change."""
    assert "number" in only_change("Take one tablet.", "Take two tablets.").reasons


def test_wording_change_is_not_clinical() -> None:
    """Rephrasing without touching numbers, units or negations is not flagged."""
    result = diff_texts("Rest helps recovery.", "Rest assists recovery.")
    assert result.changed
    assert result.clinical_changes == []
    assert "diff-clinical" not in result.html
    assert "diff-flag" not in result.html


def test_punctuation_only_change_is_not_clinical() -> None:
    """Changing a comma to a semicolon is a change but not a clinical one."""
    change = only_change("Rest, then walk.", "Rest; then walk.")
    assert (change.old, change.new) == (",", ";")
    assert not change.clinical


def test_unchanged_number_inside_a_merged_change_is_not_clinical() -> None:
    """Only tokens that really changed count: a number carried along by merging does not."""
    change = only_change("It helps 10 people.", "It assists 10 adults.")
    assert change.old == "helps 10 people"
    assert not change.clinical


def test_decimal_ranges_are_single_number_tokens() -> None:
    """A range of decimals with a unit is compared as one number, not digit by digit."""
    change = only_change("Give 0.50-0.75 micrograms.", "Give 0.25-0.50 micrograms.")
    assert (change.old, change.new) == ("0.50-0.75", "0.25-0.50")
    assert change.reasons == ("number",)


def test_thousands_separator_number_change_is_clinical() -> None:
    """ "1,600" becoming "1,000" is one changed number and flagged."""
    change = only_change("Up to 1,600 mg a day.", "Up to 1,000 mg a day.")
    assert (change.old, change.new) == ("1,600", "1,000")
    assert change.reasons == ("number",)


@pytest.mark.parametrize(
    ("old", "new"),
    [("Reduce by 10%.", "Reduce by 20%."), ("Take ½ tablet.", "Take ¼ tablet.")],
)
def test_percentages_and_vulgar_fractions_are_numbers(old: str, new: str) -> None:
    """Percentages and unicode fractions count as numbers."""
    assert only_change(old, new).reasons == ("number",)


def test_clinical_change_html_carries_flag_class_and_labels() -> None:
    """A clinical change gets a visible, labelled warning flag and the diff-clinical class."""
    html = diff_texts("Take 5 mg.", "Take 50 mg.").html
    title = 'title="Clinical change: number"'
    assert html == (
        "Take "
        f'<span class="diff-flag" role="img" aria-label="clinical change" {title}>⚠</span>'
        f'<del class="diff-del diff-clinical" {title}>5</del>'
        f'<ins class="diff-ins diff-clinical" {title}>50</ins>'
        " mg."
    )


def test_unicode_text_diffs_by_word() -> None:
    """Accented and non-Latin words are whole tokens, and the micro sign is a unit."""
    change = only_change("Die Ärztin empfiehlt 5 µg täglich.", "Die Ärztin empfiehlt 5 mg täglich.")
    assert (change.old, change.new) == ("µg", "mg")
    assert change.reasons == ("unit",)
    result = diff_texts("Пейте воду.", "Пейте чай.")
    assert [(change.old, change.new) for change in result.changes] == [("воду", "чай")]


# --- escaping ------------------------------------------------------------------------------------


def test_html_in_inputs_is_escaped() -> None:
    """Markup in either version, changed or unchanged, never reaches the output raw."""
    old = '<script>alert(1)</script> Take <b onclick="x()">5</b> mg.'
    new = "<script>alert(2)</script> Take <img src=x onerror=y>50 mg."
    html = diff_texts(old, new).html
    assert "<script" not in html
    assert "<b " not in html
    assert "<img" not in html
    own_markup = re.compile(r'</?(?:del|ins|span)(?: (?:class|role|aria-label|title)="[^"<>]*")*>')
    assert "<" not in own_markup.sub("", html)
    assert ">" not in own_markup.sub("", html)


# --- versions and fields -------------------------------------------------------------------------


def test_diff_versions_covers_added_removed_and_unchanged_audiences_sorted() -> None:
    """Every audience in either version appears once, by key: added ones insert, removed delete."""
    result = diff_versions(
        {"patient": "Rest.", "clinician": "Give 5 mg."},
        {"patient": "Rest.", "carer": "Help them rest."},
    )
    assert [item.audience for item in result] == ["carer", "clinician", "patient"]
    carer, clinician, patient = result
    assert carer.changes == [
        Change(kind="insert", old="", new="Help them rest.", clinical=False, reasons=())
    ]
    assert clinician.changes == [
        Change(kind="delete", old="Give 5 mg.", new="", clinical=True, reasons=("number", "unit"))
    ]
    assert not patient.changed
    assert patient.html == "Rest."


def test_diff_versions_order_does_not_depend_on_mapping_order() -> None:
    """The same texts given in a different key order give the same result."""
    old = {"b": "one", "a": "two", "c": "three"}
    new = {"c": "three", "a": "2", "b": "one"}
    reordered_old = dict(reversed(list(old.items())))
    reordered_new = dict(reversed(list(new.items())))
    assert diff_versions(old, new) == diff_versions(reordered_old, reordered_new)
    assert [item.audience for item in diff_versions(old, new)] == ["a", "b", "c"]


def test_diff_fields_labels_each_result_with_its_field_name() -> None:
    """Plain fields are diffed like audiences, each labelled with its field name."""
    result = diff_fields(
        {"title": "Iron tablets", "summary": "Take once a day."},
        {"title": "Iron tablets", "summary": "Take twice a day."},
    )
    assert [item.audience for item in result] == ["summary", "title"]
    summary, title = result
    assert [change.reasons for change in summary.clinical_changes] == [("unit",)]
    assert not title.changed


def test_a_rewritten_paragraph_of_20000_characters_diffs_in_bounded_time() -> None:
    """One long line rewritten word by word: sentences are matched first and the token pass
    has a budget, so it is a fraction of a second, not the half-minute of pairing every token."""
    words = "bone enzyme level low high child adult kidney rest food doctor test".split()

    def paragraph(step: int) -> str:
        sentences = (
            " ".join(words[(n * step + i) % len(words)] for i in range(12)).capitalize() + "."
            for n in range(300)
        )
        return " ".join(sentences)[:20_000]

    start = time.process_time()
    result = diff_texts(paragraph(5), paragraph(7))
    elapsed = time.process_time() - start
    assert result.changed
    assert elapsed < 1.0, f"{elapsed:.2f}s"
