"""Shared helpers of the quirk tests: each fixture reproduces one thing real exports write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from references.parsers import Format, ParsedRecord, parse_references

QUIRKS = Path(__file__).resolve().parents[1] / "fixtures" / "references" / "quirks"
FORMATS = {"ris": Format.RIS, "bib": Format.BIBTEX, "nbib": Format.MEDLINE, "json": Format.CSLJSON}
# Files a reference manager or database really writes broken: refused, never half-read.
MALFORMED = frozenset({"missing_comma.bib", "header_only.ris", "tag_between_records.ris"})


def quirk(name: str) -> bytes:
    return (QUIRKS / name).read_bytes()


def parsed(name: str) -> list[ParsedRecord]:
    return parse_references(quirk(name), fmt=FORMATS[name.rsplit(".", 1)[1]])


def fields(name: str) -> list[dict[str, Any]]:
    return [record.fields for record in parsed(name)]
