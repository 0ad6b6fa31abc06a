"""The side-by-side diff: rendered blocks aligned, words marked, clinical changes named and counted."""

from __future__ import annotations

import time
from html.parser import HTMLParser
from typing import Any

import pytest

from articles.glossary import Glossary, Term, annotate
from articles.rendering import ALLOWED_TAGS, render_markdown
from reviews.diff import AudienceSide, Side, side_by_side
from tests.factories import make_reference


def side(markdown: str, *, version: int, references: dict[str, Any] | None = None) -> Side:
    rendered = render_markdown(markdown, references=references or {}, keep_unknown=True)
    return Side(
        version=version,
        body_html=rendered.html,
        citations=[citation.as_dict() for citation in rendered.citations],
    )


def compare(old: str | None, new: str | None, **kwargs: Any) -> AudienceSide:
    return side_by_side(
        audience="patient",
        label="Patient",
        old=side(old, version=1, **kwargs) if old is not None else None,
        new=side(new, version=2, **kwargs) if new is not None else None,
        old_version=1,
        new_version=2,
    )


class Marks(HTMLParser):
    """Every <del>/<ins> in a fragment: its attributes and its visible text (the hidden label
    read to screen readers kept apart), plus every tag and attribute seen."""

    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.marks: list[dict[str, Any]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._stack: list[str] = []
        self.feed(fragment)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("del", "ins"):
            self.marks.append({"tag": tag, "attrs": dict(attrs), "text": "", "hidden": ""})
        if tag not in ("br", "hr"):
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            del self._stack[len(self._stack) - 1 - self._stack[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if self.marks and self._stack.count("del") + self._stack.count("ins"):
            hidden = "span" in self._stack[self._stack.index(self.marks[-1]["tag"]) :]
            self.marks[-1]["hidden" if hidden else "text"] += data

    def texts(self, tag: str) -> list[str]:
        return [m["text"] for m in self.marks if m["tag"] == tag]


def row_states(result: AudienceSide) -> list[str]:
    return [row.state for row in result.rows]


def only_changed_row(result: AudienceSide) -> Any:
    changed = [row for row in result.rows if row.state != "same"]
    assert len(changed) == 1, row_states(result)
    return changed[0]


# --- blocks and their alignment ------------------------------------------------------------------


def test_an_inserted_paragraph_sits_beside_an_empty_cell_between_unchanged_ones() -> None:
    """Blocks are aligned: unchanged paragraphs pair up, a new one has nothing opposite it."""
    result = compare(
        "First paragraph.\n\nLast paragraph.",
        "First paragraph.\n\nA new paragraph here.\n\nLast paragraph.",
    )
    assert row_states(result) == ["same", "inserted", "same"]
    inserted = result.rows[1]
    assert inserted.old_html == ""
    assert inserted.new_html.startswith("<p>")
    assert Marks(inserted.new_html).texts("ins") == ["A new paragraph here."]


def test_a_lightly_edited_paragraph_is_paired_with_its_new_wording_word_by_word() -> None:
    """Only the changed word is marked: deleted in the old column, inserted in the new."""
    row = only_changed_row(
        compare(
            "## Rash\n\nThe rash is red and itchy.\n\nSee a doctor.",
            "## Rash\n\nThe rash is pink and itchy.\n\nSee a doctor.",
        )
    )
    assert row.state == "changed"
    assert Marks(row.old_html).texts("del") == ["red"]
    assert Marks(row.new_html).texts("ins") == ["pink"]
    assert Marks(row.old_html).texts("ins") == [] and Marks(row.new_html).texts("del") == []
    assert row.old_html.startswith("<p>The rash is <del")


def test_a_heading_stays_a_heading_one_level_below_the_pages_own() -> None:
    """A changed heading is drawn as a heading (h2 of the text becomes h3 under the audience's)."""
    row = only_changed_row(compare("## Dosing\n\nText.", "## Dosing in children\n\nText."))
    assert row.old_html.startswith("<h3>") and row.old_html.endswith("</h3>")
    assert row.new_html.startswith("<h3>Dosing<ins")


def test_a_deleted_list_item_is_drawn_in_its_list_with_its_number() -> None:
    """A list item alone in a cell keeps its list, and in a numbered list its number."""
    result = compare("1. Wash.\n2. Dry.\n3. Apply.", "1. Wash.\n2. Apply.")
    assert row_states(result) == ["same", "deleted", "same"]
    assert result.rows[1].old_html.startswith('<ol start="2"><li>')
    assert result.rows[1].new_html == ""
    assert result.rows[2].old_html.startswith('<ol start="3"><li>')
    assert result.rows[2].new_html.startswith('<ol start="2"><li>')


def test_marks_are_laid_inside_emphasis_so_the_emphasis_is_kept() -> None:
    """A changed word inside **bold** is marked inside the <strong>, which stays."""
    row = only_changed_row(compare("Take **15 mg** daily.", "Take **30 mg** daily."))
    assert "<strong><del" in row.old_html and "<strong><ins" in row.new_html


def test_a_change_across_an_emphasis_boundary_is_announced_once() -> None:
    """One change split by a tag is drawn as two marks; only the first says what it is."""
    row = only_changed_row(compare("Take **15 mg** twice daily.", "Take **30 mg** once daily."))
    marks = Marks(row.new_html).marks
    assert [m["text"] for m in marks] == ["30 mg", " once"]
    assert [bool(m["hidden"]) for m in marks] == [True, False]


def test_a_change_of_formatting_alone_is_a_changed_row_without_word_marks() -> None:
    """Newly emphasised words change no word: the row is flagged "format", nothing is marked."""
    row = only_changed_row(compare("Rest well.", "Rest *well*."))
    assert row.state == "format"
    assert Marks(row.old_html).marks == [] and Marks(row.new_html).marks == []
    assert "<em>well</em>" in row.new_html


def test_a_link_pointed_elsewhere_is_a_formatting_change() -> None:
    """Same words, another target: the row is "format", so the reviewer sees the link moved."""
    row = only_changed_row(
        compare("See [the leaflet](https://a.example/).", "See [the leaflet](https://b.example/).")
    )
    assert row.state == "format"
    assert 'href="https://b.example/"' in row.new_html


@pytest.mark.django_db
def test_citations_are_compared_by_the_source_they_name_not_by_their_number() -> None:
    """A citation added first renumbers the others; only the new one is marked."""
    first, second, added = make_reference(), make_reference(), make_reference()
    references = {ref.citekey: ref for ref in (first, second, added)}
    old = f"Bones [@{first.citekey}].\n\nTeeth [@{second.citekey}]."
    new = f"Growth [@{added.citekey}].\n\nBones [@{first.citekey}].\n\nTeeth [@{second.citekey}]."
    result = compare(old, new, references=references)
    # Text, then the reference list (heading and one row per source).
    assert row_states(result) == ["inserted", "same", "same", "same", "inserted", "same", "same"]
    bones = result.rows[1]
    assert ">1</a></sup>" in bones.old_html and ">2</a></sup>" in bones.new_html
    assert result.rows[3].new_html == "<h3>References</h3>"
    assert result.clinical_total == 0


# --- clinical changes ----------------------------------------------------------------------------


def clinical_marks(row: Any) -> list[dict[str, Any]]:
    return [
        m
        for cell in (row.old_html, row.new_html)
        for m in Marks(cell).marks
        if "clinical" in (m["attrs"].get("class") or "").split()
    ]


def test_a_dose_raised_is_a_dose_change_marked_in_both_columns() -> None:
    """15 mg -> 30 mg: both marks carry the class, the kind and a description, counted once."""
    result = compare("Take 15 mg daily.", "Take 30 mg daily.")
    marks = clinical_marks(only_changed_row(result))
    assert [(m["tag"], m["text"]) for m in marks] == [("del", "15"), ("ins", "30")]
    assert {m["attrs"]["data-clinical"] for m in marks} == {"dose"}
    assert {m["attrs"]["title"] for m in marks} == {"Dose changed"}
    assert [m["hidden"] for m in marks] == ["deleted, dose changed: ", "inserted, dose changed: "]
    assert result.summary == "1 clinical change: 1 dose"


def test_a_changed_dose_frequency_is_a_dose_change() -> None:
    """ "twice daily" -> "once daily" in a dose statement changes the dose, not just a word."""
    result = compare("Take 1 tablet twice daily.", "Take 1 tablet once daily.")
    assert [m["attrs"]["data-clinical"] for m in clinical_marks(result.rows[0])] == ["dose"] * 2
    assert result.summary == "1 clinical change: 1 dose"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # Issue #13: the interval changed, the amount stood still.
        ("Take 2 tablets (500 mg) every 8 hours.", "Take 2 tablets (500 mg) every 6 hours."),
        ("Use the spray twice daily.", "Use the spray once daily."),
        ("Repeat every 8 hours if needed.", "Repeat every 6 hours if needed."),
        ("Take 2 tablets\nevery 8 hours.", "Take 2 tablets\nevery 4 hours."),
        (
            "| Group | Dose | Interval |\n|---|---|---|\n| Adults | 1000 mg | every 6 hours |",
            "| Group | Dose | Interval |\n|---|---|---|\n| Adults | 1000 mg | every 8 hours |",
        ),
    ],
)
def test_a_changed_frequency_or_interval_is_a_dose_change(old: str, new: str) -> None:
    """ "every 8 hours" -> "every 6 hours" changes how much is taken: a dose, not a number."""
    result = compare(old, new)
    changed = [row for row in result.rows if row.state != "same"]
    kinds = {m["attrs"]["data-clinical"] for row in changed for m in clinical_marks(row)}
    assert kinds == {"dose"}
    assert result.summary == "1 clinical change: 1 dose"


def test_a_test_interval_changed_is_a_number_not_a_dose() -> None:
    """Checking a lab value more often changes no dose."""
    result = compare("ALP is checked every 3 months.", "ALP is checked every 6 months.")
    assert result.summary == "1 clinical change: 1 number"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Ask your doctor.", "Ask your doctor before you start."),
        ("Read the leaflet.", "Read the leaflet before you start taking it."),
        ("Ask your doctor first.", "Ask your doctor before you start."),
        ("Tell your nurse afterwards.", "Tell your nurse after you get home."),
    ],
)
def test_before_or_after_in_ordinary_advice_is_not_a_timing_change(old: str, new: str) -> None:
    """Issue #13: "Ask your doctor before you start" moves no dose in time."""
    result = compare(old, new)
    assert result.summary == ""


