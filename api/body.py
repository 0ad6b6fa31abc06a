"""Reading a request body: JSON objects of at most 1 MB, nothing else.

Ninja hands the body to `JsonBodyParser.parse_body` and wraps whatever it raises in its own
HttpError(400); api.handlers unwraps our ApiError again, so each refusal keeps its status and
code: 413 too_large, 415 unsupported_media_type, 400 malformed_json or not_an_object.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

from api.errors import MAX_BODY_BYTES, ApiError, json_type, short, too_large


def declared_length(request: HttpRequest) -> int:
    """The Content-Length header; 400 when it is not a length."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if length < 0:
        raise ApiError(400, "bad_request", "The Content-Length header is not a valid length.")
    return length


def check_declared_length(request: HttpRequest) -> None:
    """Refuse a body declared over the limit before anything reads it (or looks up a token)."""
    if declared_length(request) > MAX_BODY_BYTES:
        raise too_large()


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Refuse duplicate keys: with them the body means whatever the parser keeps."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {short(key)!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class JsonBodyParser(Parser):
    """JSON objects only, UTF-8, no duplicate keys, no NaN or Infinity, at most 1 MB."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        charset = request.content_params.get("charset", "utf-8").lower()
        if request.content_type != "application/json" or charset not in {"utf-8", "utf8"}:
            raise ApiError(
                415,
                "unsupported_media_type",
                "Send the body as `Content-Type: application/json` (UTF-8).",
            )
        body = request.body
        if len(body) > MAX_BODY_BYTES:
            raise too_large()
        try:
            data = json.loads(
                body.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_no_constant
            )
        except (ValueError, RecursionError) as error:
            # UnicodeDecodeError and JSONDecodeError are ValueErrors; RecursionError is absurd
            # nesting.
            raise ApiError(400, "malformed_json", f"The body is not valid JSON: {error}.") from None
        if not isinstance(data, dict):
            raise ApiError(
                400, "not_an_object", f"The body must be a JSON object, not {json_type(data)}."
            )
        return data
