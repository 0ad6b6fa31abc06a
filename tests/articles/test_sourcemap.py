"""From rendered text back to the Markdown: plain text as the page counts it, the source map,
marking passages, and finding a quote again after the text changed. Pure: no database."""

from __future__ import annotations

import html5lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.glossary import Glossary, Term, annotate
from articles.quotes import normalised_find, relocate
from articles.rendering import render_markdown
from articles.sourcemap import Highlight, highlight, plain_text, source_map
from references.models import Reference

BOWDEN = Reference(citekey="bowden-2018", pmid="30288020", title="Asfotase alfa", year=2018)
HAFFNER = Reference(citekey="haffner-2019", pmid="31068690", title="XLH guideline", year=2019)
REFERENCES = {
    "pmid:30288020": BOWDEN,
    "bowden-2018": BOWDEN,
    "pmid:31068690": HAFFNER,
    "haffner-2019": HAFFNER,
}

TEXT = """## What *low ALP* means

A low ALP can be **a sign of HPP [@pmid:30288020]**. It is _rare_ &amp; often missed.
Ask about teeth lost early [@bowden-2018; @pmid:31068690].

- Bone pain in the legs
- Loose **adult** teeth

Check [the guideline](https://example.org/a.b) first.
"""


def mapped(text: str = TEXT) -> tuple[str, object]:
    body = render_markdown(text, references=REFERENCES).html
    return body, source_map(text, body)


def source_of(selection: str, *, text: str = TEXT, occurrence: int = 0) -> str:
    """The Markdown behind the first (or n-th) place of `selection` in the rendered text."""
    _, smap = mapped(text)
    start = -1
    for _ in range(occurrence + 1):
        start = smap.text.index(selection, start + 1)
    begin, end = smap.source_span(start, start + len(selection))
    return text[begin:end]


class TestPlainText:
    def test_the_plain_text_is_what_a_reader_sees_with_citation_numbers(self) -> None:
        body, smap = mapped()
        assert smap.text == plain_text(body)
        assert "a sign of HPP1. It is rare & often missed." in smap.text
        assert "teeth lost early1,2." in smap.text
        assert "[@" not in smap.text

    def test_glossary_tooltips_and_the_words_explained_are_not_the_authors_text(self) -> None:
        """The page's script skips them too, so offsets agree with or without a glossary."""
        glossary = Glossary(
            terms=(Term(term="teeth", slug="teeth", definition="Hard bits.", forms=("teeth",)),),
            fingerprint="x",
        )
        body = render_markdown(TEXT, references=REFERENCES).html
        annotated = annotate(body, glossary)
        assert "Hard bits." in annotated
        assert plain_text(annotated) == plain_text(body)
        assert "Words explained" not in plain_text(annotated)


class TestSourceMap:
    def test_a_selection_across_bold_text_maps_to_the_markdown_with_its_asterisks(self) -> None:
        assert source_of("can be a sign") == "can be **a sign"

    def test_a_citation_number_maps_to_the_whole_marker(self) -> None:
        assert source_of("HPP1") == "HPP [@pmid:30288020]"
        body, smap = mapped()
        number = smap.text.index("HPP1") + 3
        assert TEXT[slice(*smap.source_span(number, number + 1))] == "[@pmid:30288020]"

    def test_a_group_of_citations_maps_to_its_one_marker(self) -> None:
        assert source_of("early1,2.") == "early [@bowden-2018; @pmid:31068690]."

    def test_a_selection_across_italics_and_an_entity(self) -> None:
        assert source_of("rare & often") == "rare_ &amp; often"

    def test_a_selection_across_list_items(self) -> None:
        assert source_of("legs\nLoose adult") == "legs\n- Loose **adult"

    def test_a_selection_from_a_heading_into_the_paragraph(self) -> None:
        assert source_of("means\nA low") == "means\n\nA low"
        assert source_of("low ALP means") == "low ALP* means"

    def test_a_link_maps_to_its_text_not_its_destination(self) -> None:
        assert source_of("guideline first") == "guideline](https://example.org/a.b) first"

    def test_table_cells_with_the_same_words_map_to_their_own_cell(self) -> None:
        text = "| dose | dose |\n|---|---|\n| 5 mg | 5 mg |\n"
        body, smap = mapped(text)
        second = smap.text.index("5 mg", smap.text.index("5 mg") + 1)
        begin, _ = smap.source_span(second, second + 4)
        assert begin == text.rindex("5 mg")

    def test_an_unknown_marker_shown_as_typed_maps_character_by_character(self) -> None:
        text = "Old claim [@nosuchkey] here."
        body = render_markdown(text, references=REFERENCES, keep_unknown=True).html
        smap = source_map(text, body)
        at = smap.text.index("[@nosuchkey]")
        assert text[slice(*smap.source_span(at + 2, at + 5))] == "nos"

    def test_code_keeps_its_markers_literal(self) -> None:
        text = "Write `[@pmid:30288020]` to cite."
        assert source_of("[@pmid", text=text) == "[@pmid"

    def test_every_character_maps_inside_the_source(self) -> None:
        _, smap = mapped()
        assert all(0 <= s <= e <= len(TEXT) for s, e in zip(smap.starts, smap.ends, strict=True))


