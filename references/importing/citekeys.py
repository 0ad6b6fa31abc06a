"""Citekeys for the references an import creates: the file's own key, else author-year.

A key once given is how articles cite the reference, so the file's key (what the author's
manuscript already uses) is kept whenever it is a valid citekey nobody holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from references.identifiers import CITEKEY
from references.importing.plan import Action, PlannedReference
from references.models import Reference
from references.parsers import ascii_slug


def assign_citekeys(rows: list[PlannedReference]) -> None:
    """The file's own key when it is a valid citekey and free; else author-year (+ a, b…)."""
    taken = set(Reference.objects.values_list("citekey", flat=True))
    new = [row for row in rows if row.action == Action.CREATE]
    labelled: dict[int, str] = {}
    for row in new:
        label = row.record.label.strip().lower()
        if CITEKEY.match(label) and re.search("[a-z]", label) and label not in taken:
            labelled[id(row)] = label
            taken.add(label)
    for row in new:
        key = labelled.get(id(row))
        if key is None:
            base = _citekey_base(row.record.fields)
            key = next(k for k in _with_suffixes(base) if k not in taken)
            taken.add(key)
        row.reference.citekey = key


def _citekey_base(fields: dict[str, Any]) -> str:
    """first-author-family-year, as lower-case ASCII: "Villa-Suárez", 2021 -> villa-suarez-2021."""
    authors = fields.get("authors") or []
    first = authors[0] if authors and isinstance(authors[0], dict) else {}
    name = (
        first.get("family")
        or first.get("literal")
        or " ".join(str(fields.get("title") or "").split()[:3])
    )
    slug = ascii_slug(str(name))[:40].strip("-") or "ref"
    year = fields.get("year")
    return f"{slug}-{year if isinstance(year, int) else 'nd'}"


def _with_suffixes(base: str) -> Iterator[str]:
    """base, basea, baseb … basez, baseaa, baseab …"""
    yield base
    letters = "abcdefghijklmnopqrstuvwxyz"
    length = 1
    while True:
        for n in range(len(letters) ** length):
            suffix = ""
            for _ in range(length):
                n, r = divmod(n, len(letters))
                suffix = letters[r] + suffix
            yield f"{base}{suffix}"
        length += 1
