"""The error envelope's schemas and the field types every input shares.

A field type carries its whole rule: the constraint pydantic checks is the one the OpenAPI
document states. Rules pydantic has no keyword for (no NUL characters, not blank) are validators
raising PydanticCustomError, whose type becomes the field error's `code` (see api.validation).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr
from pydantic_core import PydanticCustomError

from articles.models import Article

# Refused by name rather than ignored, so that sending `"state": "approved"` cannot look as if it
# did something; strict, so that `true` is no version number and `"1"` no integer.
INPUT = ConfigDict(extra="forbid", strict=True)

SLUG_PATTERN = "^[-a-zA-Z0-9_]+$"
SLUG_MAX_LENGTH: int = Article._meta.get_field("slug").max_length  # type: ignore[assignment]
TITLE_MAX_LENGTH: int = Article._meta.get_field("title").max_length  # type: ignore[assignment]
CONTENT_HASH_PATTERN = "^[0-9a-f]{64}$"


def absent(**kwargs: Any) -> Any:
    """An optional field that has no value when left out (see `model_fields_set`), and whose
    documented schema shows no `"default": null` that the field would refuse if sent."""
    return Field(default=None, json_schema_extra=_no_default, **kwargs)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def storable(value: str) -> str:
    """Refuse what cannot be stored as text.

    PostgreSQL refuses NUL in text and in jsonb, and an unpaired surrogate cannot be encoded to
    UTF-8 for the content hash: both would fail deep in a save, so they are refused here.
    """
    if "\x00" in value:
        raise PydanticCustomError(
            "invalid_characters", "Must not contain NUL (\\u0000) characters."
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError(
            "invalid_characters", "Must be valid Unicode (it has an unpaired surrogate)."
        ) from None
    return value


def not_blank(message: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank", message)
        return value

    return AfterValidator(check)


Text = Annotated[StrictStr, AfterValidator(storable)]
Slug = Annotated[
    StrictStr, Field(pattern=SLUG_PATTERN, max_length=SLUG_MAX_LENGTH), AfterValidator(storable)
]
Version = Annotated[StrictInt, Field(ge=1)]
ContentHash = Annotated[str, Field(pattern=CONTENT_HASH_PATTERN)]


# --- the error envelope --------------------------------------------------------------------------


class Error(BaseModel):
    """Every error answer: a stable code for programs, a sentence for people."""

    error: str = Field(examples=["not_found"])
    message: str


class FieldError(BaseModel):
    """One problem of a body, where it is and what it is."""

    path: str | None = Field(
        description="Where in the body: `title`, `texts.patient`, `related[1]`; null when the "
        "error is about the body as a whole.",
        examples=["texts.patient", "related[1]"],
    )
    message: str
    code: str = Field(
        examples=[
            "required",
            "type",
            "unknown_field",
            "read_only",
            "not_allowed",
            "unknown_audience",
            "unknown_article",
            "invalid_slug",
            "max_length",
            "blank",
            "unknown_source",
        ]
    )


class ValidationFailed(Error):
    """The body has errors, each with its path; nothing was written."""

    error: Literal["invalid"]
    errors: list[FieldError]


class MethodNotAllowed(Error):
    """Method not offered here; the `Allow` header lists those that are."""

    error: Literal["method_not_allowed"]
    allowed: list[str]


class TooLarge(Error):
    """The body is over the size limit."""

    error: Literal["too_large"]
    max_bytes: int


class AlreadyExists(Error):
    """The slug is taken: choose another, or PUT to the existing draft."""

    error: Literal["already_exists"]
    errors: list[FieldError]


class EditConflict(Error):
    """The draft is no longer at the version the edit started from; nothing was written."""

    error: Literal["conflict"]
    current_version: int
    content_hash: str
    your_version: int


class WorkflowRefusal(Error):
    """The workflow refused the action, with every reason."""

    error: Literal["guards_failed", "illegal_state", "note_required"]
    reasons: list[str]
