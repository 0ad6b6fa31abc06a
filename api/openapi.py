"""The OpenAPI 3.1 document of /api/v1/, built in code so that it follows the configured audiences.

The document is assembled from sections. A section is a function returning the tag, the paths
(relative to the server URL, /api/v1) and the component schemas and responses it contributes.
To describe more endpoints under /api/v1/ (the read API for published articles, say), write a
section function beside those endpoints and add it to `SECTIONS`; the shared error shapes and the
bearer scheme below are available to every section by `$ref`. `document()` refuses a path or
component name that two sections both define, so sections cannot silently overwrite each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from articles.audiences import audiences
from articles.models import Article
from reviews.models import State

API_ROOT = "/api/v1"
# The API's promises, declared here with the document that makes them and enforced by api.drafting.
MAX_BODY_BYTES = 1024 * 1024
SLUG_MAX_LENGTH: int = Article._meta.get_field("slug").max_length  # type: ignore[assignment]
TITLE_MAX_LENGTH: int = Article._meta.get_field("title").max_length  # type: ignore[assignment]
SLUG_PATTERN = "^[-a-zA-Z0-9_]+$"
MAX_RELATED = 100
MAX_SOURCES = 200
SOURCE_KEY_MAX_LENGTH = 300

JsonObject = dict[str, Any]


def ref(kind: str, name: str) -> JsonObject:
    """A `$ref` to a component: ref("schemas", "Draft")."""
    return {"$ref": f"#/components/{kind}/{name}"}


def json_content(schema: JsonObject) -> JsonObject:
    return {"application/json": {"schema": schema}}


def answer(description: str, schema_name: str, **extra: Any) -> JsonObject:
    """A response whose body is the component schema `schema_name`."""
    content = json_content(ref("schemas", schema_name))
    return {"description": description, "content": content, **extra}


def one_of(*schema_names: str) -> JsonObject:
    return json_content({"oneOf": [ref("schemas", name) for name in schema_names]})


def request_body(schema_name: str, *, required: bool = True) -> JsonObject:
    return {"required": required, "content": json_content(ref("schemas", schema_name))}


@dataclass(frozen=True)
class Section:
    """What one group of endpoints adds to the document."""

    tag: JsonObject
    paths: JsonObject
    schemas: JsonObject = field(default_factory=dict)
    responses: JsonObject = field(default_factory=dict)


# --- shared by every section: errors and authentication -----------------------------------------

BEARER_SCHEME = "bearerToken"

COMMON_SCHEMAS: JsonObject = {
    "Error": {
        "type": "object",
        "description": "Every error answer: a stable code for programs, a sentence for people.",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "examples": ["not_found"]},
            "message": {"type": "string"},
        },
    },
    "FieldError": {
        "type": "object",
        "required": ["path", "message", "code"],
        "properties": {
            "path": {
                "type": ["string", "null"],
                "description": "Where in the body: `title`, `texts.patient`, `related[1]`; "
                "null when the error is about the body as a whole.",
                "examples": ["texts.patient", "related[1]"],
            },
            "message": {"type": "string"},
            "code": {
                "type": "string",
                "examples": [
                    "required",
                    "type",
                    "unknown_field",
                    "read_only",
                    "unknown_audience",
                    "unknown_article",
                    "invalid_slug",
                    "max_length",
                    "blank",
                    "unknown_source",
                    "malformed_source",
                ],
            },
        },
    },
    "ValidationFailed": {
        "allOf": [
            ref("schemas", "Error"),
            {
                "type": "object",
                "required": ["errors"],
                "properties": {
                    "error": {"const": "invalid"},
                    "errors": {"type": "array", "items": ref("schemas", "FieldError")},
                },
            },
        ],
    },
    "MethodNotAllowed": {
        "allOf": [
            ref("schemas", "Error"),
            {
                "type": "object",
                "properties": {
                    "error": {"const": "method_not_allowed"},
                    "allowed": {"type": "array", "items": {"type": "string"}},
                },
            },
        ],
    },
    "TooLarge": {
        "allOf": [
            ref("schemas", "Error"),
            {
                "type": "object",
                "properties": {
                    "error": {"const": "too_large"},
                    "max_bytes": {"type": "integer", "const": MAX_BODY_BYTES},
                },
            },
        ],
    },
}

COMMON_RESPONSES: JsonObject = {
    "BadRequest": answer(
        "The body is not JSON, or not a JSON object (`malformed_json`, `not_an_object`).", "Error"
    ),
    "Unauthorized": answer(
        "No token (`WWW-Authenticate: Bearer`), or an unknown or revoked token or an inactive "
        'user (`WWW-Authenticate: Bearer error="invalid_token"`).',
        "Error",
        headers={"WWW-Authenticate": {"schema": {"type": "string"}}},
    ),
    "Forbidden": answer(
        "The user can see the draft but holds no role allowed to do this (`permission_denied`).",
        "Error",
    ),
    "NotFound": answer(
        "No such draft, or one the user is neither editor, author nor assigned reviewer of: "
        "the two are not told apart, so slugs cannot be probed.",
        "Error",
    ),
    "MethodNotAllowed": answer(
        "Method not offered here; the `Allow` header lists those that are.",
        "MethodNotAllowed",
        headers={"Allow": {"schema": {"type": "string"}}},
    ),
    "TooLarge": answer(f"The body is over {MAX_BODY_BYTES} bytes.", "TooLarge"),
    "UnsupportedMediaType": answer("The body is not `application/json` (UTF-8).", "Error"),
    "ValidationFailed": answer(
        "The body has errors, each with its path; nothing was written.", "ValidationFailed"
    ),
}


# --- the drafting API -------------------------------------------------------------------------


def _texts_schema() -> JsonObject:
    return {
        "type": "object",
        "description": "Markdown per audience. An empty text removes the audience's text. "
        "Citation markers look like `[@pmid:30288020]`, `[@doi:…]` or `[@citekey]`.",
        "properties": {
            key: {"type": "string", "description": f"{audience.label}: {audience.description}"}
            for key, audience in audiences().items()
        },
        "additionalProperties": False,
    }


def _draft_fields() -> JsonObject:
    return {
        "slug": {"type": "string", "pattern": SLUG_PATTERN, "maxLength": SLUG_MAX_LENGTH},
        "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX_LENGTH},
        "summary": {"type": "string"},
        "texts": _texts_schema(),
        "related": {
            "type": "array",
            "description": "Slugs of existing related articles, each once; order is not kept.",
            "items": {"type": "string"},
            "uniqueItems": True,
            "maxItems": MAX_RELATED,
        },
        "sources": {
            "type": "array",
            "description": "The sources consulted, as citation keys (`pmid:30288020`, "
            "`doi:10.…`, a library citekey), in the author's order; stored canonical, repeats "
            "dropped. Each must be in the reference library (422 `unknown_source` names those "
            "that are not). A listed source no text cites is flagged by a recommended check and "
            "shown to readers as further reading.",
            "items": {"type": "string", "minLength": 1, "maxLength": SOURCE_KEY_MAX_LENGTH},
            "maxItems": MAX_SOURCES,
        },
        "change_reason": {
            "type": "string",
            "minLength": 1,
            "description": "Why this version was made; recorded in the history.",
        },
    }


def drafting_section() -> Section:
    fields = _draft_fields()
    slug_parameter = {
        "name": "slug",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": SLUG_PATTERN},
    }
    errors = {
        "400": ref("responses", "BadRequest"),
        "401": ref("responses", "Unauthorized"),
        "405": ref("responses", "MethodNotAllowed"),
        "413": ref("responses", "TooLarge"),
        "415": ref("responses", "UnsupportedMediaType"),
    }
    schemas: JsonObject = {
        "DraftCreate": {
            "type": "object",
            "required": ["slug", "title"],
            "properties": {
                **fields,
                "change_reason": {**fields["change_reason"], "default": "First version."},
            },
            "additionalProperties": False,
        },
        "DraftUpdate": {
            "type": "object",
            "description": "The whole content (PUT replaces it) and the version the edit started "
            "from. `slug` may be sent but not changed. Content equal to the current content makes "
            "no new version. `sources` is optional: left out, the listed sources stay as they are.",
            "required": ["title", "summary", "texts", "related", "change_reason", "version"],
            "properties": {
                **fields,
                "version": {"type": "integer", "minimum": 1},
                "change_weight": {
                    "type": "string",
                    "enum": ["minor", "substantive", "conclusions"],
                    "default": "substantive",
                    "description": "How heavy the change is; a minor fix re-approved does not "
                    "move the article's last full review date.",
                },
            },
            "additionalProperties": False,
        },
        "SubmitRequest": {
            "type": "object",
            "description": "Optional: the version being submitted; a stale one is refused (409).",
            "properties": {"version": {"type": "integer", "minimum": 1}},
            "additionalProperties": False,
        },
        "Reply": {
            "type": "object",
            "required": ["id", "body", "author", "created_at"],
            "properties": {
                "id": {"type": "integer"},
                "version": {"type": "integer", "description": "The version it was written on."},
                "audience": {"type": "string", "description": "Empty: the whole article."},
                "quote": {"type": "string"},
                "body": {"type": "string"},
                "author": {"type": "string", "description": "Username."},
                "created_at": {"type": "string", "format": "date-time"},
            },
        },
        "Comment": {
            "allOf": [
                ref("schemas", "Reply"),
                {
                    "type": "object",
                    "required": ["replies"],
                    "properties": {"replies": {"type": "array", "items": ref("schemas", "Reply")}},
                },
            ],
        },
        "Draft": {
            "type": "object",
            "required": [
                "slug",
                "title",
                "summary",
                "texts",
                "related",
                "sources",
                "version",
                "state",
                "content_hash",
                "open_comments",
                "links",
            ],
            "properties": {
                **{
                    name: fields[name]
                    for name in ("slug", "title", "summary", "texts", "related", "sources")
                },
                "version": {"type": "integer", "minimum": 1},
                "state": {"type": "string", "enum": list(State.values)},
                "content_hash": {
                    "type": "string",
                    "pattern": "^[0-9a-f]{64}$",
                    "description": "SHA-256 of the canonical serialisation of the content.",
                },
                "open_comments": {
                    "type": "array",
                    "description": "Unresolved review comment threads, oldest first.",
                    "items": ref("schemas", "Comment"),
                },
                "links": {
                    "type": "object",
                    "required": ["self", "submit"],
                    "properties": {
                        "self": {"type": "string"},
                        "submit": {"type": "string"},
                        "public": {"type": "string", "description": "Only when published."},
                    },
                },
            },
        },
        "EditConflict": {
            "allOf": [
                ref("schemas", "Error"),
                {
                    "type": "object",
                    "required": ["current_version", "content_hash", "your_version"],
                    "properties": {
                        "error": {"const": "conflict"},
                        "current_version": {"type": "integer"},
                        "content_hash": {"type": "string"},
                        "your_version": {"type": "integer"},
                    },
                },
            ],
        },
        "WorkflowRefusal": {
            "allOf": [
                ref("schemas", "Error"),
                {
                    "type": "object",
                    "required": ["reasons"],
                    "properties": {
                        "error": {"enum": ["guards_failed", "illegal_state", "note_required"]},
                        "reasons": {"type": "array", "items": {"type": "string"}},
                    },
                },
            ],
        },
        "AlreadyExists": {
            "allOf": [
                ref("schemas", "Error"),
                {
                    "type": "object",
                    "properties": {
                        "error": {"const": "already_exists"},
                        "errors": {"type": "array", "items": ref("schemas", "FieldError")},
                    },
                },
            ],
        },
    }
    draft_answer = answer("The draft.", "Draft")
    paths: JsonObject = {
        "/drafts/": {
            "post": {
                "operationId": "draft_create",
                "summary": "Create a draft (the user becomes its author)",
                "tags": ["drafts"],
                "requestBody": request_body("DraftCreate"),
                "responses": {
                    "201": {
                        **draft_answer,
                        "description": "Created at version 1, state draft.",
                        "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                    },
                    **errors,
                    "403": ref("responses", "Forbidden"),
                    "409": answer("The slug is taken (`already_exists`).", "AlreadyExists"),
                    "422": ref("responses", "ValidationFailed"),
                },
            },
        },
        "/drafts/{slug}/": {
            "parameters": [slug_parameter],
            "get": {
                "operationId": "draft_get",
                "summary": "Content, version, state and open review comments of a draft",
                "tags": ["drafts"],
                "responses": {
                    "200": draft_answer,
                    "401": errors["401"],
                    "404": ref("responses", "NotFound"),
                    "405": errors["405"],
                },
            },
            "put": {
                "operationId": "draft_update",
                "summary": "Replace the draft's content, from the version the edit started from",
                "tags": ["drafts"],
                "requestBody": request_body("DraftUpdate"),
                "responses": {
                    "200": {
                        **draft_answer,
                        "description": "Saved; `version` is unchanged when the content was.",
                    },
                    **errors,
                    "403": ref("responses", "Forbidden"),
                    "404": ref("responses", "NotFound"),
                    "409": {
                        "description": "`conflict`: the draft is no longer at `version` (nothing "
                        "was written; keep your text). Or `illegal_state`: not editable now.",
                        "content": one_of("EditConflict", "WorkflowRefusal"),
                    },
                    "422": ref("responses", "ValidationFailed"),
                },
            },
        },
        "/drafts/{slug}/submit": {
            "parameters": [slug_parameter],
            "post": {
                "operationId": "draft_submit",
                "summary": "Submit the draft for medical review",
                "description": "Runs the submission guards (title and summary, required "
                "audiences, every citation marker resolves). There is no signing operation: "
                "sign-offs are given in the editorial workspace only.",
                "tags": ["drafts"],
                "requestBody": request_body("SubmitRequest", required=False),
                "responses": {
                    "200": {**draft_answer, "description": "Submitted; `state` is `submitted`."},
                    **errors,
                    "403": ref("responses", "Forbidden"),
                    "404": ref("responses", "NotFound"),
                    "409": {
                        "description": "`illegal_state` (not a draft or changes-requested), or "
                        "`conflict` when the optional `version` is stale.",
                        "content": one_of("EditConflict", "WorkflowRefusal"),
                    },
                    "422": {
                        "description": "`guards_failed` with every reason, or a body error.",
                        "content": one_of("WorkflowRefusal", "ValidationFailed"),
                    },
                },
            },
        },
    }
    return Section(
        tag={"name": "drafts", "description": "Write and submit drafts. Signing is not offered."},
        paths=paths,
        schemas=schemas,
    )


def schema_section() -> Section:
    return Section(
        tag={"name": "meta", "description": "About the API itself."},
        paths={
            "/openapi.json": {
                "get": {
                    "operationId": "openapi_document",
                    "summary": "This document",
                    "tags": ["meta"],
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": json_content({"type": "object"}),
                        },
                    },
                },
            },
        },
    )


def read_section() -> Section:
    """The public read API for published articles (api.read).

    Imported when the document is built, not with this module: api.read builds on
    api.drafting, which imports this module.
    """
    from api.read import openapi_section

    return openapi_section()


SECTIONS: list[Callable[[], Section]] = [drafting_section, read_section, schema_section]


def _merge(target: JsonObject, extra: JsonObject, *, what: str) -> None:
    clash = target.keys() & extra.keys()
    if clash:
        raise ValueError(f"Two OpenAPI sections define the same {what}: {sorted(clash)}")
    target.update(extra)


def document() -> JsonObject:
    """The OpenAPI 3.1 document of every section, as plain JSON-ready values."""
    paths: JsonObject = {}
    schemas: JsonObject = dict(COMMON_SCHEMAS)
    responses: JsonObject = dict(COMMON_RESPONSES)
    tags = []
    for build in SECTIONS:
        section = build()
        tags.append(section.tag)
        _merge(paths, section.paths, what="path")
        _merge(schemas, section.schemas, what="schema")
        _merge(responses, section.responses, what="response")
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Editorial API",
            "version": "1",
            "description": "Drafting API for authors and editors. Authenticate with a bearer "
            "token from `manage.py issue_api_token <username>`; session cookies are not "
            "accepted. Bodies are JSON objects of at most 1 MB. The read API for published "
            "articles (`/articles/`) is public: no token, GET only.",
        },
        "servers": [{"url": API_ROOT}],
        "security": [{BEARER_SCHEME: []}],
        "tags": tags,
        "paths": paths,
        "components": {
            "securitySchemes": {
                BEARER_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "opaque, edt_…",
                    "description": "Issued by `manage.py issue_api_token`; revocable.",
                },
            },
            "schemas": schemas,
            "responses": responses,
        },
    }
