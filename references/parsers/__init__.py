"""Read reference files (RIS, BibTeX, MEDLINE/.nbib, CSL-JSON) into plain reference records.

Parsers only read. Each returns `ParsedRecord`s: values shaped like `Reference` fields, the
record's position and lines in the file, and the tag each value came from, so an error can name
the file, the record and the line. Nothing here touches the database: matching against the
library, citekeys and validation are `references.importing`'s job.

A file whose structure is broken (a record cut off, bytes that are not UTF-8, another format)
raises `ReferenceFileError`; a record that parses but says something odd (an unknown type)
carries its problems, so the editor sees every problem of a file at once.

One module per format (`ris`, `bibtex`, `medline`, `csljson`; they may not import each other,
see the import-linter contracts), what they share in `common` and `normalise`, and the entry
point in `dispatch`. This module only re-exports the names the rest of the project uses.
"""

from references.parsers.common import (
    EXTENSIONS,
    Format,
    ImportProblem,
    ParsedRecord,
    ReferenceFileError,
    format_for_filename,
    sniff_format,
)
from references.parsers.dispatch import PARSERS, decode, parse_references
from references.parsers.normalise import (
    ascii_slug,
    initials_from_given,
    name_from_text,
    normalise_pages,
    title_key,
)

__all__ = [
    "EXTENSIONS",
    "PARSERS",
    "Format",
    "ImportProblem",
    "ParsedRecord",
    "ReferenceFileError",
    "ascii_slug",
    "decode",
    "format_for_filename",
    "initials_from_given",
    "name_from_text",
    "normalise_pages",
    "parse_references",
    "sniff_format",
    "title_key",
]
