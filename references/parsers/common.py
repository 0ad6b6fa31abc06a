"""What every reference parser shares: the formats, the records they return, the problems they raise.

A parser returns `ParsedRecord`s (values shaped like `Reference` fields, with the tag and line
each came from) and refuses a broken file with `ReferenceFileError`; `RecordBuilder` is how the
four format modules fill a record, so every value keeps its source for error messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.db import models

from references.models import Reference
from references.parsers.normalise import clean_text

Kind = Reference.Kind


class Format(models.TextChoices):
    RIS = "ris", "RIS"
    BIBTEX = "bibtex", "BibTeX"
    MEDLINE = "medline", "MEDLINE / PubMed (.nbib)"
    CSLJSON = "csljson", "CSL-JSON"


EXTENSIONS: dict[str, Format] = {
    ".ris": Format.RIS,
    ".bib": Format.BIBTEX,
    ".bibtex": Format.BIBTEX,
    ".nbib": Format.MEDLINE,
    ".medline": Format.MEDLINE,
    ".txt": Format.MEDLINE,  # PubMed's "Save as PubMed format" writes pubmed-….txt
    ".json": Format.CSLJSON,
}


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with a file, located as precisely as it can be."""

    message: str
    record: int | None = None
    line: int | None = None
    field: str = ""  # the field it is about, as the file names it: `doi (DO)`

    def located(self, filename: str) -> str:
        """`refs.ris, record 3 (line 17): message`."""
        where = [filename] if filename else []
        if self.record is not None and self.line is not None:
            where.append(f"record {self.record} (line {self.line})")
        elif self.record is not None:
            where.append(f"record {self.record}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ReferenceFileError(Exception):
    """The file cannot be read as references of its format; nothing of it can be trusted."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__("; ".join(p.located("") for p in problems))
        self.problems = problems


@dataclass
class ParsedRecord:
    """One reference read from a file: Reference field values and where each came from."""

    number: int  # 1-based position among the file's records
    line: int  # first line of the record
    end_line: int
    fields: dict[str, Any]
    sources: dict[str, tuple[str, int]] = field(default_factory=dict)  # field -> (tag, line)
    label: str = ""  # the file's own key: RIS ID, BibTeX key, CSL id
    superseded_by: str = ""  # citekey of the reference that replaces this one
    problems: list[str] = field(default_factory=list)

    def line_of(self, name: str) -> int:
        return self.sources.get(name, ("", self.line))[1]

    def tag_of(self, name: str) -> str:
        return self.sources.get(name, ("", 0))[0]


def sniff_format(text: str) -> Format | None:
    """The format the text looks like, from its first non-blank line; None if none fits."""
    for line in text.splitlines():
        stripped = line.strip().lstrip("\ufeff")
        if not stripped:
            continue
        if re.match(r"^TY  -", stripped):
            return Format.RIS
        if re.match(r"^PMID- ", stripped):
            return Format.MEDLINE
        if re.match(r"^@\w+\s*[{(]", stripped):
            return Format.BIBTEX
        if stripped[0] in "[{":
            return Format.CSLJSON
        return None
    return None


def looks_like(text: str, expected: Format) -> str:
    """A hint to add to a refusal when the text is plainly another format; else ''.

    The commonest wrong file is a right file given the wrong format, and saying which is cheaper
    than a list of syntax errors.
    """
    found = sniff_format(text)
    if found and found != expected:
        return f" It looks like {found.label}: choose that format (--format {found.value})."
    return ""


def shown(line: str, width: int = 40) -> str:
    """A line of the file cut to `width` characters, to quote in a message without flooding it."""
    line = line.strip()
    return line if len(line) <= width else line[: width - 1] + "…"


class RecordBuilder:
    """Collects one record's fields with the tag and line each came from."""

    def __init__(self, line: int) -> None:
        self.fields: dict[str, Any] = {"kind": Kind.JOURNAL_ARTICLE, "authors": []}
        self.sources: dict[str, tuple[str, int]] = {}
        self.line = line

    def set(self, name: str, value: Any, tag: str, line: int | None = None) -> None:
        """Keep `value` from `tag` at `line`; an empty value is skipped so it never hides a later one."""
        if value in (None, "", []):
            return
        if isinstance(value, str):
            value = clean_text(value)
            if not value:
                return
        self.fields[name] = value
        self.sources[name] = (tag, line or self.line)

    def record(self, *, number: int, line: int, end_line: int, **extra: Any) -> ParsedRecord:
        """The finished record; `extra` is the format's label, successor and problems."""
        return ParsedRecord(
            number=number,
            line=line,
            end_line=end_line,
            fields=self.fields,
            sources=self.sources,
            **extra,
        )


def split_lines(text: str) -> list[str]:
    """The text's lines whatever its line endings, so line numbers match what an editor shows."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def format_for_filename(filename: str) -> Format:
    """The format its extension names; ReferenceFileError for an extension no format has."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    known = ", ".join(sorted(EXTENSIONS))
    raise ReferenceFileError(
        [
            ImportProblem(
                f"cannot tell the format from the name “{PurePath(filename or '').name}”: use one of "
                f"{known}, or choose the format ({', '.join(f.value for f in Format)})."
            )
        ]
    )
