"""The drafting API's bodies (DraftCreate, DraftUpdate, SubmitRequest) and answers (Draft).

Everything a body can be checked for without knowing which draft it is for is checked here, in
one pass, so that one 422 names every problem: types, lengths, unknown and read-only fields, and
the shape of each related slug. Whether a related slug names an article is api.drafting's, with
what else needs the user or the draft (its slug cannot change, it cannot be related to itself):
a schema cannot know who asks, and answering "no such article" only for articles nobody may see
would tell a token holder which drafts exist.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictStr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    create_model,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from api.schemas.common import (
    INPUT,
    SLUG_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ContentHash,
    Slug,
    Text,
    Version,
    absent,
    not_blank,
    storable,
)
from articles.audiences import audiences
from articles.models import ChangeWeight
from reviews.models import State

MAX_RELATED = 100
MAX_SOURCES = 200
SOURCE_KEY_MAX_LENGTH = 300
SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # Django's validate_slug, as a full match

# Constraints before validators: pydantic then reports them as string errors (string_too_long)
# and states them on the string in the document.
Title = Annotated[
    StrictStr,
    Field(min_length=1, max_length=TITLE_MAX_LENGTH),
    AfterValidator(storable),
    not_blank("The title cannot be blank."),
]
ChangeReason = Annotated[
    StrictStr,
    Field(min_length=1, description="Why this version was made; recorded in the history."),
    AfterValidator(storable),
    not_blank("Say why you made this change."),
]
SourceKey = Annotated[
    StrictStr,
    Field(min_length=1, max_length=SOURCE_KEY_MAX_LENGTH),
    AfterValidator(storable),
    not_blank("A source key cannot be blank."),
]


def _related_slugs(value: Any, handler: ValidatorFunctionWrapHandler) -> list[str]:
    """Related slugs: each a string shaped as a slug, once; every problem by its index.

    Wraps the list's own validation so that a wrong item does not hide the others' problems.
    Whether each names an article the user may relate to is checked by api.drafting.
    """
    if isinstance(value, list) and len(value) > MAX_RELATED:
        raise PydanticCustomError("max_items", f"At most {MAX_RELATED} related articles.")
    problems: list[Any] = []
    try:
        slugs: list[str] = handler(value)
    except ValidationError as error:
        if not isinstance(value, list):
            raise
        problems.extend(error.errors())
        slugs = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        if not isinstance(item, str):
            continue  # the handler named it
        if not SLUG.fullmatch(item) or len(item) > SLUG_MAX_LENGTH:
            problems.append(
                _problem(index, item, "unknown_article", "Not a slug, so no article has it.")
            )
        elif item in seen:
            problems.append(_problem(index, item, "duplicate", "“{slug}” is listed twice."))
        else:
            seen.add(item)
    if problems:
        raise ValidationError.from_exception_data("related", problems)
    return slugs


def _problem(index: int, slug: str, code: str, message: str) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError(code, message, {"slug": slug[:60]}), loc=(index,), input=slug
    )


RelatedSlugs = Annotated[
    list[StrictStr],
    WrapValidator(_related_slugs),
    Field(
        max_length=MAX_RELATED,
        description="Slugs of existing related articles, each once; order is not kept.",
        json_schema_extra={"uniqueItems": True},
    ),
]
Sources = Annotated[
    list[SourceKey],
    Field(
        max_length=MAX_SOURCES,
        description="The sources consulted, as citation keys (`pmid:30288020`, `doi:10.…`, a "
        "library citekey), in the author's order; stored canonical, repeats dropped. Each must be "
        "in the reference library (422 `unknown_source` names those that are not). A listed "
        "source no text cites is flagged by a recommended check and shown to readers as further "
        "reading.",
    ),
]


def _texts_schema() -> type[BaseModel]:
    """An object with one optional Markdown text per configured audience, and no other key."""
    fields: dict[str, Any] = {
        key: (Text, absent(description=f"{audience.label}: {audience.description}"))
        for key, audience in audiences().items()
    }
    return create_model(
        "Texts",
        __config__=INPUT,
        __doc__="Markdown per audience. An empty text removes the audience's text. Citation "
        "markers look like `[@pmid:30288020]`, `[@doi:…]` or `[@citekey]`.",
        **fields,
    )


Texts = _texts_schema()


class DraftCreate(BaseModel):
    """A new draft: the user becomes its author; it starts at version 1, state draft."""

    model_config = INPUT

    slug: Slug
    title: Title
    summary: Text = ""
    texts: Texts = Field(default_factory=Texts)  # type: ignore[valid-type]
    related: RelatedSlugs = Field(default_factory=list)
    sources: Sources = Field(default_factory=list)
    change_reason: ChangeReason = "First version."


class DraftUpdate(BaseModel):
    """The whole content (PUT replaces it) and the version the edit started from.

    `slug` may be sent but not changed. Content equal to the current content makes no new
    version. `sources` is optional: left out, the listed sources stay as they are (it came
    later, and clients written before it must not erase the list).
    """

    model_config = INPUT

    slug: Slug = absent(description="The draft's own slug; it cannot be changed.")
    title: Title
    summary: Text
    texts: Texts  # type: ignore[valid-type]
    related: RelatedSlugs
    sources: Sources = absent()
    change_reason: ChangeReason
    change_weight: Literal[tuple(ChangeWeight.values)] = Field(  # type: ignore[valid-type]
        default=ChangeWeight.SUBSTANTIVE.value,
        description="How heavy the change is; a minor fix re-approved does not move the "
        "article's last full review date.",
    )
    version: Version = Field(description="The version your edit started from.")


class SubmitRequest(BaseModel):
    """Optional: the version being submitted; a stale one is refused (409 conflict)."""

    model_config = INPUT

    version: Version = absent(description="The version you are submitting.")


# --- answers -------------------------------------------------------------------------------------


class Reply(BaseModel):
    """A review comment."""

    id: int
    version: int = Field(description="The version it was written on.")
    audience: str = Field(description="Empty: the whole article.")
    quote: str
    body: str
    author: str = Field(description="Username.")
    created_at: datetime


class Comment(Reply):
    """An open review comment thread: its first comment and the replies, oldest first."""

    replies: list[Reply]


class DraftLinks(BaseModel):
    self: str
    submit: str
    public: str = absent(description="Only when published.")


class Draft(BaseModel):
    """A draft as its authors, editors and assigned reviewers see it."""

    slug: str
    title: str
    summary: str
    texts: Texts  # type: ignore[valid-type]
    related: list[str] = Field(description="Slugs of the related articles.")
    sources: list[str]
    version: int = Field(ge=1)
    state: Literal[tuple(State.values)]  # type: ignore[valid-type]
    content_hash: ContentHash = Field(
        description="SHA-256 of the canonical serialisation of the content."
    )
    open_comments: list[Comment] = Field(
        description="Unresolved review comment threads, oldest first."
    )
    links: DraftLinks


WRITABLE_FIELDS = frozenset(DraftCreate.model_fields) | frozenset(DraftUpdate.model_fields)
# Fields of the answer a client may echo back; api.validation names them read-only.
READ_ONLY_FIELDS = frozenset(Draft.model_fields) - WRITABLE_FIELDS
