"""Content: articles and their frozen versions, topics, disclaimers, renditions, the glossary,
site pages, problem reports and readability scores.

Workflow state, assignments and sign-offs are not content and live in the reviews app; the
reference library is the references app. Validation that reads other tables lives in
articles.validation and articles.limits.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from articles import content, limits
from articles.addresses import article_url
from articles.audiences import audience_choices, audience_keys
from articles.validation import source_key_errors
from references.models import Reference


class ArticleHistory(HistoricalRecords):
    """History for articles: one row per version, found by (article id, version number)."""

    def get_meta_options(self, model: type[models.Model]) -> dict[str, Any]:
        meta = super().get_meta_options(model)
        meta["indexes"] = (
            *meta.get("indexes", ()),
            models.Index(fields=["id", "version"], name="article_version_lookup"),
        )
        return meta


class Topic(models.Model):
    """A subject that groups articles (a condition, a test, a treatment); has its own page."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("public:topic", kwargs={"slug": self.slug})


class ChangeWeight(models.TextChoices):
    MINOR = "minor", "Minor (wording, typography)"
    SUBSTANTIVE = "substantive", "Substantive (content changed)"
    CONCLUSIONS = "conclusions", "Conclusions changed"


class Article(models.Model):
    """One article: identity, the working draft's content, and which frozen version is live.

    Every content change (title, summary, audience texts, citations, related articles, listed
    sources) makes a new version number, a new SHA-256 content hash and one history row: the
    history rows are the frozen versions. A save that changes no content makes neither.
    """

    CONTENT_FIELDS = ("title", "summary", "texts", "citation_keys", "related_ids", "sources")

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300, help_text="The question the article answers.")
    summary = models.TextField(blank=True)
    texts = models.JSONField(default=dict, blank=True, help_text="Markdown per audience key.")
    related_ids = models.JSONField(default=list, blank=True, help_text="Ids of related articles.")
    citation_keys = models.JSONField(default=list, blank=True, editable=False)
    # The author's list of sources consulted. Citing is done in the texts; a listed source that
    # no text cites is flagged by the checks and shown to readers as further reading.
    sources = models.JSONField(
        default=list,
        blank=True,
        help_text="Sources consulted: citation keys (pmid:N, doi:10.…, citekey), in order.",
    )
    version = models.PositiveIntegerField(default=0, editable=False)
    content_hash = models.CharField(max_length=64, editable=False)
    change_weight = models.CharField(
        max_length=16, choices=ChangeWeight.choices, default=ChangeWeight.SUBSTANTIVE
    )
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="authored_articles", blank=True
    )
    # Filing, not content: changing topics makes no version and needs no review.
    topics = models.ManyToManyField(Topic, related_name="articles", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    # Publication: the frozen version readers see. Not content, so not in the hash or history.
    live_version = models.ForeignKey(
        "articles.HistoricalArticle",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    live_pending_review = models.BooleanField(default=False, editable=False)
    # Live pending review, then a reviewer asked for changes (kept live by the dispute policy).
    live_disputed = models.BooleanField(default=False, editable=False)
    # The rendition pipeline pinned at publication: glossary and reference metadata as they were.
    live_rendering = models.CharField(max_length=16, blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = ArticleHistory(
        excluded_fields=[
            "live_version",
            "live_pending_review",
            "live_disputed",
            "live_rendering",
            "published_at",
        ],
        history_change_reason_field=models.TextField(null=True),
    )

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(Lower("slug"), name="article_slug_unique_ignoring_case"),
        ]
        indexes = [
            models.Index(fields=["published_at"], name="article_published_at"),
            # The published list's order (home, topics, the read API), published rows only: a
            # backward scan of a plain index would first step over every unpublished article.
            models.Index(
                models.F("published_at").desc(),
                "id",
                name="article_published_order",
                condition=models.Q(live_version__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; bump the version and write a history row only when the content changed."""
        self.title = content.normalise_line(self.title)
        self.summary = content.normalise_text(self.summary)
        self.texts = content.normalise_texts(self.texts)
        self.related_ids = sorted({int(i) for i in self.related_ids})
        self.citation_keys = content.collect_citation_keys(self.texts)
        self.sources = content.normalise_source_keys(self.sources or [])
        new_hash = self.compute_content_hash()
        update_fields = kwargs.get("update_fields")
        if new_hash != self.content_hash:
            self.version += 1
            self.content_hash = new_hash
            self.updated_at = timezone.now()
            if update_fields is not None:
                kwargs["update_fields"] = {
                    *update_fields,
                    *self.CONTENT_FIELDS,
                    "version",
                    "content_hash",
                    "updated_at",
                }
            super().save(*args, **kwargs)
            return
        # Nothing in the content changed: no new version, no history row.
        self.skip_history_when_saving = True
        try:
            super().save(*args, **kwargs)
        finally:
            del self.skip_history_when_saving

    def get_absolute_url(self) -> str:
        return article_url(self.slug)

    def get_workspace_url(self) -> str:
        return reverse("reviews:article", kwargs={"slug": self.slug})

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        unknown = set(self.texts) - set(audience_keys())
        if unknown:
            errors["texts"] = ValidationError(
                f"Unknown audience(s): {', '.join(sorted(unknown))}.", code="audience"
            )
        if (
            self.slug
            and (
                Article.objects.filter(slug__iexact=self.slug)
                .exclude(slug=self.slug)
                .exclude(pk=self.pk)
            ).exists()
        ):
            # Addresses differing only in case are one address to a reader (and the database's
            # article_slug_unique_ignoring_case constraint); the code is the unique clash's.
            errors["slug"] = ValidationError(
                "An article with this slug already exists.", code="unique"
            )
        errors |= limits.content_errors(title=self.title, summary=self.summary, texts=self.texts)
        if self.pk and self.pk in self.related_ids:
            errors["related_ids"] = ValidationError("An article cannot be related to itself.")
        if isinstance(self.sources, list) and all(isinstance(k, str) for k in self.sources):
            self.sources = content.normalise_source_keys(self.sources)
        sources_errors = source_key_errors(self.sources)
        if sources_errors:
            errors["sources"] = ValidationError(sources_errors)
        if errors:
            raise ValidationError(errors)

    def compute_content_hash(self) -> str:
        return content.content_hash(
            title=self.title,
            summary=self.summary,
            texts=self.texts,
            citation_keys=self.citation_keys,
            related_ids=self.related_ids,
            sources=self.sources,
        )

    @property
    def is_public(self) -> bool:
        return self.live_version_id is not None


class Disclaimer(models.Model):
    """The disclaimer shown under an article, one per audience; owned by editors."""

    audience = models.CharField(max_length=32, unique=True, choices=audience_choices)
    text = models.TextField(help_text="Plain text; blank lines separate paragraphs.")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["audience"]

    def __str__(self) -> str:
        return f"Disclaimer for {self.get_audience_display()}"


def disclaimer_cache_key(audience: str) -> str:
    return f"disclaimer:{audience}"


class Rendition(models.Model):
    """The HTML of one version for one audience, rendered once and kept.

    Keyed by content hash, so identical content (a revert, say) reuses it; `pipeline` changes
    when the rendering code changes so old renditions are not served by new code.
    """

    content_hash = models.CharField(max_length=64)
    audience = models.CharField(max_length=32)
    pipeline = models.CharField(max_length=16)
    source_audience = models.CharField(
        max_length=32, help_text="The audience whose text was rendered (differs on fallback)."
    )
    body_html = models.TextField()
    citations = models.JSONField(default=list)
    # The sources the version lists that no text cites, as unnumbered bibliography entries.
    further_reading = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_hash", "audience", "pipeline"], name="rendition_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_hash[:12]} / {self.audience}"

    @property
    def is_fallback(self) -> bool:
        return self.source_audience != self.audience


class SitePage(models.Model):
    """An editor-owned page of the site, such as the editorial policy; Markdown, with history."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("public:page", kwargs={"slug": self.slug})


class ProblemReport(models.Model):
    """A reader's report of a problem with one published version of an article, for editors."""

    class Kind(models.TextChoices):
        ERROR = "error", "Something is medically wrong"
        OUTDATED = "outdated", "Something is out of date"
        UNCLEAR = "unclear", "Something is hard to understand"
        LINK = "link", "A link or reference does not work"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        NEW = "new", "New"
        TRIAGED = "triaged", "Being looked at"
        CLOSED = "closed", "Closed"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="problem_reports")
    version = models.PositiveIntegerField(help_text="The published version the reader saw.")
    audience = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.TextField(max_length=4000)
    email = models.EmailField(blank=True, help_text="Only if the reader wants an answer.")
    reporter_fingerprint = models.CharField(
        max_length=64, editable=False, help_text="Keyed hash of the address, never the address."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["article", "status"], name="report_article_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} in {self.article} v{self.version}"


class ReadabilityScore(models.Model):
    """Reading-level scores of one audience text of one version, with the library that made them."""

    content_hash = models.CharField(max_length=64)
    audience = models.CharField(max_length=32)
    fk_grade = models.FloatField("Flesch-Kincaid grade")
    smog = models.FloatField("SMOG index")
    words = models.PositiveIntegerField()
    library = models.CharField(max_length=40)
    library_version = models.CharField(max_length=20)
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_hash", "audience", "library", "library_version"],
                name="readability_unique_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.audience}: FK {self.fk_grade}, SMOG {self.smog} ({self.library} {self.library_version})"


class GlossaryTerm(models.Model):
    """A word readers may not know, with a plain-language definition; owned by editors.

    In the patient and caregiver renderings the first use of a term carries its definition.
    """

    term = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    also_matches = models.CharField(
        max_length=300, blank=True, help_text="Other forms, comma-separated (e.g. plurals)."
    )
    definition = models.TextField(max_length=500, help_text="Plain language, one or two sentences.")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term

    @property
    def forms(self) -> list[str]:
        return [self.term, *(f.strip() for f in self.also_matches.split(",") if f.strip())]


GLOSSARY_CACHE_KEY = "glossary:terms"


class CitationLink(models.Model):
    """Which references the live version of each published article cites: an index that finds
    articles sharing sources (for related questions) without reading every version's JSON."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="citation_links")
    reference = models.ForeignKey(
        Reference, on_delete=models.CASCADE, related_name="citation_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "reference"], name="citation_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} cites {self.reference_id}"