@pytest.mark.parametrize(
    ("old", "new", "title"),
    [
        ("Take it with meals.", "Take it before meals.", "Limit or timing changed"),
        ("Take 1 tablet daily.", "Take 1 tablet daily after food.", "Limit or timing added"),
        ("Take it at bedtime.", "Take it 2 hours before bed.", None),
    ],
)
def test_before_or_after_a_meal_bed_or_a_time_is_a_timing_change(
    old: str, new: str, title: str | None
) -> None:
    result = compare(old, new)
    marks = clinical_marks(only_changed_row(result))
    assert marks
    if title is not None:
        assert {m["attrs"]["title"] for m in marks} == {title}


def test_a_negation_added_is_named_as_added() -> None:
    """ "Take it with food" -> "Do not take it with food" is a negation added."""
    result = compare("Take it with food.", "Do not take it with food.")
    marks = clinical_marks(only_changed_row(result))
    assert {m["attrs"]["title"] for m in marks} == {"Negation added"}
    assert result.summary == "1 clinical change: 1 negation"


def test_a_negation_removed_is_named_as_removed() -> None:
    """Dropping "never" reverses the advice: a negation removed."""
    result = compare("You should never drive after a dose.", "You should drive after a dose.")
    marks = clinical_marks(only_changed_row(result))
    assert [(m["tag"], m["text"]) for m in marks] == [("del", " never")]
    assert marks[0]["attrs"]["title"] == "Negation removed"


