"""The drafting API under /api/v1/: JSON views over the draft services, bearer tokens only.

A view checks the method, authenticates the token, reads and checks the whole body before
anything is written, calls `reviews.services`, and answers with the draft. The services decide
who may do what; their refusals become HTTP answers in one place, `_endpoint`:

    PermissionDenied                       403 permission_denied
    WorkflowError, code illegal_state      409 illegal_state, with the reasons
    WorkflowError, guard_failed            422 guards_failed, with every reason
    EditConflict                           409 conflict, with the current version
    ValidationError                        422 invalid, each error with its field path
                                           (409 already_exists for a taken slug)

A slug already taken on create is 409, not 422: the body is valid, it collides with the state of
the server, and a client handles it differently (choose another slug, or PUT to the existing one).

An article the user holds no role on (editor, one of its authors, assigned reviewer) is answered
404 exactly like one that does not exist, so draft slugs cannot be probed by their status code.

Signing is not part of this API: no route leads to a signing transition and the only transition
called here is "submit". A signature needs the reviewer's password and the hash of the version
they read, which belong to the editorial workspace, not to a token a script holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    ValidationError,
)
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from accounts.tokens import api_token_authenticate
from api import openapi
from articles.audiences import audience_keys
from articles.content import normalise_text
from articles.models import Article, ChangeWeight
from reviews.models import ReviewComment
from reviews.selectors.roles import roles_for
from reviews.selectors.workspace import open_comment_threads
from reviews.services.content import draft_create, draft_update
from reviews.services.errors import EditConflict, WorkflowError
from reviews.services.transitions import transition_apply

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

MAX_BODY_BYTES = openapi.MAX_BODY_BYTES
SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # Django's validate_slug, as a full match

WRITABLE_FIELDS = (
    "slug",
    "title",
    "summary",
    "texts",
    "related",
    "sources",
    "change_reason",
    "change_weight",
    "version",
)
# Fields of the answer a client may echo back; refused by name rather than ignored, so that
# sending `"state": "approved"` cannot look as if it did something.
READ_ONLY_FIELDS = ("state", "content_hash", "open_comments", "links")
# Required on PUT: a PUT replaces the content, so a field left out must not silently erase it.
# `sources` came later and is optional, so clients written before it keep working: left out, the
# listed sources stay as they are.
PUT_REQUIRED = ("title", "summary", "texts", "related", "change_reason", "version")
# Model field names that the API calls something else.
API_FIELD_NAMES = {"related_ids": "related"}


class ApiError(Exception):
    """An error answer, raised anywhere below a view and rendered by `_endpoint`."""

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


def _too_large() -> ApiError:
    return ApiError(
        413, "too_large", f"The body is over {MAX_BODY_BYTES} bytes.", max_bytes=MAX_BODY_BYTES
    )


@dataclass
class _FieldErrors:
    """Errors found in a body, collected so that one answer names all of them."""

    items: list[dict[str, str | None]] = field(default_factory=list)

    def add(self, path: str | None, message: str, code: str) -> None:
        self.items.append({"path": path, "message": message, "code": code})

    def as_error(self) -> ApiError:
        message = "The body has errors; nothing was saved."
        return ApiError(422, "invalid", message, errors=self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise self.as_error()


# --- the envelope: method, authentication, errors ------------------------------------------------


def _authenticate(request: HttpRequest) -> AbstractBaseUser:
    """The user of the request's bearer token. Session cookies are deliberately not consulted."""
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer":
        raise ApiError(
            401,
            "not_authenticated",
            "Send an API token: `Authorization: Bearer <token>`.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = api_token_authenticate(secret=credentials.strip())
    if token is None:
        raise ApiError(
            401,
            "invalid_token",
            "The token is unknown or revoked, or its user is inactive.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    # Whatever the session said, this request is the token's user (simple-history's middleware
    # and anything else downstream reads request.user).
    request.user = token.user
    return token.user


def _validation_error(error: ValidationError) -> ApiError:
    """A model's ValidationError as field errors with API paths; a taken slug as 409."""
    problems = _FieldErrors()
    by_field = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
    for name, errors in by_field.items():
        path = None if name in (None, NON_FIELD_ERRORS) else API_FIELD_NAMES.get(name, name)
        for item in errors:
            problems.add(path, " ".join(item.messages), item.code or "invalid")
    if any(p["path"] == "slug" and p["code"] == "unique" for p in problems.items):
        return _slug_taken()
    return problems.as_error()


def _slug_taken() -> ApiError:
    return ApiError(
        409,
        "already_exists",
        "An article with this slug already exists.",
        errors=[{"path": "slug", "message": "This slug is taken.", "code": "unique"}],
    )


def _refusal(error: Exception) -> ApiError:
    """A service's refusal as an API error."""
    if isinstance(error, PermissionDenied):
        return ApiError(403, "permission_denied", str(error) or "You may not do this.")
    if isinstance(error, EditConflict):
        return ApiError(
            409,
            "conflict",
            f"{error} Nothing was written; merge your change into the current version.",
            current_version=error.article.version,
            content_hash=error.article.content_hash,
            your_version=error.base_version,
        )
    if isinstance(error, WorkflowError):
        if error.code == "illegal_state":
            return ApiError(409, "illegal_state", " ".join(error.reasons), reasons=error.reasons)
        code = "guards_failed" if error.code == "guard_failed" else error.code
        return ApiError(
            422, code, f"“{error.action}” was refused; nothing changed.", reasons=error.reasons
        )
    assert isinstance(error, ValidationError)
    return _validation_error(error)


View = Callable[..., HttpResponse]


def _endpoint(*methods: str, authenticated: bool = True) -> Callable[[View], View]:
    """Wrap a handler: 405 with Allow, bearer authentication, service refusals as JSON errors."""

    def decorate(handler: View) -> View:
        # CSRF protects credentials a browser attaches by itself (cookies). This API accepts
        # none: it authenticates only the Authorization header, which a cross-site page cannot
        # make a browser send, and it ignores the session. So there is nothing for CSRF to
        # protect, and the check would refuse every legitimate non-browser client.
        @csrf_exempt
        @wraps(handler)
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response: HttpResponse = ApiError(
                    405,
                    "method_not_allowed",
                    f"{request.method} is not offered here.",
                    headers={"Allow": ", ".join(methods)},
                    allowed=list(methods),
                ).response()
            else:
                try:
                    if authenticated:
                        kwargs["user"] = _authenticate(request)
                    response = handler(request, **kwargs)
                except ApiError as error:
                    response = error.response()
                except (PermissionDenied, EditConflict, WorkflowError, ValidationError) as error:
                    response = _refusal(error).response()
            response.setdefault("Cache-Control", "no-store")
            return response

        return view

    return decorate


# --- reading the body ---------------------------------------------------------------------------


def _json_type(value: Any) -> str:
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


def _short(value: str, limit: int = 60) -> str:
    """A client's string echoed in an error, cut so that an error never repeats a megabyte."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Refuse duplicate keys: with them the body means whatever the parser keeps."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {_short(key)!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json_body(request: HttpRequest, *, optional: bool = False) -> dict[str, Any]:
    """The body as a JSON object: 413 over the limit, 415 not JSON, 400 not a JSON object.

    With `optional`, an empty body is an empty object (a bare POST to an action).
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if length < 0:
        raise ApiError(400, "bad_request", "The Content-Length header is not a valid length.")
    if length > MAX_BODY_BYTES:
        raise _too_large()
    if optional and length == 0:
        return {}
    charset = request.content_params.get("charset", "utf-8").lower()
    if request.content_type != "application/json" or charset not in {"utf-8", "utf8"}:
        raise ApiError(
            415,
            "unsupported_media_type",
            "Send the body as `Content-Type: application/json` (UTF-8).",
        )
    try:
        body = request.body
    except RequestDataTooBig:
        raise _too_large() from None
    if len(body) > MAX_BODY_BYTES:
        raise _too_large()
    try:
        data = json.loads(
            body.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_no_constant
        )
    except (ValueError, RecursionError) as error:
        # UnicodeDecodeError and JSONDecodeError are ValueErrors; RecursionError is absurd nesting.
        raise ApiError(400, "malformed_json", f"The body is not valid JSON: {error}.") from None
    if not isinstance(data, dict):
        raise ApiError(
            400, "not_an_object", f"The body must be a JSON object, not {_json_type(data)}."
        )
    return data


def _text_problem(value: str) -> str | None:
    """Why a string cannot be stored as text, if it cannot.

    PostgreSQL refuses NUL in text and in jsonb, and an unpaired surrogate cannot be encoded to
    UTF-8 for the content hash: both would fail deep in a save, so they are refused here.
    """
    if "\x00" in value:
        return "Must not contain NUL (\\u0000) characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Must be valid Unicode (it has an unpaired surrogate)."
    return None


@dataclass(frozen=True)
class DraftInput:
    """A checked draft body; None for a field the body left out."""

    slug: str | None
    title: str | None
    summary: str | None
    texts: dict[str, str] | None
    related_ids: list[int] | None
    sources: list[str] | None
    change_reason: str | None
    change_weight: str | None
    version: int | None


def _string(
    data: Mapping[str, Any], name: str, problems: _FieldErrors, *, max_length: int | None = None
) -> str | None:
    if name not in data:
        return None
    value = data[name]
    if not isinstance(value, str):
        problems.add(name, f"Must be a string, not {_json_type(value)}.", "type")
        return None
    problem = _text_problem(value)
    if problem:
        problems.add(name, problem, "invalid_characters")
        return None
    if max_length is not None and len(value) > max_length:
        message = f"At most {max_length} characters (this has {len(value)})."
        problems.add(name, message, "max_length")
        return None
    return value


def _positive_int(
    data: Mapping[str, Any], name: str, problems: _FieldErrors, hint: str
) -> int | None:
    if name not in data:
        return None
    value = data[name]
    # bool is an int in Python but not in JSON: `true` is no version number.
    if type(value) is not int or value < 1:
        problems.add(name, f"Must be a positive integer: {hint}", "type")
        return None
    return value


def _texts(data: Mapping[str, Any], problems: _FieldErrors) -> dict[str, str] | None:
    if "texts" not in data:
        return None
    value = data["texts"]
    if not isinstance(value, dict):
        message = f"Must be an object of audience to Markdown, not {_json_type(value)}."
        problems.add("texts", message, "type")
        return None
    known = audience_keys()
    texts: dict[str, str] = {}
    for key, text in value.items():
        path = f"texts.{_short(key)}"
        if key not in known:
            message = f"Unknown audience; the audiences are {', '.join(known)}."
            problems.add(path, message, "unknown_audience")
        elif not isinstance(text, str):
            problems.add(path, f"Must be Markdown text (a string), not {_json_type(text)}.", "type")
        elif problem := _text_problem(text):
            problems.add(path, problem, "invalid_characters")
        else:
            texts[key] = text
    return texts


def _bounded_array(
    data: Mapping[str, Any],
    name: str,
    problems: _FieldErrors,
    *,
    items: str,
    limit: int,
    too_many: str,
) -> list[Any] | None:
    """The array under `name`, or None when it is absent or is not an array of at most `limit`
    items (the problem recorded)."""
    if name not in data:
        return None
    value = data[name]
    if not isinstance(value, list):
        problems.add(name, f"Must be an array of {items}, not {_json_type(value)}.", "type")
        return None
    if len(value) > limit:
        problems.add(name, too_many, "max_items")
        return None
    return value


def _related_ids(
    data: Mapping[str, Any], problems: _FieldErrors, *, article: Article | None
) -> list[int] | None:
    """The ids of the related articles named by slug; one query however many there are."""
    value = _bounded_array(
        data,
        "related",
        problems,
        items="article slugs",
        limit=openapi.MAX_RELATED,
        too_many=f"At most {openapi.MAX_RELATED} related articles.",
    )
    if value is None:
        return None
    wanted: dict[int, str] = {}
    wanted_slugs: set[str] = set()
    for index, item in enumerate(value):
        path = f"related[{index}]"
        if not isinstance(item, str):
            message = f"Must be an article's slug (a string), not {_json_type(item)}."
            problems.add(path, message, "type")
        elif not SLUG.fullmatch(item) or len(item) > openapi.SLUG_MAX_LENGTH:
            problems.add(path, "Not a slug, so no article has it.", "unknown_article")
        elif item in wanted_slugs:
            problems.add(path, f"“{item}” is listed twice.", "duplicate")
        elif article is not None and item == article.slug:
            problems.add(path, "An article cannot be related to itself.", "self_reference")
        else:
            wanted[index] = item
            wanted_slugs.add(item)
    if not wanted:
        return []
    ids = dict(Article.objects.filter(slug__in=wanted_slugs).values_list("slug", "pk"))
    for index, slug in wanted.items():
        if slug not in ids:
            message = f"No article has the slug “{slug}”."
            problems.add(f"related[{index}]", message, "unknown_article")
    return [ids[slug] for slug in wanted.values() if slug in ids]


def _sources(data: Mapping[str, Any], problems: _FieldErrors) -> list[str] | None:
    """The listed sources' keys, checked for shape; whether each is in the library is the
    model's check (Article.clean), which names every unknown key."""
    value = _bounded_array(
        data,
        "sources",
        problems,
        items="citation keys (strings)",
        limit=openapi.MAX_SOURCES,
        too_many=f"At most {openapi.MAX_SOURCES} sources.",
    )
    if value is None:
        return None
    keys: list[str] = []
    for index, item in enumerate(value):
        path = f"sources[{index}]"
        if not isinstance(item, str):
            message = f"Must be a citation key (a string), not {_json_type(item)}."
            problems.add(path, message, "type")
        elif problem := _text_problem(item):
            problems.add(path, problem, "invalid_characters")
        elif len(item) > openapi.SOURCE_KEY_MAX_LENGTH:
            message = f"At most {openapi.SOURCE_KEY_MAX_LENGTH} characters (this has {len(item)})."
            problems.add(path, message, "max_length")
        elif not item.strip():
            problems.add(path, "A source key cannot be blank.", "blank")
        else:
            keys.append(item)
    return keys


def _draft_input(data: Mapping[str, Any], *, article: Article | None) -> DraftInput:
    """Check a whole draft body (for create when `article` is None, else for PUT): 422 naming
    every problem, before anything is written."""
    creating = article is None
    problems = _FieldErrors()
    for name in data:
        if name in READ_ONLY_FIELDS:
            problems.add(name, "Read-only: the server sets it.", "read_only")
        elif name not in WRITABLE_FIELDS:
            problems.add(_short(name), "Unknown field.", "unknown_field")
    for name in ("slug", "title") if creating else PUT_REQUIRED:
        if name not in data:
            problems.add(name, "This field is required.", "required")

    slug = _string(data, "slug", problems, max_length=openapi.SLUG_MAX_LENGTH)
    if slug is not None:
        if creating and not SLUG.fullmatch(slug):
            message = "Use only letters, numbers, underscores or hyphens."
            problems.add("slug", message, "invalid_slug")
        elif not creating and slug != article.slug:
            problems.add("slug", "A draft's slug cannot be changed through the API.", "immutable")
    title = _string(data, "title", problems, max_length=openapi.TITLE_MAX_LENGTH)
    if title is not None and not normalise_text(title):
        problems.add("title", "The title cannot be blank.", "blank")
    summary = _string(data, "summary", problems)
    change_reason = _string(data, "change_reason", problems)
    if change_reason is not None and not change_reason.strip():
        problems.add("change_reason", "Say why you made this change.", "blank")
    change_weight = _string(data, "change_weight", problems)
    if creating and change_weight is not None:
        problems.add("change_weight", "A new draft has no change to weigh.", "not_allowed")
    elif change_weight is not None and change_weight not in ChangeWeight.values:
        problems.add(
            "change_weight", f"Use one of: {', '.join(ChangeWeight.values)}.", "invalid_choice"
        )
    texts = _texts(data, problems)
    if creating and "version" in data:
        message = "A new draft has no version yet; it will be version 1."
        problems.add("version", message, "not_allowed")
        version = None
    else:
        version = _positive_int(data, "version", problems, "the version your edit started from.")
    related_ids = _related_ids(data, problems, article=article)
    sources = _sources(data, problems)
    problems.raise_if_any()
    return DraftInput(
        slug=slug,
        title=title,
        summary=summary,
        texts=texts,
        related_ids=related_ids,
        sources=sources,
        change_reason=change_reason,
        change_weight=change_weight,
        version=version,
    )


def _submit_input(data: Mapping[str, Any]) -> int | None:
    problems = _FieldErrors()
    for name in data:
        if name != "version":
            message = "Unknown field; a submission takes only `version`."
            problems.add(_short(name), message, "unknown_field")
    version = _positive_int(data, "version", problems, "the version you are submitting.")
    problems.raise_if_any()
    return version


# --- reading drafts -----------------------------------------------------------------------------


def _visible_article(*, slug: str, user: AbstractBaseUser) -> Article:
    """The article if `user` holds a role on it; 404 otherwise, exactly as if it did not exist."""
    article = Article.objects.select_related("workflow").filter(slug=slug).first()
    try:
        workflow = article.workflow if article is not None else None
    except ObjectDoesNotExist:
        workflow = None
    if workflow is None or not roles_for(user=user, article=article, workflow=workflow):
        raise ApiError(404, "not_found", "No draft with this slug.")
    return article


def _comment(comment: ReviewComment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "version": comment.version,
        "audience": comment.audience,
        "quote": comment.quote,
        "body": comment.body,
        "author": comment.author.get_username(),
        "created_at": comment.created_at,
    }


def _draft_document(article: Article) -> dict[str, Any]:
    """The draft as the API shows it; a fixed number of queries (related slugs, comment threads)."""
    slugs = (
        dict(Article.objects.filter(pk__in=article.related_ids).values_list("pk", "slug"))
        if article.related_ids
        else {}
    )
    links = {
        "self": reverse("api:draft", kwargs={"slug": article.slug}),
        "submit": reverse("api:draft_submit", kwargs={"slug": article.slug}),
    }
    if article.is_public:
        links["public"] = article.get_absolute_url()
    return {
        "slug": article.slug,
        "title": article.title,
        "summary": article.summary,
        "texts": article.texts,
        "related": [slugs[pk] for pk in article.related_ids if pk in slugs],
        "sources": list(article.sources),
        "version": article.version,
        "state": article.workflow.state,
        "content_hash": article.content_hash,
        "open_comments": [
            {**_comment(thread), "replies": [_comment(reply) for reply in thread.replies.all()]}
            for thread in open_comment_threads(article=article)
        ],
        "links": links,
    }


def _draft_response(article: Article, *, status: int = 200, reload: bool = True) -> JsonResponse:
    """Answer with the draft; after a write, as stored now (state and version may have moved)."""
    if reload:
        article = Article.objects.select_related("workflow").get(pk=article.pk)
    return JsonResponse(_draft_document(article), status=status)


@transaction.atomic
def _submit(*, article: Article, user: AbstractBaseUser, base_version: int | None) -> None:
    """Submit; with `base_version`, only if the draft is still at it (row locked meanwhile).

    The version check is here rather than in transition_apply, which takes no version; the
    article row is locked first, in the same order the services lock, so it cannot move between
    the check and the transition.
    """
    if base_version is not None:
        current = Article.objects.select_for_update().get(pk=article.pk)
        if current.version != base_version:
            raise EditConflict(article=current, base_version=base_version)
    transition_apply(article=article, user=user, action="submit")


# --- views ----------------------------------------------------------------------------------------


@_endpoint("POST")
def drafts(request: HttpRequest, *, user: AbstractBaseUser) -> HttpResponse:
    """Create a draft; the user becomes its author."""
    draft = _draft_input(_json_body(request), article=None)
    assert draft.slug is not None and draft.title is not None
    optional = {"change_reason": draft.change_reason} if draft.change_reason else {}
    try:
        article = draft_create(
            user=user,
            slug=draft.slug,
            title=draft.title,
            summary=draft.summary or "",
            texts=draft.texts or {},
            related_ids=draft.related_ids or [],
            sources=draft.sources or [],
            **optional,
        )
    except IntegrityError:
        # Another request took the slug between full_clean() and the insert.
        if Article.objects.filter(slug=draft.slug).exists():
            raise _slug_taken() from None
        raise
    response = _draft_response(article, status=201)
    response["Location"] = request.build_absolute_uri(
        reverse("api:draft", kwargs={"slug": article.slug})
    )
    return response


@_endpoint("GET", "PUT")
def draft(request: HttpRequest, *, user: AbstractBaseUser, slug: str) -> HttpResponse:
    """GET the draft; PUT its whole content, from the version the edit started from."""
    article = _visible_article(slug=slug, user=user)
    if request.method == "PUT":
        edit = _draft_input(_json_body(request), article=article)
        assert edit.version is not None and edit.change_reason is not None
        fields: dict[str, Any] = {
            "title": edit.title,
            "summary": edit.summary,
            "texts": edit.texts,
            "related_ids": edit.related_ids,
        }
        if edit.sources is not None:
            fields["sources"] = edit.sources
        article = draft_update(
            article=article,
            user=user,
            base_version=edit.version,
            fields=fields,
            change_reason=edit.change_reason,
            change_weight=edit.change_weight or ChangeWeight.SUBSTANTIVE,
        )
    return _draft_response(article, reload=request.method == "PUT")


@_endpoint("POST")
def draft_submit(request: HttpRequest, *, user: AbstractBaseUser, slug: str) -> HttpResponse:
    """Submit the draft for review; every failing guard is named in the 422."""
    article = _visible_article(slug=slug, user=user)
    base_version = _submit_input(_json_body(request, optional=True))
    _submit(article=article, user=user, base_version=base_version)
    return _draft_response(article)


@_endpoint("GET", authenticated=False)
def openapi_document(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3.1 document; public, it describes no data."""
    response = JsonResponse(openapi.document())
    response["Cache-Control"] = "public, max-age=300"
    return response


@csrf_exempt  # Any method, so that a POST to an unknown URL is a 404, not a CSRF failure.
def not_found(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    response = ApiError(404, "not_found", "There is no such endpoint.").response()
    response["Cache-Control"] = "no-store"
    return response
