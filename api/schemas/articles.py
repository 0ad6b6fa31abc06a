"""The read API's answers (ArticlePage, Article) and query parameters (page, audience).

The query parameters are declared with the type they really have, so the document states it;
a value outside it is answered as before (404 invalid_page, 400 unknown_audience) rather than
with a 422, by validators that raise the API's own error, which pydantic lets through.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from api.errors import ApiError, short
from api.schemas.common import ContentHash, Error
from articles.audiences import audience_keys, default_audience
from reviews.models import State

PER_PAGE = 20
REVIEW_STATES = (State.SUBMITTED, State.UNDER_REVIEW, State.APPROVED)
CITATION_FIELDS = ("number", "citekey", "kind", "text", "doi", "pmid", "pmcid", "url")

ReviewStatus = Annotated[
    Literal[tuple(state.value for state in REVIEW_STATES)],  # type: ignore[misc]
    Field(description="Where the live version stands: approved, or published pending review."),
]
AudienceKey = Literal[tuple(audience_keys())]  # type: ignore[misc]


def _page_number(value: Any) -> int:
    """`?page=`: a page number from 1; an empty value is the first page."""
    if value in (None, ""):
        return 1
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise ApiError(404, "invalid_page", "There is no such page; pages are numbered from 1.")
    return number


def _known_audience(value: Any) -> Any:
    """`?audience=`: a configured audience, else 400 naming the valid ones."""
    keys = audience_keys()
    if value not in keys:
        raise ApiError(
            400,
            "unknown_audience",
            f"“{short(str(value))}” is not an audience; use one of {', '.join(keys)}.",
            audiences=keys,
        )
    return value


PageNumber = Annotated[int, Field(ge=1), BeforeValidator(_page_number)]
Audience = Annotated[
    AudienceKey,
    BeforeValidator(_known_audience),
    Field(
        description="A missing text falls back along the audience's order (`fallback`, "
        "`source_audience`). Default: the site's default audience; never the reader's cookie, "
        "so that answers can be cached by URL."
    ),
]


class ListQuery(BaseModel):
    """The query parameters of the article list."""

    page: PageNumber = 1


class ArticleQuery(BaseModel):
    """The query parameters of one article."""

    audience: Audience = default_audience().key


class ArticleSummary(BaseModel):
    """A published article in the list."""

    slug: str
    title: str
    summary: str
    url: str = Field(description="The public page.")
    api_url: str
    version: int = Field(ge=1)
    content_hash: ContentHash = Field(description="SHA-256 of the version's content.")
    published_at: datetime | None
    updated_at: datetime = Field(description="When this version's content was last changed.")
    review_status: ReviewStatus
    pending_review: bool


class ArticlePage(BaseModel):
    """One page of published articles, latest publication first."""

    count: int = Field(ge=0)
    next: str | None
    previous: str | None
    results: list[ArticleSummary] = Field(max_length=PER_PAGE)


class FurtherReading(BaseModel):
    """A source the authors list without citing it in the text: a Citation without a number."""

    citekey: str
    kind: str = Field(examples=["journal-article", "guideline"])
    text: str = Field(description="The reference, NLM style, plain text.")
    doi: str
    pmid: str
    pmcid: str
    url: str


class Citation(FurtherReading):
    """A numbered reference of the text."""

    number: int = Field(ge=1, description="Vancouver: numbered by first citation.")


class Signature(BaseModel):
    """A reviewer's approval of one exact version."""

    name: str = Field(description="Printed name as signed.")
    credentials: str
    signed_at: datetime
    version: int
    content_hash: ContentHash
    profile_url: str | None


class Review(BaseModel):
    """Who reviewed the live version, and when it is due again."""

    status: ReviewStatus
    pending_review: bool
    reviewed_by: list[Signature] = Field(
        description="Approvals of this exact version; empty when pending review."
    )
    last_reviewed: date | None
    next_review_due: date | None


class RelatedArticle(BaseModel):
    slug: str
    title: str
    url: str


class Article(BaseModel):
    """The live (signed) version of a published article, for one audience."""

    slug: str
    title: str
    summary: str
    url: str = Field(description="Canonical page for this audience.")
    audience: AudienceKey
    source_audience: AudienceKey = Field(
        description="Whose text this is; differs from `audience` on fallback."
    )
    fallback: bool
    version: int = Field(ge=1)
    content_hash: ContentHash
    published_at: datetime | None
    updated_at: datetime
    authors: list[str]
    body_html: str = Field(description="Sanitised HTML of the text.")
    citations: list[Citation]
    further_reading: list[FurtherReading] = Field(
        description="Sources the authors list without citing them in the text."
    )
    review: Review
    disclaimer: str
    related: list[RelatedArticle]


class UnknownAudience(Error):
    """`?audience=` names no audience; the valid ones are listed."""

    error: Literal["unknown_audience"]
    audiences: list[str]