def test_a_side_left_with_only_whitespace_gets_no_empty_mark() -> None:
    """ "do not always" -> "do  always": the word is marked deleted, no blank <ins> is drawn."""
    result = compare("Labs do not always flag it.", "Labs do  always flag it.")
    row = only_changed_row(result)
    assert Marks(row.old_html).texts("del") == [" not "]
    assert Marks(row.new_html).marks == []
    assert result.summary == "1 clinical change: 1 negation"


def test_a_number_changed_in_a_table_cell_is_marked_in_that_cell() -> None:
    """A lab value in a table row: the row is aligned, the number marked inside its cell."""
    table = "| Test | Value |\n|---|---|\n| ALP | {} U/L |\n| Calcium | 2.4 mmol/L |"
    result = compare(table.format(35), table.format(40))
    assert row_states(result) == ["same", "changed", "same"]
    row = result.rows[1]
    assert row.old_html.startswith("<table><tbody><tr>")
    assert '<td><del class="diff-del clinical" data-clinical="number"' in row.old_html
    assert result.summary == "1 clinical change: 1 number"


def test_changes_are_counted_by_kind_for_the_section_heading() -> None:
    """Two doses and a negation across three blocks: "3 clinical changes: 2 doses, 1 negation"."""
    result = compare(
        "Take 15 mg daily.\n\nGive 2 tablets twice daily.\n\nTake it with food.",
        "Take 30 mg daily.\n\nGive 3 tablets twice daily.\n\nDo not take it with food.",
    )
    assert result.summary == "3 clinical changes: 2 doses, 1 negation"
    assert result.clinical_total == 3


