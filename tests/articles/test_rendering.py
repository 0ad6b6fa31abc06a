"""Markdown rendering: sanitisation, heading levels and Vancouver citation numbering.

Most tests use unsaved references mapped by their marker keys, as `references_for_keys` maps
them; only the query test needs the database.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import ValidationError

from articles.rendering import (
    PIPELINE_VERSION,
    Citation,
    Rendered,
    render_markdown,
    sanitize_html,
    unresolved_markers,
)
from references.models import Reference
from references.selectors import references_for_keys
from references.vancouver import format_reference, format_reference_text


def bowden(**extra: object) -> Reference:
    return Reference(
        citekey="bowden-2018",
        authors=[{"family": "Bowden", "initials": "SA"}, {"family": "Foster", "initials": "BL"}],
        title="Profile of asfotase alfa in the treatment of hypophosphatasia",
        journal="Drug Des Devel Ther",
        year=2018,
        volume="12",
        pages="3147-3161",
        doi="10.2147/dddt.s154922",
        pmid="30288020",
        pmcid="PMC6161731",
        **extra,
    )


def haffner(**extra: object) -> Reference:
    return Reference(
        citekey="haffner-2019",
        kind=Reference.Kind.GUIDELINE,
        authors=[{"family": "Haffner", "initials": "D"}],
        title="Clinical practice recommendations for X-linked hypophosphataemia",
        journal="Nat Rev Nephrol",
        year=2019,
        volume="15",
        issue="7",
        pages="435-455",
        doi="10.1038/s41581-019-0152-5",
        pmid="31068690",
        **extra,
    )


def odd_doi() -> Reference:
    # A DOI with characters HTML escapes: `&`, `<`, `>` and a `;` inside the escape of each.
    return Reference(citekey="odd", title="Odd", journal="J", year=2000, doi="10.1000/a&b<c>")


def library(*refs: Reference) -> dict[str, Reference]:
    return {key: ref for ref in refs for key in ref.marker_keys}


REFS = library(bowden(), haffner(), odd_doi())


def citation_numbers(rendered: Rendered) -> list[str]:
    """The numbers shown in the body, in document order."""
    return re.findall(r'aria-label="Reference \d+">(\d+)</a>', rendered.html)


# --- numbering ------------------------------------------------------------------------------


def test_references_are_numbered_by_first_appearance() -> None:
    rendered = render_markdown("First [@haffner-2019], then [@bowden-2018].", references=REFS)
    assert citation_numbers(rendered) == ["1", "2"]
    assert [(c.number, c.citekey) for c in rendered.citations] == [
        (1, "haffner-2019"),
        (2, "bowden-2018"),
    ]


def test_citation_markup_links_to_the_reference_list_entry() -> None:
    rendered = render_markdown("Claim [@bowden-2018].", references=REFS)
    assert rendered.html == (
        '<p>Claim<sup class="citation"><a href="#ref-1" id="cite-1-1" '
        'aria-label="Reference 1">1</a></sup>.</p>\n'
    )


def test_a_repeated_citation_reuses_its_number_with_a_unique_id() -> None:
    rendered = render_markdown(
        "A [@bowden-2018]. B [@haffner-2019]. C [@bowden-2018].", references=REFS
    )
    assert citation_numbers(rendered) == ["1", "2", "1"]
    assert re.findall(r'id="(cite-[\d-]+)"', rendered.html) == ["cite-1-1", "cite-2-1", "cite-1-2"]
    assert len(rendered.citations) == 2


def test_two_marker_forms_of_one_source_share_a_number() -> None:
    rendered = render_markdown(
        "By PMID [@pmid:30288020], by key [@bowden-2018], by DOI [@doi:10.2147/DDDT.S154922], "
        "by PMCID [@pmcid:pmc6161731].",
        references=REFS,
    )
    assert citation_numbers(rendered) == ["1", "1", "1", "1"]
    assert [c.citekey for c in rendered.citations] == ["bowden-2018"]


def test_saved_references_are_the_same_source_by_primary_key() -> None:
    one, same = bowden(pk=7), bowden(pk=7)
    refs = {"bowden-2018": one, "pmid:30288020": same}
    rendered = render_markdown("[@bowden-2018] [@pmid:30288020]", references=refs)
    assert citation_numbers(rendered) == ["1", "1"]
    assert rendered.citations[0].reference_id == 7


def test_grouped_markers_render_as_one_superscript_with_comma_separated_links() -> None:
    rendered = render_markdown("Both [@bowden-2018; @haffner-2019].", references=REFS)
    assert rendered.html.count("<sup") == 1
    assert (
        '<sup class="citation"><a href="#ref-1" id="cite-1-1" aria-label="Reference 1">1</a>,'
        '<a href="#ref-2" id="cite-2-1" aria-label="Reference 2">2</a></sup>' in rendered.html
    )


def test_a_group_naming_one_source_twice_shows_it_once_in_ascending_order() -> None:
    rendered = render_markdown(
        "[@haffner-2019] then [@bowden-2018; @haffner-2019; @pmid:30288020]", references=REFS
    )
    assert citation_numbers(rendered) == ["1", "1", "2"]


def test_numbering_is_identical_between_two_renders() -> None:
    text = "[@haffner-2019] x [@bowden-2018; @pmid:31068690] y [@doi:10.1000/a&b<c>]"
    first, second = (render_markdown(text, references=REFS) for _ in range(2))
    assert first == second
    assert [c.number for c in first.citations] == [1, 2, 3]


def test_markers_are_found_in_escaped_text_and_unescaped_before_lookup() -> None:
    rendered = render_markdown("Odd DOI [@doi:10.1000/a&b<c>] cited.", references=REFS)
    assert citation_numbers(rendered) == ["1"]
    assert rendered.citations[0].citekey == "odd"
    assert "Odd DOI<sup" in rendered.html


def test_citations_carry_the_formatted_entry_and_serialise_to_json() -> None:
    citation = render_markdown("[@bowden-2018]", references=REFS).citations[0]
    ref = bowden()
    assert isinstance(citation, Citation)
    assert citation.kind == "journal-article"
    assert citation.kind_label == "Journal article"
    assert citation.html == format_reference(ref)
    assert citation.text == format_reference_text(ref)
    assert (citation.doi, citation.pmid, citation.pmcid, citation.url) == (
        "10.2147/dddt.s154922", "30288020", "PMC6161731", "",
    )  # fmt: skip
    stored = json.loads(json.dumps(citation.as_dict()))
    assert stored["number"] == 1
    assert stored["kind"] == "journal-article"
    assert stored["text"] == citation.text


def test_marker_inside_link_text_gets_a_number_but_no_nested_link() -> None:
    rendered = render_markdown("[see [@bowden-2018]](https://example.org)", references=REFS)
    assert '<sup class="citation"><span id="cite-1-1">1</span></sup>' in rendered.html
    assert rendered.html.count("<a ") == 1


def test_pipeline_version_is_a_string() -> None:
    assert isinstance(PIPELINE_VERSION, str) and PIPELINE_VERSION


# --- unknown and malformed markers ----------------------------------------------------------


def test_unknown_markers_error_names_every_unknown_marker() -> None:
    with pytest.raises(ValidationError) as caught:
        render_markdown(
            "Known [@bowden-2018], unknown [@pmid:123] and [@nosuchkey; @haffner-2019] "
            "and again [@nosuchkey].",
            references=REFS,
        )
    assert caught.value.code == "unknown_citation"
    assert caught.value.messages == ["Unknown citation marker(s): [@pmid:123], [@nosuchkey]"]


def test_malformed_marker_is_named_as_written() -> None:
    with pytest.raises(ValidationError) as caught:
        render_markdown("Bad [@pmid:abc] and [@Not A Key].", references=REFS)
    assert caught.value.messages == ["Unknown citation marker(s): [@pmid:abc], [@Not A Key]"]


def test_unresolved_markers_lists_raw_keys_in_order_without_repeats() -> None:
    text = "[@zeta] [@bowden-2018] [@pmid:abc; @zeta] [@alpha] `[@in-code]`"
    assert unresolved_markers(text, REFS) == ["zeta", "pmid:abc", "alpha"]
    assert unresolved_markers("[@bowden-2018] [@PMID:30288020]", REFS) == []


# --- code -----------------------------------------------------------------------------------


def test_markers_in_code_are_left_as_literal_code() -> None:
    text = (
        "Cite with `[@bowden-2018]` like this [@bowden-2018].\n\n"
        "```\n[@bowden-2018] and [@unknown-in-code]\n```\n\n"
        "    [@indented-code]\n"
    )
    rendered = render_markdown(text, references=REFS)
    assert "<code>[@bowden-2018]</code>" in rendered.html
    assert "<pre><code>[@bowden-2018] and [@unknown-in-code]\n</code></pre>" in rendered.html
    assert "[@indented-code]" in rendered.html
    assert citation_numbers(rendered) == ["1"]


# --- sanitisation ---------------------------------------------------------------------------


def render(text: str) -> str:
    return render_markdown(text, references={}).html


def test_script_typed_in_markdown_is_shown_as_text_never_run() -> None:
    out = render("Hello <script>alert(1)</script>")
    assert "<script" not in out
    assert "&lt;script&gt;" in out


def test_sanitize_html_removes_script_with_its_content() -> None:
    assert sanitize_html("<p>a<script>alert(1)</script>b</p>") == "<p>ab</p>"


def test_sanitize_html_removes_event_handler_attributes() -> None:
    out = sanitize_html('<p onclick="x()">a<img src=x onerror="alert(1)"><b onerror=y>b</b></p>')
    assert "onerror" not in out and "onclick" not in out and "<img" not in out
    assert out == "<p>a<b>b</b></p>"


def test_javascript_link_in_markdown_is_not_a_link() -> None:
    out = render("[x](javascript:alert(1)) and [y](JaVaScRiPt:alert(1))")
    assert "href" not in out
    assert "<a" not in out


def test_sanitize_html_strips_javascript_href() -> None:
    out = sanitize_html('<a href="javascript:alert(1)">x</a><a href=" javascript:alert(1)">y</a>')
    assert "javascript" not in out
    assert "href" not in out


def test_iframe_is_removed_with_its_content() -> None:
    out = sanitize_html('<p>a<iframe src="https://evil.example">inner</iframe>b</p>')
    assert out == "<p>ab</p>"
    assert "<iframe" not in render('<iframe src="https://evil.example"></iframe>')


def test_data_urls_are_removed() -> None:
    out = render("![x](data:image/png;base64,AAAA) [y](data:text/html,hi)")
    # The Markdown link stays as inert text; neither becomes an attribute.
    assert "<img" not in out and "src=" not in out and "href" not in out
    out = sanitize_html('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>')
    assert "data:" not in out and "href" not in out


def test_style_attributes_are_removed() -> None:
    assert sanitize_html('<p style="color:red">x</p>') == "<p>x</p>"
    # markdown-it writes column alignment as style=: it goes too.
    assert "style" not in render("| a |\n|--:|\n| 1 |")


def test_allowed_links_get_noopener_noreferrer() -> None:
    out = render('[site](https://example.org "Title") and <mailto:a@example.org>')
    assert '<a href="https://example.org" title="Title" rel="noopener noreferrer">site</a>' in out
    assert 'href="mailto:a@example.org"' in out


def test_emphasis_lists_quotes_and_strikethrough_survive() -> None:
    out = render("*em* **strong** ~~gone~~\n\n- one\n- two\n\n> quoted")
    for fragment in ("<em>em</em>", "<strong>strong</strong>", "<s>gone</s>", "<li>one</li>",
                     "<blockquote>"):  # fmt: skip
        assert fragment in out


# --- structure ------------------------------------------------------------------------------


def test_headings_start_at_h2_and_stop_at_h4() -> None:
    out = render("# One\n\n## Two\n\n### Three\n\n#### Four\n\n###### Six")
    assert re.findall(r"<(h\d)>", out) == ["h2", "h2", "h3", "h4", "h4"]
    assert "<h1" not in out


def test_sanitize_html_drops_h1_tags_but_keeps_their_text() -> None:
    assert sanitize_html("<h1>Title</h1>") == "Title"


def test_tables_render() -> None:
    out = render("| Drug | Dose |\n|------|------|\n| Asfotase alfa | 2 mg/kg |")
    assert "<table>" in out
    assert "<th>Drug</th>" in out
    assert "<td>Asfotase alfa</td>" in out


def test_citations_in_tables_and_headings_are_numbered() -> None:
    rendered = render_markdown(
        "# Why [@haffner-2019]\n\n| a |\n|---|\n| [@bowden-2018] |", references=REFS
    )
    assert citation_numbers(rendered) == ["1", "2"]


# --- database -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_references_for_keys_resolves_every_key_form_in_one_query(
    django_assert_num_queries: object,
) -> None:
    saved_bowden = bowden()
    saved_bowden.save()
    saved_haffner = haffner()
    saved_haffner.save()
    Reference.objects.create(citekey="unrelated", title="Not cited")
    keys = [
        "bowden-2018",
        "pmid:30288020",
        "DOI:10.2147/DDDT.S154922",
        "pmcid:PMC6161731",
        "pmid:31068690",
        "nosuchkey",
        "pmid:abc",
    ]
    with django_assert_num_queries(1):  # type: ignore[operator]
        found = references_for_keys(keys)
    assert {found[k].pk for k in keys[:4]} == {saved_bowden.pk}
    assert found["pmid:31068690"].pk == saved_haffner.pk
    # The canonical form of a key written differently resolves too.
    assert found["doi:10.2147/dddt.s154922"].pk == saved_bowden.pk
    assert "nosuchkey" not in found and "pmid:abc" not in found
    rendered = render_markdown("[@pmid:31068690] [@bowden-2018]", references=found)
    assert [c.reference_id for c in rendered.citations] == [saved_haffner.pk, saved_bowden.pk]


def test_references_for_no_keys_makes_no_query() -> None:
    # No django_db mark: any query here would fail the test.
    assert references_for_keys([]) == {}
    assert references_for_keys(["pmid:abc", "Not A Key"]) == {}


def test_superscript_follows_the_word_without_a_space() -> None:
    """The space typed before a marker is dropped, so the number sits against its word."""
    bowden = Reference(pk=1, citekey="bowden-2018", pmid="30288020", title="T", authors=[])
    out = render_markdown(
        "Bones harden [@pmid:30288020].", references={"pmid:30288020": bowden}
    ).html
    assert "harden<sup" in out
