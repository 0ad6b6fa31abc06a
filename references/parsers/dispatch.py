"""Bytes in, records out: decode the file, run its format's parser, locate what goes wrong.

This is the one module that knows all four parsers; they know only `common` and `normalise`.
"""

from __future__ import annotations

from collections.abc import Callable

from references.parsers.bibtex import parse_bibtex
from references.parsers.common import Format, ImportProblem, ParsedRecord, ReferenceFileError
from references.parsers.csljson import parse_csljson
from references.parsers.medline import parse_medline
from references.parsers.ris import parse_ris

PARSERS: dict[Format, Callable[[str], list[ParsedRecord]]] = {
    Format.RIS: parse_ris,
    Format.BIBTEX: parse_bibtex,
    Format.MEDLINE: parse_medline,
    Format.CSLJSON: parse_csljson,
}


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark is dropped). Anything else is refused by name."""
    if not data.strip():
        raise ReferenceFileError([ImportProblem("the file is empty.")])
    head = data[:4096]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        head.count(b"\x00") * 3 > len(head)
        and max(head[0::2].count(0), head[1::2].count(0)) * 4 > len(head)
    ):
        raise ReferenceFileError(
            [
                ImportProblem(
                    "the file is UTF-16, not UTF-8: save or export it as UTF-8 and try again.",
                    line=1,
                )
            ]
        )
    if b"\x00" in data:
        raise ReferenceFileError(
            [ImportProblem("this is not a text file (it holds binary data).", line=1)]
        )
    return data.decode("utf-8-sig")


def parse_references(data: bytes, *, fmt: Format) -> list[ParsedRecord]:
    """Every record of the file, or ReferenceFileError naming what is wrong and where."""
    try:
        text = decode(data)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        record = _record_at(data.decode("utf-8-sig", "replace"), fmt=fmt, line=line)
        raise ReferenceFileError(
            [
                ImportProblem(
                    f"byte 0x{data[error.start]:02x} is not UTF-8: the file is in another encoding "
                    "(Latin-1 or Windows-1252, perhaps). Save or export it as UTF-8 and try again.",
                    record=record,
                    line=line,
                )
            ]
        ) from None
    return _parse(text, fmt)


def _parse(text: str, fmt: Format) -> list[ParsedRecord]:
    try:
        return PARSERS[fmt](text)
    except RecursionError:
        # json, bibtexparser and pylatexenc recurse into nested brackets and braces.
        raise ReferenceFileError(
            [
                ImportProblem(
                    "brackets or braces are nested too deeply to read: this is not a reference file."
                )
            ]
        ) from None


def _record_at(text: str, *, fmt: Format, line: int) -> int | None:
    """The number of the record holding `line`, read from a best-effort decoding of the file."""
    try:
        records = _parse(text, fmt)
    except ReferenceFileError:
        return None
    for record in records:
        if record.line <= line <= record.end_line:
            return record.number
    return None
