"""BibTeX field values as text: macros and `#` joined, repeated fields merged, crossref inherited.

Only the BibTeX parser uses this module; it holds what bibtexparser 2.1 leaves undone:
`ResolveStringReferencesMiddleware` resolves a lone macro but not `pre # jn # " Soc."`,
`RemoveEnclosingMiddleware` leaves a value with a missing comma glued to the next field (the
title swallows "journal = {…}"), repeated fields refuse the entry, and crossref/xdata
inheritance is a TODO there. LaTeX is decoded by pylatexenc, but TeX's logos and sub- and
superscripts are read first: pylatexenc drops the one and writes "Cu_2O" for the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bibtexparser.model import Entry, Field
from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexwalker import LatexWalkerError

MONTHS = {
    m: str(i)
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_NEXT_FIELD = re.compile(r"\s*([A-Za-z][\w.:+-]*)\s*=")
_MACRO = re.compile(r"[A-Za-z_][\w.:+/-]*")
_SUB = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_SUP = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SCRIPT = re.compile(r"([_^])(?:\{([0-9+\-=()n]+)\}|([0-9+\-=()n]))")
_MATH = re.compile(r"(?<!\\)\$([^$]*)\$")
# Separator for a field written twice (Scopus funding_details, Web of Science Author-Email).
REPEAT_SEPARATOR = "; "


@dataclass
class BadValue(Exception):
    """A field value that cannot be read, with the field's name and the reason."""

    field: str
    line: int
    reason: str


# TeX's logos, which pylatexenc drops ("The \TeX Book" came out "The Book"); read before it sees
# them because a control word also eats the space after it, and a person typing a title meant it.
_LOGOS = re.compile(r"\\(TeX|LaTeXe|LaTeX|BibTeX|XeTeX|LuaTeX)(?![A-Za-z])(?:\{\})?")
_LATEX = LatexNodes2Text(math_mode="text")


def _scripts(match: re.Match[str]) -> str:
    text = match.group(2) or match.group(3)
    return text.translate(_SUB if match.group(1) == "_" else _SUP)


def latex_to_text(value: str) -> str:
    """LaTeX as plain text: {\\'a} -> á, braces dropped, \\& -> &, Cu$_2$O -> Cu₂O, $\\alpha$ -> α."""
    value = _LOGOS.sub(lambda m: m.group(1).replace("LaTeXe", "LaTeX2e"), value)
    value = _MATH.sub(lambda m: "$" + _SCRIPT.sub(_scripts, m.group(1)) + "$", value)
    try:
        return _LATEX.latex_to_text(value)
    except LatexWalkerError:
        return value


def _closing(text: str, start: int, opener: str) -> int:
    """Index after the `}` or `"` closing the group opened at `start`; -1 if it is never closed."""
    depth, index = 0, start - 1
    while index + 1 < len(text):
        index += 1
        char = text[index]
        if char == "\\":
            index += 1  # an escaped brace or quote does not open or close a group
            continue
        if opener == '"' and index > start and char == '"' and depth == 0:
            return index + 1
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if opener == "{" and depth == 0:
                return index + 1
    return -1


def expand(raw: str, strings: dict[str, str], *, field: str, line: int) -> str:
    """A raw value (`{…}`, `"…"`, a number, a macro, or those joined by `#`) as its text.

    Text after a complete value that is not `#` means a comma is missing: "journal = {…}" there
    is refused naming the field, rather than read into it.
    """
    parts, position = [], 0
    while True:
        while position < len(raw) and raw[position].isspace():
            position += 1
        if position >= len(raw):
            break
        char = raw[position]
        if char in '{"':
            end = _closing(raw, position, char)
            if end < 0:
                raise BadValue(field, line, f"the value of “{field}” is never closed")
            parts.append(raw[position + 1 : end - 1])
        else:
            match = _MACRO.match(raw, position) or re.compile(r"\d+").match(raw, position)
            if not match:
                raise BadValue(field, line, f"“{raw[position:][:30]}” cannot start a value")
            end = match.end()
            word = match.group(0)
            parts.append(strings.get(word.lower(), MONTHS.get(word.lower(), word)))
        position = end
        while position < len(raw) and raw[position].isspace():
            position += 1
        if position >= len(raw):
            break
        if raw[position] != "#":
            following = _NEXT_FIELD.match(raw, position)
            found = f"“{following.group(1)} = …”" if following else f"“{raw[position:][:30]}”"
            raise BadValue(
                field,
                line + raw.count("\n", 0, position),
                f"a comma is missing after the value of “{field}”: {found} follows it",
            )
        position += 1
    return "".join(parts)


def resolve_strings(definitions: list[tuple[str, str]]) -> dict[str, str]:
    """@string macros by lower-cased name, each expanded with those before it (later ones win)."""
    strings: dict[str, str] = {}
    for name, raw in definitions:
        try:
            strings[name.lower()] = expand(raw, strings, field=name, line=0)
        except BadValue:
            strings[name.lower()] = raw.strip('{}"')
    return strings


def flatten(entry: Entry, strings: dict[str, str]) -> None:
    """Field keys lower-cased, values expanded to text, a repeated field's values joined."""
    merged: dict[str, Field] = {}
    for f in entry.fields:
        key = f.key.lower()
        line = (f.start_line or 0) + 1
        text = expand(f.value, strings, field=key, line=line) if isinstance(f.value, str) else ""
        if key in merged:
            previous = merged[key].value
            merged[key].value = f"{previous}{REPEAT_SEPARATOR}{text}" if previous else text
        else:
            merged[key] = Field(key, text, f.start_line)
    entry.fields = list(merged.values())


# biblatex's default inheritance: a parent book's title is its chapters' booktitle.
_PARENT_TITLE = {
    "book": "booktitle",
    "mvbook": "maintitle",
    "collection": "booktitle",
    "mvcollection": "maintitle",
    "reference": "booktitle",
    "mvreference": "maintitle",
    "proceedings": "booktitle",
    "mvproceedings": "maintitle",
    "periodical": "journaltitle",
}
_NOT_INHERITED = frozenset({"ids", "crossref", "xref", "xdata", "entryset", "entrysubtype"})


def inherit(entries: list[Entry]) -> None:
    """Fields a `crossref` or `xdata` parent gives its child, where the child has none of its own."""
    by_key = {e.key.lower(): e for e in entries}
    # xdata first, everywhere: a crossref parent may take its publisher from an xdata entry.
    for link in ("xdata", "crossref"):
        for entry in entries:
            keys = entry.fields_dict.get(link)
            if keys is not None:
                parents = [by_key.get(k.strip().lower()) for k in str(keys.value).split(",")]
                _take(entry, [p for p in parents if p is not None], link)


def _take(entry: Entry, parents: list[Entry], link: str) -> None:
    own = {f.key for f in entry.fields}
    for parent in parents:
        for f in parent.fields:
            key = f.key
            if link == "crossref" and key == "title":
                key = _PARENT_TITLE.get(parent.entry_type.lower(), "booktitle")
            if key in own or key in _NOT_INHERITED:
                continue
            entry.fields.append(Field(key, f.value, f.start_line))
            own.add(key)
