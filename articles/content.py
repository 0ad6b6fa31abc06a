"""What a version's content is: normalisation, citation markers, canonical serialisation, hash.

Pure functions, no database: the hash must come out the same on SQLite and PostgreSQL, in a test
and in production, so it is computed here from plain Python values only.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError

from references.identifiers import normalize_marker

# `[@key]` or several keys in one bracket: `[@pmid:1; @doi:10.1/x]`.
MARKER_GROUP = re.compile(r"\[(@[^\[\]\n]+?)\]")
MARKER_SPLIT = re.compile(r"\s*;\s*")

CANONICAL_FORMAT = "editorial-content/1"


def normalise_text(value: str) -> str:
    """Unicode NFC, LF line endings, no trailing spaces on lines or at the end."""
    value = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in value.split("\n")).strip()


def normalise_line(value: str) -> str:
    """A one-line field (a title): NFC, every run of whitespace, line breaks included, one space."""
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def normalise_texts(texts: Mapping[str, str]) -> dict[str, str]:
    """Drop empty audience texts and normalise the rest; keys sorted for a stable order."""
    cleaned = {key: normalise_text(text) for key, text in texts.items()}
    return {key: cleaned[key] for key in sorted(cleaned) if cleaned[key]}


def marker_keys(text: str) -> list[str]:
    """The raw keys of every citation marker in `text`, in order of appearance, repeats kept."""
    keys: list[str] = []
    for group in MARKER_GROUP.finditer(text):
        for part in MARKER_SPLIT.split(group.group(1)):
            keys.append(part.lstrip("@").strip())
    return keys


def normalise_source_keys(keys: Iterable[object]) -> list[str]:
    """A listed-sources value: each key canonical as a marker key is, blanks and repeats dropped,
    the author's order kept.

    A key may be written with the marker's `@` (`@pmid:123`). A malformed key is kept as written
    (stripped), as `collect_citation_keys` keeps a malformed marker: validation names it.
    """
    seen: dict[str, None] = {}
    for raw in keys:
        key = str(raw).strip().lstrip("@").strip()
        if not key:
            continue
        try:
            key = normalize_marker(key)
        except ValidationError:
            pass
        seen.setdefault(key, None)
    return list(seen)


def canonical_serialization(
    *,
    title: str,
    summary: str,
    texts: Mapping[str, str],
    citation_keys: Iterable[str],
    related_ids: Iterable[int],
    sources: Iterable[str] = (),
) -> bytes:
    """The bytes a version's hash is computed over: sorted-key JSON, UTF-8, no whitespace.

    `sources` (the listed sources) is written only when there are some, so every version made
    before the list existed keeps the hash it was signed with.
    """
    document: dict[str, object] = {
        "format": CANONICAL_FORMAT,
        "title": normalise_line(title),
        "summary": normalise_text(summary),
        "texts": normalise_texts(texts),
        "citations": list(citation_keys),
        "related": sorted({int(i) for i in related_ids}),
    }
    listed = normalise_source_keys(sources)
    if listed:
        document["sources"] = listed
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def content_hash(**content: object) -> str:
    """SHA-256 (hex) of the canonical serialisation of a version's content."""
    return hashlib.sha256(canonical_serialization(**content)).hexdigest()  # type: ignore[arg-type]


def collect_citation_keys(texts: dict[str, str]) -> list[str]:
    """Canonical citation keys used across all audience texts, in order of first appearance.

    A malformed marker is kept as written: a draft may hold one, but validation names it and a
    submission with it is refused.
    """
    seen: dict[str, None] = {}
    for audience in sorted(texts):
        for raw in marker_keys(texts[audience]):
            try:
                key = normalize_marker(raw)
            except ValidationError:
                key = raw
            seen.setdefault(key, None)
    return list(seen)
