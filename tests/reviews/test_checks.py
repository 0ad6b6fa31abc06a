"""Evidence and readability checks: required ones block, recommended ones block until waived."""

from __future__ import annotations

import socket
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from articles.models import ReadabilityScore
from articles.readability import LIBRARY_VERSION, plain_text, score
from reviews.checks import Level, article_checks
from reviews.models import AuditEvent, CheckWaiver, State
from reviews.services.content import draft_update
from reviews.services.errors import WorkflowError
from reviews.services.evidence import check_waive
from reviews.services.transitions import transition_apply
from tests.factories import make_article, make_reference

pytestmark = pytest.mark.django_db

HARD_PATIENT_TEXT = " ".join(
    [
        "Hypophosphatasia characteristically demonstrates pathophysiological mineralization abnormalities "
        "necessitating comprehensive multidisciplinary investigation."
    ]
    * 8
)


def check(article: Any, key: str) -> Any:
    return next(c for c in article_checks(article=article) if c.key == key)


def submit_refusal(article: Any, user: Any) -> WorkflowError:
    with pytest.raises(WorkflowError) as refused:
        transition_apply(article=article, user=user, action="submit")
    return refused.value


class TestEvidenceChecks:
    def test_a_retracted_source_blocks_submission_and_cannot_be_waived(self, author: Any) -> None:
        """Citing a retracted paper is a required failure."""
        reference = make_reference(retracted_on=date(2024, 5, 1))
        article = make_article(author=author, citations=[reference])
        assert "was retracted on 01 May 2024" in " ".join(submit_refusal(article, author).reasons)
        with pytest.raises(WorkflowError, match="cannot be waived: it is required"):
            check_waive(
                article=article, user=author, check_key="citations.retracted", reason="I like it."
            )

    def test_a_superseded_guideline_blocks_until_a_reason_is_recorded(self, author: Any) -> None:
        """Recommended: the author records why the older guideline is cited, then may submit."""
        newer = make_reference(year=2025)
        older = make_reference(kind="guideline", superseded_by=newer, year=2019)
        article = make_article(author=author, citations=[older])
        reasons = submit_refusal(article, author).reasons
        assert any(f"{older.citekey} is superseded by {newer.citekey} (2025)" in r for r in reasons)
        check_waive(
            article=article,
            user=author,
            check_key="citations.superseded",
            reason="Doses quoted from 2019.",
        )
        transition_apply(article=article, user=author, action="submit")
        assert article.workflow.__class__.objects.get(article=article).state == State.SUBMITTED
        assert AuditEvent.objects.filter(
            article=article, action="waive_check", note__contains="Doses quoted"
        ).exists()

    def test_a_waiver_covers_one_version_only(self, author: Any) -> None:
        """After a content change the recommended check blocks again until a new reason is given."""
        newer = make_reference()
        older = make_reference(superseded_by=newer)
        article = make_article(author=author, citations=[older])
        check_waive(
            article=article, user=author, check_key="citations.superseded", reason="Deliberate."
        )
        article = draft_update(
            article=article,
            user=author,
            base_version=1,
            fields={"summary": "Changed."},
            change_reason="Edit",
        )
        assert check(article, "citations.superseded").blocking

    def test_a_source_without_identifier_is_a_recommended_failure(self, author: Any) -> None:
        """A cited reference with no DOI, PMID or PMCID is flagged, by citekey."""
        bare = make_reference(pmid="", citekey="old-book")
        article = make_article(
            author=author, texts={"patient": "See [@old-book].", "clinician": "See [@old-book]."}
        )
        result = check(article, "citations.no_identifier")
        assert result.level == Level.RECOMMENDED and result.blocking
        assert "old-book has no DOI, PMID or PMCID" in result.problems[0]
        assert bare.pk

    def test_evidence_age_reports_oldest_and_median_year(self, author: Any) -> None:
        """Informational: the age of the sources, never blocking."""
        refs = [make_reference(year=y) for y in (2001, 2015, 2020)]
        result = check(make_article(author=author, citations=refs), "evidence.age")
        assert result.detail == "Oldest source 2001, median 2015, newest 2020 (3 dated)."
        assert not result.blocking

    @override_settings(EDITORIAL_CHECK_LEVELS={"citations.superseded": "required"})
    def test_levels_are_configurable(self, author: Any) -> None:
        """A publisher may make the superseded check required; then no reason lets it through."""
        older = make_reference(superseded_by=make_reference())
        article = make_article(author=author, citations=[older])
        assert check(article, "citations.superseded").level == Level.REQUIRED
        with pytest.raises(WorkflowError, match="it is required"):
            check_waive(article=article, user=author, check_key="citations.superseded", reason="x")

    def test_only_authors_and_editors_record_reasons(self, author: Any, reviewer: Any) -> None:
        """A reviewer cannot wave a check through."""
        older = make_reference(superseded_by=make_reference())
        article = make_article(author=author, citations=[older])
        with pytest.raises(PermissionDenied):
            check_waive(
                article=article, user=reviewer, check_key="citations.superseded", reason="x"
            )
        assert not CheckWaiver.objects.exists()

    def test_waiving_from_the_workspace_page(self, author: Any) -> None:
        """The workspace shows the failing check with a form; posting a reason records it."""
        older = make_reference(superseded_by=make_reference())
        article = make_article(author=author, citations=[older])
        client = Client()
        client.force_login(author)
        page = client.get(f"/workspace/articles/{article.slug}/").content.decode()
        assert "No cited guideline is superseded" in page and "Reason to go ahead" in page
        client.post(
            f"/workspace/articles/{article.slug}/checks/citations.superseded/waive/",
            {"reason": "On purpose."},
        )
        assert CheckWaiver.objects.get().reason == "On purpose."