def test_a_change_of_wording_alone_is_not_clinical() -> None:
    """A reworded phrase gets plain marks: no clinical class, nothing counted."""
    result = compare("The rash is red.", "The rash is pink.")
    assert clinical_marks(result.rows[0]) == []
    assert result.summary == "" and not result.counts


def test_an_unchanged_text_has_only_unchanged_rows() -> None:
    """The same text on both sides: every row "same", no marks, not changed."""
    text = "## About\n\nTake 15 mg daily.\n\n- One\n- Two"
    result = compare(text, text)
    assert set(row_states(result)) == {"same"}
    assert not result.changed and result.summary == ""


def test_an_audience_text_added_in_the_new_version_is_all_inserted() -> None:
    """No old text: every block is inserted, and its clinical content counted."""
    result = compare(None, "Take 15 mg daily.\n\nRest.")
    assert row_states(result) == ["inserted", "inserted"]
    assert result.summary == "1 clinical change: 1 dose"


# --- safety --------------------------------------------------------------------------------------

HOSTILE = (
    "<script>alert('x')</script> and <img src=x onerror=alert(1)> [a](javascript:alert(1))\n\n"
    '"><svg onload=alert(2)> `[@pmid:123] <b onclick=x>` take {dose} mg '
    '[a link](https://a.example/ "x"><b onmouseover=y>")\n\n'
    "```\n<script>{dose}</script> [@pmid:9]\n```"
)
# What the pipeline allows, headings shifted one level, and the marks' own markup.
DRAWN_TAGS = ALLOWED_TAGS | {"h5", "ins", "span", "del"}
DRAWN_ATTRIBUTES = {"href", "title", "rel", "class", "data-clinical", "start", "id"}


def test_hostile_text_stays_text_and_marks_add_only_fixed_markup() -> None:
    """Script, event handlers, javascript: links and markers in code come out inert and escaped."""
    result = compare(HOSTILE.format(dose=15), HOSTILE.format(dose=30))
    assert result.changed
    for row in result.rows:
        for cell in (row.old_html, row.new_html):
            parsed = Marks(cell)
            for tag, attrs in parsed.tags:
                assert tag in DRAWN_TAGS, (tag, cell)
                assert set(attrs) <= DRAWN_ATTRIBUTES, (attrs, cell)
                assert not (attrs.get("href") or "").lower().startswith("javascript"), cell
            assert "<script" not in cell and "<img" not in cell and "<svg" not in cell
    cells = " ".join(row.old_html + row.new_html for row in result.rows)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in cells or (
        "&lt;script&gt;alert('x')&lt;/script&gt;" in cells
    )
    # A marker in code is code: shown as typed, never a citation, even where a mark sits.
    assert "[@pmid:123]" in cells and "[@pmid:9]" in cells and "citation" not in cells
    code = next(row for row in result.rows if "<pre>" in row.old_html)
    assert Marks(code.old_html).texts("del") == ["15"]
    assert code.old_html.startswith("<pre><code>&lt;script&gt;<del")


