"""Every exception an operation can end in, as an answer in the API's envelope, in one place.

    ApiError                               its own status, code and headers
    ninja ValidationError                  422 invalid, each error with its field path
    AuthenticationError (no bearer token)  401 not_authenticated, `WWW-Authenticate: Bearer`
    PermissionDenied                       403 permission_denied
    WorkflowError, code illegal_state      409 illegal_state, with the reasons
    WorkflowError, guard_failed            422 guards_failed, with every reason
    EditConflict                           409 conflict, with the current version
    django ValidationError (full_clean)    422 invalid with API paths (409 already_exists for
                                           a taken slug)
    anything else                          raised on, to Django's handler500 (editorial.errors)

The services decide who may do what and what is valid; this module only says it in HTTP.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as InputValidationError

from api.auth import not_authenticated
from api.errors import ApiError, field_error, invalid, slug_taken, too_large
from reviews.services.errors import EditConflict, WorkflowError

# Model field names that the API calls something else.
API_FIELD_NAMES = {"related_ids": "related"}


def install(api: NinjaAPI) -> None:
    """Register the handlers on `api`, replacing ninja's defaults (which answer `{"detail"}`)."""
    handlers = {
        ApiError: _api_error,
        InputValidationError: _input_invalid,
        AuthenticationError: lambda request, error: not_authenticated().response(),
        HttpError: _http_error,
        Http404: lambda request, error: ApiError(404, "not_found", "Not found.").response(),
        RequestDataTooBig: lambda request, error: too_large().response(),
        PermissionDenied: _permission_denied,
        EditConflict: _edit_conflict,
        WorkflowError: _workflow_refused,
        ModelValidationError: lambda request, error: model_invalid(error).response(),
        Exception: _crash,
    }
    for exception, handler in handlers.items():
        api.add_exception_handler(exception, handler)


def _api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return error.response()


def _input_invalid(request: HttpRequest, error: InputValidationError) -> HttpResponse:
    """The errors are field errors already (see EditorialApi.validation_error_from_error_contexts)."""
    return invalid(error.errors).response()


def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    # Ninja wraps anything the body parser raises in HttpError(400); the parser's own refusal
    # (413, 415, a 400 with its code) is the cause and is answered as it was raised.
    if isinstance(error.__cause__, ApiError):
        return error.__cause__.response()
    return ApiError(error.status_code, "bad_request", str(error)).response()


def _permission_denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return ApiError(403, "permission_denied", str(error) or "You may not do this.").response()


def _edit_conflict(request: HttpRequest, error: EditConflict) -> HttpResponse:
    return ApiError(
        409,
        "conflict",
        f"{error} Nothing was written; merge your change into the current version.",
        current_version=error.article.version,
        content_hash=error.article.content_hash,
        your_version=error.base_version,
    ).response()


def _workflow_refused(request: HttpRequest, error: WorkflowError) -> HttpResponse:
    if error.code == "illegal_state":
        return ApiError(
            409, "illegal_state", " ".join(error.reasons), reasons=error.reasons
        ).response()
    code = "guards_failed" if error.code == "guard_failed" else error.code
    return ApiError(
        422, code, f"“{error.action}” was refused; nothing changed.", reasons=error.reasons
    ).response()


def model_invalid(error: ModelValidationError) -> ApiError:
    """A model's ValidationError as field errors with API paths; a taken slug as 409."""
    by_field = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
    problems = []
    for name, errors in by_field.items():
        path = None if name in (None, NON_FIELD_ERRORS) else API_FIELD_NAMES.get(name, name)
        for item in errors:
            problems.append(field_error(path, " ".join(item.messages), item.code or "invalid"))
    if any(p["path"] == "slug" and p["code"] == "unique" for p in problems):
        return slug_taken()
    return invalid(problems)


def _crash(request: HttpRequest, error: Exception) -> HttpResponse:
    # Ninja's default answers a traceback in plain text when DEBUG is on; a crash goes to
    # Django instead, whose handler500 answers the API's JSON 500 (editorial.errors).
    raise error