class TestReadability:
    def test_plain_text_drops_markdown_and_citation_markers(self) -> None:
        """Scores see the words readers read, one sentence per block."""
        assert plain_text(
            "## Title\n\nSome **bold** [link](http://x) text [@pmid:1].\n\n- item"
        ) == ("Title.\nSome bold link text .\nitem.")

    def test_scoring_works_with_the_network_off(self, monkeypatch: Any) -> None:
        """No download at run time: every socket connection fails and scoring still works."""

        def refuse(*args: Any, **kwargs: Any) -> None:
            raise OSError("network is off in this test")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        result = score("The cat sat on the mat. It was a good day for the cat. " * 10)
        assert result.fk_grade < 4 and result.words == 140
        assert result.library_version == LIBRARY_VERSION == "0.7.4"

    def test_a_patient_text_above_target_blocks_submission_until_waived(self, author: Any) -> None:
        """Patient text above grade 8 is a recommended failure naming grade and target."""
        article = make_article(
            author=author, texts={"patient": HARD_PATIENT_TEXT, "clinician": "Fine."}
        )
        reasons = " ".join(submit_refusal(article, author).reasons)
        assert "The patient text reads at grade" in reasons and "above the target of 8" in reasons
        check_waive(
            article=article,
            user=author,
            check_key="readability",
            reason="Technical terms are defined in the glossary.",
        )
        transition_apply(article=article, user=author, action="submit")

    def test_scores_are_stored_with_the_library_version_and_reused(
        self, author: Any, django_assert_max_num_queries: Any
    ) -> None:
        """Each audience text is scored once per content hash; the row names textstat and its version."""
        article = make_article(
            author=author, texts={"patient": HARD_PATIENT_TEXT, "clinician": "Short."}
        )
        article_checks(article=article)
        stored = ReadabilityScore.objects.get(content_hash=article.content_hash, audience="patient")
        assert (stored.library, stored.library_version) == ("textstat", "0.7.4")
        assert stored.fk_grade > 12
        article_checks(article=article)
        assert ReadabilityScore.objects.count() == 2

    def test_short_texts_are_scored_but_not_judged(self, author: Any) -> None:
        """Under 50 words a formula means little: shown, never blocking."""
        article = make_article(
            author=author, texts={"patient": "Phosphatase abnormalities.", "clinician": "x"}
        )
        result = check(article, "readability")
        assert result.passed and "too short to judge" in result.detail


