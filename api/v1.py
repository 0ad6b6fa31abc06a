"""The API at /api/v1/: the drafting and read routers on one NinjaAPI, and its OpenAPI document.

One API rather than two, because clients know one document at /api/v1/openapi.json, one error
envelope and one server URL. The document is generated from the operations and their pydantic
schemas, the same ones that validate the input, so the two cannot drift apart.

What ninja does differently from the API's contract is adjusted here, once:
- paths in the document are relative to the server URL, /api/v1, as they always were;
- an operation without authentication says `security: []`, against the document's default;
- HEAD is served wherever GET is but not listed twice;
- a method not offered is the envelope's JSON 405 with an ordered `Allow`, not ninja's text;
- answers are `application/json` (JSON has no charset parameter) and `no-store` unless an
  operation says otherwise; a body declared over the limit is refused before anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern
from ninja import NinjaAPI
from ninja.errors import ValidationError, ValidationErrorContext
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from api import drafting, handlers, read
from api.auth import SCHEME_NAME
from api.body import JsonBodyParser, check_declared_length
from api.errors import MAX_BODY_BYTES, ApiError, method_not_allowed
from api.validation import body_is_missing, field_errors

SERVER_URL = "/api/v1"
TAGS = [
    {"name": "drafts", "description": "Write and submit drafts. Signing is not offered."},
    {"name": "articles", "description": "Published articles, read-only and public."},
    {"name": "meta", "description": "About the API itself."},
]
DESCRIPTION = (
    "Drafting API for authors and editors. Authenticate with a bearer token from "
    "`manage.py issue_api_token <username>`; session cookies are not accepted. Bodies are JSON "
    f"objects of at most {MAX_BODY_BYTES // (1024 * 1024)} MB. The read API for published "
    "articles (`/articles/`) is public: no token, GET only. Errors are "
    '`{"error": code, "message": sentence}`, with more fields for some codes.'
)


class Document(OpenAPISchema):
    """Ninja's OpenAPI document with the API's conventions (see the module docstring)."""

    def methods(self, operations: list[Operation]) -> dict[str, Any]:
        result = super().methods(operations)
        result.pop("head", None)
        return result

    def operation_details(self, operation: Operation) -> dict[str, Any]:
        details = super().operation_details(operation)
        if not operation.auth_callbacks:
            details["security"] = []
        return details

    def operation_security(self, operation: Operation) -> list[dict[str, Any]] | None:
        security = super().operation_security(operation)
        if not security:
            return security
        # The one scheme, under the name it has always had rather than its class name.
        for requirement in security:
            for name in requirement:
                self.securitySchemes[SCHEME_NAME] = self.securitySchemes.pop(name)
        return [{SCHEME_NAME: []}]


class EditorialApi(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        return Document(self, "")

    def get_content_type(self) -> str:
        return "application/json"

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> ValidationError:
        """The API's field errors, from pydantic's (with their input, which ninja drops)."""
        errors = []
        for context in error_contexts:
            details = context.pydantic_validation_error.errors(include_url=False)
            in_body = context.model.__ninja_param_source__ == "body"
            if in_body and body_is_missing(details):
                raise ApiError(400, "malformed_json", "The body is empty; send a JSON object.")
            errors.extend(field_errors(details, in_body=in_body))
        return ValidationError(errors)


api = EditorialApi(
    title="Editorial API",
    version="1",
    description=DESCRIPTION,
    servers=[{"url": SERVER_URL}],
    urls_namespace="api",
    parser=JsonBodyParser(),
    # Served by the `openapi_document` operation below, which is in the document itself.
    openapi_url=None,
    docs_url=None,
    openapi_extra={
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "security": [{SCHEME_NAME: []}],
        "tags": TAGS,
    },
)
handlers.install(api)
api.add_router("", drafting.router)
api.add_router("", read.router)


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document as JSON values (status codes as strings), as it is served."""
    return json.loads(json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder))


@api.get(
    "/openapi.json",
    auth=None,
    response=dict[str, Any],
    operation_id="openapi_document",
    url_name="openapi",
    summary="This document",
    tags=["meta"],
)
def openapi_json(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    """The OpenAPI 3.1 document; public, it describes no data."""
    response["Cache-Control"] = "public, max-age=300"
    return openapi_document()


def _enveloped(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja's view for one URL, answering in the envelope what ninja answers on its own."""

    @wraps(view)
    def enveloped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if request.method in ("POST", "PUT", "PATCH"):
                check_declared_length(request)
            response = view(request, *args, **kwargs)
        except ApiError as error:
            response = error.response()
        if isinstance(response, HttpResponseNotAllowed):
            allowed = [m.strip() for m in response["Allow"].split(",")]
            response = method_not_allowed(request.method or "", allowed)
        response.setdefault("Cache-Control", "no-store")
        return response

    return enveloped


def urlpatterns() -> list[URLPattern]:
    """The operations' URLs, without ninja's API root (a bare /api/v1/ is the JSON 404)."""
    patterns, _app, _namespace = api.urls
    return [
        URLPattern(p.pattern, _enveloped(p.callback), p.default_args, p.name)
        for p in patterns
        if isinstance(p, URLPattern) and p.name != "api-root"
    ]