class TestHighlight:
    def test_a_passage_across_elements_is_marked_in_each_text_node(self) -> None:
        body, smap = mapped()
        start = smap.text.index("can be a sign")
        parts = highlight(body, [Highlight(start, start + len("can be a sign"), 7)])
        html = "".join(p for p in parts if isinstance(p, str))
        assert html.count('<mark class="anchor" data-thread="7">') == 2
        assert '<mark class="anchor" data-thread="7">can be </mark><strong>' in html
        assert plain_text(html) == smap.text  # marks change no text
        html5lib.HTMLParser(strict=True).parseFragment(html)

    def test_the_thread_goes_after_the_block_where_its_passage_starts(self) -> None:
        body, smap = mapped()
        start = smap.text.index("Loose")
        parts = highlight(body, [Highlight(start, start + 5, 3)])
        assert (3,) in parts
        before = "".join(p for p in parts[: parts.index((3,))] if isinstance(p, str))
        assert before.rstrip().endswith("</ul>")
        assert before.count('<div class="anchored-block">') == 1

    def test_overlapping_passages_nest_their_marks(self) -> None:
        body, smap = mapped()
        start = smap.text.index("Bone pain")
        parts = highlight(
            body, [Highlight(start, start + 9, 1), Highlight(start + 5, start + 20, 2)]
        )
        html = "".join(p for p in parts if isinstance(p, str))
        assert 'data-thread="2"><mark class="anchor" data-thread="1">pain' in html or (
            'data-thread="1"><mark class="anchor" data-thread="2">pain' in html
        )


BLOCKS = """## Dosing *plan*

| Drug | Dose |
| --- | --- |
| Asfotase alfa | 2 mg/kg three times a week |
| Calcitriol | 20 ng twice a day |

1. First the **blood test**
2. Then the dose

- A loose list

- with paragraphs in its items

> Quoted advice
>
> over two paragraphs

```
code line one
code line two
```

Closing words.
"""
SKIPPED = {"glossary-tip", "glossary-list", "margin-threads"}


def page_text(fragment: str) -> tuple[str, dict[int, set[int]]]:
    """The text of `fragment` as a browser holds it (html5lib builds the tree as the HTML5
    parser does, foster parenting and all), counted as comments.js counts it: text nodes in
    document order, leaving out tooltips, the words explained and the margin threads. Also,
    for each thread key, the offsets of the characters inside its marks."""
    tree = html5lib.parseFragment(fragment, namespaceHTMLElements=False)
    chars: list[str] = []
    marked: dict[int, set[int]] = {}

    def add(text: str | None, keys: tuple[int, ...]) -> None:
        for char in text or "":
            for key in keys:
                marked.setdefault(key, set()).add(len(chars))
            chars.append(char)

    def walk(node: object, keys: tuple[int, ...]) -> None:
        if set(node.get("class", "").split()) & SKIPPED:  # type: ignore[attr-defined]
            return
        if node.tag == "mark":  # type: ignore[attr-defined]
            keys = (*keys, int(node.get("data-thread")))  # type: ignore[attr-defined]
        add(node.text, keys)  # type: ignore[attr-defined]
        for child in node:  # type: ignore[attr-defined]
            walk(child, keys)
            add(child.tail, keys)

    add(tree.text, ())
    for child in tree:
        walk(child, ())
        add(child.tail, ())
    return "".join(chars), marked


def page_of(parts: list[str | tuple[int, ...]]) -> str:
    """The workspace page's text body: the HTML, with the threads' asides where they go."""
    return "".join(
        p if isinstance(p, str) else f'<aside class="margin-threads">{p} thread</aside>'
        for p in parts
    )


def assert_marks_match(body: str, marks: list[Highlight]) -> None:
    """The page parsed from the marked HTML reads exactly the server's plain text, and each
    mark covers every character of its range but whitespace, and nothing outside it."""
    text, marked = page_text(page_of(highlight(body, marks)))
    assert text == plain_text(body)
    for mark in marks:
        inside = marked.get(mark.key, set())
        assert inside <= set(range(mark.start, mark.end)), text[min(inside) : max(inside) + 1]
        words = {i for i in range(mark.start, mark.end) if not text[i].isspace()}
        assert words <= inside