class TestListedSources:
    def test_a_listed_source_no_text_cites_is_a_recommended_failure_naming_it(
        self, author: Any
    ) -> None:
        """The problem names the source (short reference and key) and what to do about it."""
        cited = make_reference()
        extra = make_reference(
            authors=[{"family": "Bowden", "initials": "SA"}],
            year=2018,
            title="Alkaline phosphatase in children",
        )
        article = make_article(
            author=author, citations=[cited], sources=[cited.citekey, f"pmid:{extra.pmid}"]
        )
        result = check(article, "citations.listed_not_cited")
        assert (result.label, result.level, result.blocking) == (
            "Every listed source is cited",
            Level.RECOMMENDED,
            True,
        )
        assert result.problems == (
            f"Listed but never cited: Bowden SA. 2018. Alkaline phosphatase in children (pmid:{extra.pmid}). "
            "Cite it in the text, remove it, or record why it stays.",
        )

    def test_a_listed_source_cited_by_any_of_its_keys_passes(self, author: Any) -> None:
        """Listed by PMID, cited by citekey: the same reference, so it is cited."""
        ref = make_reference()
        article = make_article(
            author=author,
            texts={"patient": f"Claim [@{ref.citekey}].", "clinician": "Words."},
            sources=[f"pmid:{ref.pmid}"],
        )
        assert check(article, "citations.listed_not_cited").passed
        assert check(make_article(author=author), "citations.listed_not_cited").passed

    def test_it_blocks_submission_until_a_reason_is_recorded_for_this_version(
        self, author: Any
    ) -> None:
        """Waived for version 1, submission goes ahead; a later version needs its own reason."""
        extra = make_reference()
        article = make_article(author=author, sources=[extra.citekey])
        assert any(
            r.startswith("Listed but never cited") for r in submit_refusal(article, author).reasons
        )
        waiver = check_waive(
            article=article,
            user=author,
            check_key="citations.listed_not_cited",
            reason="Background reading for clinicians.",
        )
        assert (waiver.version, waiver.content_hash) == (1, article.content_hash)
        assert not check(article, "citations.listed_not_cited").blocking
        article = draft_update(
            article=article,
            user=author,
            base_version=1,
            fields={"summary": "Changed."},
            change_reason="Edit",
        )
        assert check(article, "citations.listed_not_cited").blocking
        check_waive(
            article=article,
            user=author,
            check_key="citations.listed_not_cited",
            reason="Still background.",
        )
        transition_apply(article=article, user=author, action="submit")
        assert list(
            CheckWaiver.objects.filter(check_key="citations.listed_not_cited")
            .order_by("version")
            .values_list("version", flat=True)
        ) == [1, 2]

    @override_settings(EDITORIAL_CHECK_LEVELS={"citations.listed_not_cited": "info"})
    def test_its_level_follows_the_settings(self, author: Any) -> None:
        """Made informational, it reports the source and blocks nothing."""
        article = make_article(author=author, sources=[make_reference().citekey])
        result = check(article, "citations.listed_not_cited")
        assert result.level == Level.INFO and result.problems and not result.blocking
        transition_apply(article=article, user=author, action="submit")

    def test_a_listed_source_that_left_the_library_is_named(self, author: Any) -> None:
        """A reference deleted after it was listed is reported by its key, not skipped."""
        gone = make_reference()
        article = make_article(author=author, sources=[gone.citekey])
        gone.delete()
        assert check(article, "citations.listed_not_cited").problems == (
            f"Listed source {gone.citekey} is not in the reference library: correct it or remove it.",
        )

    def test_a_retracted_listed_source_is_a_required_failure(self, author: Any) -> None:
        """Readers are shown listed sources, so a retracted one blocks like a cited one."""
        retracted = make_reference(retracted_on=date(2024, 5, 1))
        article = make_article(author=author, sources=[retracted.citekey])
        assert "was retracted on 01 May 2024" in check(article, "citations.retracted").problems[0]

    def test_listed_sources_add_no_query_to_the_checks(self, author: Any) -> None:
        """Markers' and sources' references load in one query: twenty listed sources cost nothing more."""
        refs = [make_reference() for _ in range(21)]
        plain = make_article(author=author, citations=refs[:1])
        listing = make_article(author=author, citations=refs[:1], sources=[r.citekey for r in refs])
        counts = []
        for article in (plain, listing):
            article_checks(article=article)  # scores the texts once; they are reused after
            with CaptureQueriesContext(connection) as queries:
                article_checks(article=article)
            counts.append(len(queries))
        assert counts[0] == counts[1]
