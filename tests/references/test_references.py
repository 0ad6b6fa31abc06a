"""The reference library: identifiers normalised and validated with messages that name the value."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from references.identifiers import normalize_doi, normalize_marker, normalize_pmcid, normalize_pmid
from references.models import Reference
from tests.factories import make_reference


class TestIdentifiers:
    @pytest.mark.parametrize(
        "raw",
        [
            "10.2147/DDDT.S154922",
            "doi:10.2147/dddt.s154922",
            "https://doi.org/10.2147/DDDT.S154922",
            "http://dx.doi.org/10.2147/DDDT.S154922",
            "  DOI: 10.2147/DDDT.S154922 ",
        ],
    )
    def test_doi_is_lower_cased_without_resolver_prefix(self, raw: str) -> None:
        """Every common way of writing a DOI normalises to the same lower-case value."""
        assert normalize_doi(raw) == "10.2147/dddt.s154922"

    @pytest.mark.parametrize("raw", ["11.1234/x", "10.12/x", "10.1234", "not a doi"])
    def test_invalid_doi_is_refused_naming_it(self, raw: str) -> None:
        """A value that cannot be a DOI is an error naming the value."""
        with pytest.raises(ValidationError) as error:
            normalize_doi(raw)
        assert error.value.code == "invalid_doi"
        assert "is not a DOI" in error.value.messages[0]

    def test_pmid_is_digits_without_prefix_or_leading_zeros(self) -> None:
        """PMID: 030288020 becomes 30288020."""
        assert normalize_pmid("PMID: 030288020") == "30288020"
        assert normalize_pmid("") == ""

    @pytest.mark.parametrize("raw", ["abc", "0", "1234567890", "12.5"])
    def test_invalid_pmid_is_refused(self, raw: str) -> None:
        """A PMID is a positive number of up to nine digits."""
        with pytest.raises(ValidationError, match="is not a PMID"):
            normalize_pmid(raw)

    def test_pmcid_gets_its_prefix(self) -> None:
        """pmc6161731, PMC6161731 and 6161731 all mean PMC6161731."""
        assert {normalize_pmcid(v) for v in ("pmc6161731", "PMC6161731", "6161731")} == {
            "PMC6161731"
        }
        with pytest.raises(ValidationError, match="is not a PMCID"):
            normalize_pmcid("PMX12")

    def test_markers_are_canonicalised(self) -> None:
        """Marker keys of each scheme normalise like the identifiers they carry."""
        assert normalize_marker("PMID:030288020") == "pmid:30288020"
        assert normalize_marker("doi:10.1038/S41581-019-0152-5") == "doi:10.1038/s41581-019-0152-5"
        assert normalize_marker("Bowden-2018") == "bowden-2018"

    @pytest.mark.parametrize("raw", ["pmid:abc", "doi:nope", "two words", "a/b"])
    def test_malformed_markers_are_refused_naming_the_marker(self, raw: str) -> None:
        """The error quotes the marker as typed."""
        with pytest.raises(ValidationError) as error:
            normalize_marker(raw)
        assert f"[@{raw}]" in error.value.messages[0]


@pytest.mark.django_db
class TestReferenceModel:
    def test_clean_normalises_identifiers(self) -> None:
        """full_clean stores identifiers in their canonical form."""
        reference = Reference(
            citekey="bowden-2018",
            title="Profile of asfotase alfa",
            authors=[{"family": "Bowden", "initials": "SA"}],
            doi="https://doi.org/10.2147/DDDT.S154922",
            pmid="PMID:30288020",
            pmcid="6161731",
        )
        reference.full_clean()
        assert (reference.doi, reference.pmid, reference.pmcid) == (
            "10.2147/dddt.s154922",
            "30288020",
            "PMC6161731",
        )

    def test_clean_reports_every_bad_field_at_once(self) -> None:
        """Errors are keyed by field, all of them in one go."""
        reference = Reference(
            citekey="Bad Key!", title="T", doi="x", pmid="y", pmcid="z", authors=[{"initials": "A"}]
        )
        with pytest.raises(ValidationError) as error:
            reference.full_clean()
        assert set(error.value.message_dict) >= {"citekey", "doi", "pmid", "pmcid", "authors"}

    def test_doi_and_pmid_are_unique_in_the_library(self) -> None:
        """Two references cannot share a DOI or a PMID; many may have none."""
        make_reference(doi="10.1000/one", pmid="123")
        make_reference(pmid="")
        make_reference(pmid="")
        with pytest.raises(IntegrityError), transaction.atomic():
            Reference.objects.create(citekey="dup", title="Dup", doi="10.1000/one")
        with pytest.raises(IntegrityError), transaction.atomic():
            Reference.objects.create(citekey="dup2", title="Dup", pmid="123")

    def test_reference_changes_are_kept_in_history(self) -> None:
        """Editing a reference leaves the old values in its history."""
        reference = make_reference(title="Old title")
        reference.title = "New title"
        reference.save()
        assert [h.title for h in reference.history.order_by("history_id")] == [
            "Old title",
            "New title",
        ]

    def test_marker_keys_lists_every_way_to_cite_it(self) -> None:
        """A reference answers to its citekey, PMID, DOI and PMCID markers."""
        reference = make_reference(
            citekey="rush-2018",
            pmid="30012160",
            doi="10.1186/s13023-018-0866-7",
            pmcid="PMC6048713",
        )
        assert reference.marker_keys == [
            "rush-2018",
            "pmid:30012160",
            "doi:10.1186/s13023-018-0866-7",
            "pmcid:PMC6048713",
        ]
