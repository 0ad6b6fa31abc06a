"""Normalise and validate bibliographic identifiers (DOI, PMID, PMCID) and citation markers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_DOI_PREFIXES = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_PMID = re.compile(r"^\d{1,9}$")
_PMCID = re.compile(r"^PMC\d{1,9}$")
CITEKEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")


def normalize_doi(value: str) -> str:
    """Return the DOI lower-cased, without a resolver prefix; '' stays ''."""
    value = _DOI_PREFIXES.sub("", (value or "").strip()).strip()
    if not value:
        return ""
    value = value.lower()
    if not _DOI.match(value):
        raise ValidationError(
            "“%(value)s” is not a DOI: a DOI starts with “10.”, a registrant code and a slash.",
            code="invalid_doi",
            params={"value": value},
        )
    return value


def normalize_pmid(value: str) -> str:
    """Return the PubMed ID as digits without leading zeros; '' stays ''."""
    value = re.sub(r"^pmid:?\s*", "", (value or "").strip(), flags=re.IGNORECASE)
    if not value:
        return ""
    if not _PMID.match(value) or int(value) == 0:
        raise ValidationError(
            "“%(value)s” is not a PMID: a PMID is a positive number of up to nine digits.",
            code="invalid_pmid",
            params={"value": value},
        )
    return str(int(value))


def normalize_pmcid(value: str) -> str:
    """Return the PubMed Central ID as PMC + digits; '' stays ''."""
    value = re.sub(r"^pmcid:?\s*", "", (value or "").strip(), flags=re.IGNORECASE).upper()
    if not value:
        return ""
    if value.isdigit():
        value = f"PMC{value}"
    if not _PMCID.match(value):
        raise ValidationError(
            "“%(value)s” is not a PMCID: a PMCID is “PMC” followed by digits.",
            code="invalid_pmcid",
            params={"value": value},
        )
    return value


def normalize_marker(key: str) -> str:
    """Return the canonical form of a citation marker's key (`pmid:N`, `doi:...` or a citekey).

    Raises ValidationError naming the marker when it cannot be a reference key at all.
    """
    raw = key.strip()
    scheme, sep, rest = raw.partition(":")
    scheme = scheme.lower()
    try:
        if sep and scheme == "pmid":
            return f"pmid:{normalize_pmid(rest)}"
        if sep and scheme == "doi":
            return f"doi:{normalize_doi(rest)}"
        if sep and scheme == "pmcid":
            return f"pmcid:{normalize_pmcid(rest)}"
    except ValidationError as error:
        raise ValidationError(
            "Citation marker [@%(marker)s] is malformed: %(reason)s",
            code="malformed_marker",
            params={"marker": raw, "reason": error.messages[0]},
        ) from error
    if not sep and CITEKEY.match(raw.lower()):
        return raw.lower()
    raise ValidationError(
        "Citation marker [@%(marker)s] is malformed: use [@pmid:N], [@doi:10.…] or [@citekey].",
        code="malformed_marker",
        params={"marker": raw},
    )