def test_ids_are_prefixed_per_column_so_both_renderings_share_a_page() -> None:
    """Citation anchors and glossary tooltips get a per-version id; every link finds its target."""
    glossary = Glossary(
        terms=(Term(term="enzyme", slug="enzyme", definition="A protein.", forms=("enzyme",)),),
        fingerprint="test",
    )

    def glossed(markdown: str, version: int) -> Side:
        plain = side(markdown, version=version)
        return Side(version, annotate(plain.body_html, glossary), plain.citations)

    result = side_by_side(
        audience="patient",
        label="Patient",
        old=glossed("An enzyme at 15 units.", 1),
        new=glossed("An enzyme at 20 units.", 2),
        old_version=1,
        new_version=2,
    )
    ids: list[str] = []
    targets: list[str] = []
    for row in result.rows:
        for cell in (row.old_html, row.new_html):
            for _, attrs in Marks(cell).tags:
                ids += [attrs["id"]] if attrs.get("id") else []
                targets += [attrs["aria-describedby"]] if attrs.get("aria-describedby") else []
                href = attrs.get("href") or ""
                targets += [href[1:]] if href.startswith("#") else []
    assert ids and len(ids) == len(set(ids))
    assert {"v1-patient-gloss-enzyme", "v2-patient-gloss-enzyme"} <= set(ids)
    assert set(targets) <= set(ids)


# --- bounded work --------------------------------------------------------------------------------


def long_text(seed: int, size: int = 20_000) -> str:
    """An article-like text: headings, paragraphs with doses, lists and tables."""
    words = (
        "the bone enzyme level is low or high in a child or an adult with kidney disease".split()
    )
    parts: list[str] = []
    n = seed
    while sum(len(part) + 2 for part in parts) < size:
        n += 1
        sentence = " ".join(words[(n * 7 + i) % len(words)] for i in range(14)).capitalize()
        match n % 4:
            case 0:
                parts.append(f"## Part {n}")
            case 1:
                parts.append(f"{sentence}. Take {n} mg twice daily. {sentence}.")
            case 2:
                parts.append("\n".join(f"- {sentence} {i}." for i in range(3)))
            case _:
                parts.append(f"| Test | Value |\n|---|---|\n| ALP | {n} U/L |")
    return "\n\n".join(parts)[:size]


def test_four_long_texts_with_edits_diff_well_under_a_second() -> None:
    """4 audiences x 20,000 characters with a dozen edits each: well under a second of CPU."""
    olds = [long_text(seed) for seed in range(4)]
    news = [
        text.replace("Take 5 mg", "Take 6 mg").replace("low or high", "high or low", 10)
        for text in olds
    ]
    pairs = [(side(o, version=1), side(n, version=2)) for o, n in zip(olds, news, strict=True)]
    start = time.process_time()
    results = [
        side_by_side(audience="a", label="A", old=o, new=n, old_version=1, new_version=2)
        for o, n in pairs
    ]
    elapsed = time.process_time() - start
    assert all(result.changed for result in results)
    assert elapsed < 1.0, f"{elapsed:.2f}s"


def test_a_wholesale_rewrite_of_long_texts_stays_bounded() -> None:
    """Every block rewritten in 4 x 20,000 characters: the token budget keeps it near a second."""
    pairs = [
        (side(long_text(seed), version=1), side(long_text(seed + 1_000), version=2))
        for seed in range(4)
    ]
    start = time.process_time()
    for old, new in pairs:
        side_by_side(audience="a", label="A", old=old, new=new, old_version=1, new_version=2)
    elapsed = time.process_time() - start
    assert elapsed < 2.0, f"{elapsed:.2f}s"
