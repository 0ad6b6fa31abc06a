"""The reference library: one row per work (journal article, guideline, book, web page...).

Articles cite these rows by marker; nothing here knows about articles or their review.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from references.identifiers import CITEKEY, normalize_doi, normalize_pmcid, normalize_pmid


class Reference(models.Model):
    """One entry of the shared reference library, cited from articles by a marker."""

    class Kind(models.TextChoices):
        JOURNAL_ARTICLE = "journal-article", "Journal article"
        GUIDELINE = "guideline", "Guideline"
        SYSTEMATIC_REVIEW = "systematic-review", "Systematic review"
        BOOK = "book", "Book"
        CHAPTER = "chapter", "Book chapter"
        WEB_PAGE = "web-page", "Web page"
        # Every CSL-JSON type and biblatex entry type maps to one of these; GENERIC where nothing
        # fits, so a valid export is never refused for its item type.
        THESIS = "thesis", "Thesis or dissertation"
        REPORT = "report", "Report"
        CONFERENCE_PAPER = "conference-paper", "Conference paper"
        DATASET = "dataset", "Dataset"
        SOFTWARE = "software", "Software"
        NEWS_ARTICLE = "news-article", "Newspaper or magazine article"
        PATENT = "patent", "Patent"
        LEGAL = "legal", "Legal document or case"
        PERSONAL_COMMUNICATION = "personal-communication", "Personal communication"
        GENERIC = "generic", "Other"

    class Status(models.TextChoices):
        PUBLISHED = "", "Published"
        EPUB_AHEAD = "epub-ahead-of-print", "Epub ahead of print"
        FORTHCOMING = "forthcoming", "Forthcoming"

    # Lower-case letters, digits, dots, dashes, underscores (identifiers.CITEKEY, checked in
    # clean()): a reference manager's own key such as "bennett.checkel_2015" is kept as it is.
    citekey = models.CharField(
        max_length=80, unique=True, help_text="Short key cited as [@citekey], e.g. bowden-2018."
    )
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.JOURNAL_ARTICLE)
    status = models.CharField(
        max_length=30,
        choices=Status.choices,
        default=Status.PUBLISHED,
        blank=True,
        help_text="Epub ahead of print, or forthcoming (accepted, not yet published).",
    )
    authors = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            'List of {"family": "King", "initials": "ML", "suffix": "Jr"} (suffix optional) '
            'or {"literal": "World Health Organization"}.'
        ),
    )
    more_authors = models.BooleanField(
        default=False, help_text="Only the first authors are listed: “et al.” follows them."
    )
    title = models.TextField()
    journal = models.CharField(max_length=200, blank=True, help_text="NLM abbreviation.")
    container_title = models.CharField(
        max_length=300, blank=True, help_text="Book title, for a chapter; site name for a page."
    )
    editors = models.JSONField(default=list, blank=True, help_text="Same shape as authors.")
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    volume = models.CharField(max_length=30, blank=True)
    issue = models.CharField(max_length=30, blank=True)
    pages = models.CharField(max_length=50, blank=True)
    publisher = models.CharField(max_length=200, blank=True, help_text="Publisher or issuing body.")
    place = models.CharField(max_length=100, blank=True, help_text="Place of publication.")
    edition = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=500, blank=True)
    accessed_on = models.DateField(null=True, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    pmid = models.CharField("PMID", max_length=12, blank=True)
    pmcid = models.CharField("PMCID", max_length=16, blank=True)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="supersedes"
    )
    retracted_on = models.DateField(null=True, blank=True)
    retraction_notice_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Moved from the articles app: the tables keep their names and rows.
    history = HistoricalRecords(table_name="articles_historicalreference")

    class Meta:
        db_table = "articles_reference"
        ordering = ["citekey"]
        constraints = [
            models.UniqueConstraint(
                fields=["doi"], condition=~models.Q(doi=""), name="reference_unique_doi"
            ),
            models.UniqueConstraint(
                fields=["pmid"], condition=~models.Q(pmid=""), name="reference_unique_pmid"
            ),
        ]

    def __str__(self) -> str:
        first = self.authors[0] if self.authors else {}
        name = first.get("family") or first.get("literal") or "Anon."
        return f"{name} {self.year or 'n.d.'}: {self.title[:60]}"

    IDENTIFIERS = (("doi", normalize_doi), ("pmid", normalize_pmid), ("pmcid", normalize_pmcid))

    def clean_fields(self, exclude: Any = None) -> None:
        """Normalise identifiers first, so "PMID: 030288020" is judged as 30288020."""
        errors: dict[str, Any] = {}
        for field, normalise in self.IDENTIFIERS:
            try:
                setattr(self, field, normalise(getattr(self, field)))
            except ValidationError as error:
                errors[field] = error.error_list
        try:
            super().clean_fields(exclude={*(exclude or ()), *errors})
        except ValidationError as error:
            errors.update(error.error_dict)
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        if not CITEKEY.match(self.citekey or ""):
            errors["citekey"] = ValidationError(
                "A citekey is lower-case letters, digits, dots, dashes or underscores.",
                code="invalid_citekey",
            )
        if not isinstance(self.authors, list) or any(
            not isinstance(a, dict) or not (a.get("family") or a.get("literal"))
            for a in self.authors
        ):
            errors["authors"] = ValidationError(
                'Each author needs a "family" name (with "initials") or a "literal" name.',
                code="invalid_authors",
            )
        if self.superseded_by_id and self.superseded_by_id == self.pk:
            errors["superseded_by"] = ValidationError("A reference cannot supersede itself.")
        if errors:
            raise ValidationError(errors)

    @property
    def marker_keys(self) -> list[str]:
        """Every marker key that resolves to this reference."""
        keys = [self.citekey]
        if self.pmid:
            keys.append(f"pmid:{self.pmid}")
        if self.doi:
            keys.append(f"doi:{self.doi}")
        if self.pmcid:
            keys.append(f"pmcid:{self.pmcid}")
        return keys


class ReferenceImport(models.Model):
    """One import of a reference file: its report, and for a big file the background job.

    Every confirmed import leaves one, so editors can see afterwards what a file created,
    updated, merged and skipped (with why). A file too big to plan and write within a request
    waits here (`data`) while tasks preview and then import it; the bytes are dropped once it
    is imported or has failed.
    """

    class Status(models.TextChoices):
        PREVIEWING = "previewing", "Checking the file"
        PREVIEWED = "previewed", "Waiting for your confirmation"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=20, blank=True)
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField(blank=True, default=b"", editable=False)
    # The editor's choices: records merged into their possible duplicate; skip invalid ones.
    merge = models.JSONField(default=list, blank=True)
    skip_invalid = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DONE)
    background = models.BooleanField(default=False)
    digest = models.CharField(max_length=64, blank=True)  # of the plan last shown
    preview = models.JSONField(default=dict, blank=True)  # that plan, as the preview shows it
    changed = models.BooleanField(default=False)  # the library changed since the last preview
    report = models.JSONField(default=dict, blank=True)  # created/updated/merged/skipped
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
