"""Validation of an article's content that reads beyond the row: its sources against the library."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from articles.rendering import unresolved_keys
from references.identifiers import normalize_marker
from references.selectors import references_for_keys


def source_key_errors(sources: object) -> list[ValidationError]:
    """Why a list of sources (already normalised) is not acceptable: every listed source must be
    a key the reference library resolves (one query)."""
    if not isinstance(sources, list) or not all(isinstance(k, str) for k in sources):
        return [
            ValidationError(
                "List the sources as citation keys (pmid:N, doi:10.…, citekey), one per entry.",
                code="invalid_sources",
            )
        ]
    if not sources:
        return []
    malformed, unknown = [], []
    for key in unresolved_keys(sources, references_for_keys(sources)):
        try:
            normalize_marker(key)
        except ValidationError:
            malformed.append(key)
        else:
            unknown.append(key)
    errors = []
    if malformed:
        errors.append(
            ValidationError(
                "Not a citation key: %(keys)s. Write pmid:N, doi:10.… or a library citekey.",
                code="malformed_source",
                params={"keys": ", ".join(f"“{key}”" for key in malformed)},
            )
        )
    if unknown:
        errors.append(
            ValidationError(
                "Not in the reference library: %(keys)s. Add the reference to the library first, "
                "or correct the key.",
                code="unknown_source",
                params={"keys": ", ".join(unknown)},
            )
        )
    return errors