def span(text: str, words: str, *, through: str | None = None) -> tuple[int, int]:
    start = text.index(words)
    return start, (text.index(through) + len(through) if through else start + len(words))


class TestMarksInTheParsedPage:
    """The page counts characters in the tree the browser builds: a mark the HTML parser moves
    (out of a table) would shift every offset after it, and comments there would be refused."""

    def body(self) -> tuple[str, str]:
        body = render_markdown(BLOCKS, references=REFERENCES).html
        return body, plain_text(body)

    def test_a_second_passage_in_a_table_after_a_first_keeps_the_text_in_order(self) -> None:
        body, text = self.body()
        first = span(text, "2 mg/kg", through="ng twice")
        second = span(text, "twice a day")
        assert_marks_match(body, [Highlight(*first, 1), Highlight(*second, 2)])

    def test_no_mark_stands_directly_in_a_table_row_or_list(self) -> None:
        body, text = self.body()
        parts = highlight(body, [Highlight(*span(text, "Drug", through="Closing"), 5)])
        html = page_of(parts)
        for container in ("table", "thead", "tbody", "tr", "ol", "ul"):
            assert f"<{container}>\n<mark" not in html
            assert f"</mark>\n</{container}>" not in html
        assert_marks_match(body, [Highlight(*span(text, "Drug", through="Closing"), 5)])

    @pytest.mark.parametrize(
        ("words", "through"),
        [
            ("Dosing", "Asfotase"),  # heading into a table
            ("blood test", "Then the"),  # across ordered list items
            ("loose list", "paragraphs"),  # across the paragraphs of a loose list
            ("Quoted", "over two"),  # across a blockquote's paragraphs
            ("line one", "line two"),  # inside a code block
            ("day", "First"),  # out of a table into a list
            ("code line", "Closing"),  # out of a code block into a paragraph
        ],
    )
    def test_a_passage_across_blocks_marks_only_the_text_inside_them(
        self, words: str, through: str
    ) -> None:
        body, text = self.body()
        assert_marks_match(body, [Highlight(*span(text, words, through=through), 9)])

    def test_a_definition_list_gets_marks_in_its_terms_and_details_only(self) -> None:
        body = (
            "<dl>\n<dt>ALP</dt>\n<dd>An enzyme</dd>\n<dt>HPP</dt>\n<dd>A rare disease</dd>\n</dl>"
        )
        text = plain_text(body)
        assert_marks_match(body, [Highlight(*span(text, "enzyme", through="rare"), 4)])
        assert "<dl>\n<mark" not in page_of(highlight(body, [Highlight(0, len(text), 4)]))


class TestRelocate:
    def test_a_quote_is_found_where_the_text_moved_it(self) -> None:
        old = "One. The dose is 5 mg. Two."
        new = "A new first sentence. One. The dose is 5 mg. Two."
        at = old.index("dose is")
        found = relocate(new, quote="dose is", prefix=old[:at], suffix=old[at + 7 :], hint=at)
        assert found == (new.index("dose is"), new.index("dose is") + 7)

    def test_context_picks_the_right_one_of_repeated_words(self) -> None:
        text = "Take it daily. Stop if sick. Take it daily before meals."
        found = relocate(text, quote="Take it daily", prefix="sick. ", suffix=" before", hint=0)
        assert found == (29, 42)

    def test_a_passage_that_was_rewritten_is_gone(self) -> None:
        assert relocate("The dose is 10 mg.", quote="5 mg", prefix="is ", suffix=".") is None

    def test_rewrapped_lines_still_match(self) -> None:
        assert relocate("a sign\nof HPP", quote="a sign of HPP") == (0, 13)
        assert normalised_find("x  a sign of\n HPP", "a sign of HPP") == [(3, 17)]

    @pytest.mark.parametrize("quote", ["", "   "])
    def test_an_empty_quote_is_nowhere(self, quote: str) -> None:
        assert relocate("text", quote=quote) is None


MARKDOWNISH = st.text(alphabet="ab HPP*_`[]()@:;#-|>\n&\\!1.", max_size=160).map(
    lambda s: s.replace("@", "@pmid:30288020", 1) if "[@" in s else s
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(text=MARKDOWNISH)
def test_any_markdown_maps_each_rendered_character_inside_the_source(text: str) -> None:
    """Whatever the Markdown: the map covers the rendered text exactly, each span lies in the
    source, and a rendered character with a span of its own is that character of the source."""
    body = render_markdown(text, references=REFERENCES, keep_unknown=True).html
    smap = source_map(text, body)
    assert smap.text == plain_text(body)
    for char, start, end in zip(smap.text, smap.starts, smap.ends, strict=True):
        assert 0 <= start <= end <= len(text)
        if end - start == 1:
            assert text[start] == char
