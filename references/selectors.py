"""Reads of the reference library."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Q

from references.identifiers import normalize_marker
from references.models import Reference, ReferenceImport


def references_for_keys(keys: Iterable[str]) -> dict[str, Reference]:
    """ONE query: every Reference matching any canonical marker key, mapped from each key.

    Keys may be citekeys, `pmid:N`, `doi:...` or `pmcid:PMC...`, canonical or as written; each
    key of `keys` that resolves maps to its reference, and so does its canonical form, so the
    result can be looked up either way. Malformed keys are skipped (they cannot match); no keys
    means no query.
    """
    canonical: dict[str, str] = {}
    for key in keys:
        try:
            canonical[key] = normalize_marker(key)
        except ValidationError:
            continue
    wanted: dict[str, set[str]] = {"citekey": set(), "pmid": set(), "doi": set(), "pmcid": set()}
    for key in canonical.values():
        scheme, sep, value = key.partition(":")
        if sep:
            wanted[scheme].add(value)
        else:
            wanted["citekey"].add(key)
    condition = Q()
    for field_name, values in wanted.items():
        if values:
            condition |= Q(**{f"{field_name}__in": sorted(values)})
    if not condition:
        return {}
    by_key: dict[str, Reference] = {}
    for ref in Reference.objects.filter(condition):
        for key in ref.marker_keys:
            by_key[key] = ref
    found: dict[str, Reference] = {}
    for raw, key in canonical.items():
        if key in by_key:
            found[raw] = found[key] = by_key[key]
    return found


def recent_reference_imports(*, limit: int = 10) -> list[ReferenceImport]:
    """ONE query: the latest imports, for the import page's list (without the stored bytes)."""
    return list(
        ReferenceImport.objects.defer("data", "preview", "report").select_related("created_by")[
            :limit
        ]
    )
