"""Pydantic's validation errors as the API's field errors: `{"path", "message", "code"}`.

Clients read `path` in the API's own notation (`texts.patient`, `related[1]`) and `code` from a
short stable list, the one the API used before it was built on pydantic; pydantic's own error
types and messages are an implementation detail and may change with its versions. A code raised
by our own validators (PydanticCustomError) is kept as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic_core import ErrorDetails

from api.errors import FieldError, field_error, json_type, short
from api.schemas.drafts import READ_ONLY_FIELDS, WRITABLE_FIELDS
from articles.audiences import audience_keys

Describe = Callable[[ErrorDetails], str]


def _must_be(what: str) -> Describe:
    return lambda error: f"Must be {what}, not {json_type(error.get('input'))}."


def _too_long(error: ErrorDetails) -> str:
    limit = (error.get("ctx") or {}).get("max_length")
    value = error.get("input")
    has = f" (this has {len(value)})" if isinstance(value, str) else ""
    return f"At most {limit} characters{has}."


def _choices(error: ErrorDetails) -> str:
    return f"Use one of: {(error.get('ctx') or {}).get('expected', '')}."


# pydantic's error type: (our code, how to say it).
TRANSLATIONS: dict[str, tuple[str, Describe]] = {
    "missing": ("required", lambda _: "This field is required."),
    "string_type": ("type", _must_be("a string")),
    "string_unicode": ("invalid_characters", lambda _: "Must be valid Unicode."),
    "int_type": ("type", _must_be("an integer")),
    # A version below 1 was always a type error here: "a positive integer" is the type.
    "greater_than_equal": ("type", lambda e: f"Must be an integer of at least {e['ctx']['ge']}."),
    "list_type": ("type", _must_be("an array")),
    "dict_type": ("type", _must_be("an object")),
    "model_type": ("type", _must_be("an object")),
    "model_attributes_type": ("type", _must_be("an object")),
    "string_too_long": ("max_length", _too_long),
    "string_too_short": ("blank", lambda _: "Must not be empty."),
    "too_long": ("max_items", lambda e: f"At most {e['ctx']['max_length']} items."),
    "literal_error": ("invalid_choice", _choices),
    "enum": ("invalid_choice", _choices),
    # Slugs are the only strings of the API with a pattern.
    "string_pattern_mismatch": (
        "invalid_slug",
        lambda _: "Use only letters, numbers, underscores or hyphens.",
    ),
}


def api_path(loc: Sequence[str | int]) -> str | None:
    """("texts", "patient") as `texts.patient`, ("related", 1) as `related[1]`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{short(part)}" if path else short(part)
    return path or None


def _unknown_field(loc: Sequence[str | int]) -> tuple[str, str]:
    name = loc[-1]
    if len(loc) > 1 and loc[-2] == "texts":
        return (
            "unknown_audience",
            f"Unknown audience; the audiences are {', '.join(audience_keys())}.",
        )
    if name in READ_ONLY_FIELDS:
        return "read_only", "Read-only: the server sets it."
    if name in WRITABLE_FIELDS:
        return "not_allowed", "Not accepted by this operation."
    return "unknown_field", "Unknown field."


def field_errors(errors: Sequence[ErrorDetails], *, in_body: bool) -> list[FieldError]:
    """Each pydantic error as a field error; in a body, paths start inside the body."""
    problems = []
    for error in errors:
        loc = error["loc"][1:] if in_body else error["loc"]
        kind = error["type"]
        if kind == "extra_forbidden":
            code, message = _unknown_field(loc)
        elif kind in TRANSLATIONS:
            code, describe = TRANSLATIONS[kind]
            message = describe(error)
        else:
            code, message = kind, error["msg"]
        problems.append(field_error(api_path(loc), message, code))
    return problems


def body_is_missing(errors: Sequence[ErrorDetails]) -> bool:
    """The body itself is absent (an empty request body), not one of its fields."""
    return any(error["type"] == "missing" and len(error["loc"]) == 1 for error in errors)
