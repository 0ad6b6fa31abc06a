"""The APIs' error envelope: every error is JSON `{"error": code, "message": sentence, ...}`.

`ApiError` can be raised anywhere below an operation (a view, a parser, a validator, the bearer
authentication) and is rendered by the exception handlers in api.handlers; the plain views here
(JSON 404, JSON 500, JSON 405) answer in the same envelope for what never reaches an operation.
The codes are a contract with clients: they change only with a new API version.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

MAX_BODY_BYTES = 1024 * 1024
# The order the Allow header lists methods in, so that it reads the same on every answer.
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

FieldError = dict[str, str | None]


class ApiError(Exception):
    """An error answer, raised anywhere below an operation and rendered by api.handlers."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.payload = {"error": error, "message": message, **extra}
        self.headers = dict(headers or {})

    def response(self) -> JsonResponse:
        response = JsonResponse(self.payload, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def field_error(path: str | None, message: str, code: str) -> FieldError:
    return {"path": path, "message": message, "code": code}


def invalid(errors: list[FieldError]) -> ApiError:
    """422 naming every problem of a body; nothing was written."""
    return ApiError(422, "invalid", "The body has errors; nothing was saved.", errors=errors)


def too_large() -> ApiError:
    return ApiError(
        413, "too_large", f"The body is over {MAX_BODY_BYTES} bytes.", max_bytes=MAX_BODY_BYTES
    )


def slug_taken() -> ApiError:
    """A slug taken on create is 409, not 422: the body is valid, it collides with the server's
    state, and a client handles it differently (choose another slug, or PUT to the existing one)."""
    return ApiError(
        409,
        "already_exists",
        "An article with this slug already exists.",
        errors=[field_error("slug", "This slug is taken.", "unique")],
    )


def method_not_allowed(method: str, allowed: Collection[str]) -> HttpResponse:
    ordered = sorted(allowed, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else 99)
    return ApiError(
        405,
        "method_not_allowed",
        f"{method} is not offered here.",
        headers={"Allow": ", ".join(ordered)},
        allowed=ordered,
    ).response()


def json_type(value: Any) -> str:
    """What a JSON value is, in words, for a message that must not echo the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def short(value: str, limit: int = 60) -> str:
    """A client's string echoed in an error, cut so that an error never repeats a megabyte."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


@csrf_exempt  # Any method, so that a POST to an unknown URL is a 404, not a CSRF failure.
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under /api/ without a route: a JSON 404, never the site's HTML page."""
    response = ApiError(404, "not_found", "There is no such endpoint.").response()
    response["Cache-Control"] = "no-store"
    return response


def server_error() -> HttpResponse:
    """The JSON 500 for a crash under /api/; says nothing about the crash itself."""
    response = ApiError(
        500,
        "server_error",
        "The server failed to answer; nothing was changed. "
        "Try again, and tell us if it keeps happening.",
    ).response()
    response["Cache-Control"] = "no-store"
    return response
