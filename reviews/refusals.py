"""Service refusals as HTTP answers for the HTML views: one table, one page, one way to keep input.

The services refuse by raising; this module is the one place that says what each refusal becomes,
as `api.drafting` is for the API:

    WorkflowError, code illegal_state   409  the action is not possible in this state
    WorkflowError, any other code       422  every reason (guards, unknown comment, check...)
    EditConflict                        409  someone saved first
    ValidationError                     422  each message, on its form field where there is one
    RateLimited                         429  too many reports from one address
    BadRequest                          400  a malformed parameter (a version that is no number)
    OverflowError from SQLite           400  a number too large for the database
    PermissionDenied                    403  Django's handler, templates/403.html, with the reason
    Http404                             404  Django's handler, templates/404.html

Views catch nothing themselves. A view that shows a posted form again wraps the service call in
`kept_input(form)`: a refusal puts its reasons on the form and gives the status, so the page comes
back with everything the user typed. Whatever a view lets escape is answered by
`editorial.http_errors.RefusalMiddleware` with `refusal_page`: the reasons and a link back. A
missing permission or a missing page is not something the user's input can fix, so those are
never kept on a form: they go to Django's handlers. The one exception is a comment, reply or
resolution on the article page (`kept_input(form, forbidden=True)`): whoever reaches that page
holds a role on the article, and one step that is not theirs (resolving another's thread) gives
them the page back, 403, with the reason and their words.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, BadRequest, PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme

from articles.services import RateLimited
from reviews.services.errors import EditConflict, WorkflowError

# What `kept_input` catches: refusals the user can act on by changing what they sent.
KEPT = (WorkflowError, EditConflict, ValidationError, RateLimited)

# The sqlite3 driver's words for an integer parameter beyond 64 bits (PostgreSQL just finds no row).
SQLITE_OVERFLOW = "too large to convert to SQLite INTEGER"


@dataclass(frozen=True)
class Refusal:
    """What to answer: the status, a title for the page, and the reasons in the user's words."""

    status: int
    title: str
    reasons: list[str]
    # The reasons by form field, from a ValidationError that names its fields.
    fields: dict[str, list[str]] = field(default_factory=dict)


def refusal_for(error: BaseException) -> Refusal | None:
    """The answer to a refusal, or None when `error` is no refusal (a bug: the 500 page)."""
    if isinstance(error, WorkflowError):
        if error.code == "illegal_state":
            return Refusal(409, "Not possible now", error.reasons)
        return Refusal(422, "This could not be done", error.reasons)
    if isinstance(error, EditConflict):
        return Refusal(409, "Someone else saved first", [f"{error} Nothing was written."])
    if isinstance(error, ValidationError):
        by_field = error.message_dict if hasattr(error, "error_dict") else {}
        return Refusal(
            422,
            "Please check what you sent",
            error.messages,
            {name: messages for name, messages in by_field.items() if name != NON_FIELD_ERRORS},
        )
    if isinstance(error, RateLimited):
        return Refusal(429, "Please wait a while", [str(error)])
    if isinstance(error, BadRequest):
        return Refusal(
            400, "This address is not right", [str(error) or "The request is malformed."]
        )
    if isinstance(error, OverflowError) and SQLITE_OVERFLOW in str(error):
        # Only ever a number typed into an address or a forged form (no page offers such ids):
        # nothing with that number exists.
        return Refusal(400, "This address is not right", ["A number in the request is too large."])
    return None


@dataclass
class Attempt:
    """What `kept_input` saw: the refusal, if the block was refused, and the exception itself."""

    refusal: Refusal | None = None
    error: Exception | None = None

    @property
    def refused(self) -> bool:
        return self.refusal is not None

    @property
    def status(self) -> int:
        """The refusal's status; 422 when nothing was refused, as the form itself was invalid."""
        return self.refusal.status if self.refusal else 422

    @property
    def reasons(self) -> list[str]:
        return self.refusal.reasons if self.refusal else []


@contextmanager
def kept_input(form: BaseForm | None = None, *, forbidden: bool = False) -> Iterator[Attempt]:
    """Run a service call; on a refusal the user can act on, keep going with its reasons.

    The reasons go onto `form` (a field's under that field when the form has it), so the page that
    re-shows the form needs nothing else. The service's transaction has rolled back by the time the
    block is left, so nothing half-written remains. With `forbidden`, a missing permission is kept
    too (403), for the pages only people with a role on the article reach.
    """
    attempt = Attempt()
    try:
        yield attempt
    except KEPT as error:
        attempt.error = error
        attempt.refusal = refusal_for(error)
    except PermissionDenied as error:
        if not forbidden:
            raise
        attempt.error = error
        attempt.refusal = Refusal(403, "Not yours to do", [str(error) or "You may not do this."])
    if form is not None and form.is_bound and attempt.refusal is not None:
        _onto_form(form, attempt.refusal)


def _onto_form(form: BaseForm, refusal: Refusal) -> None:
    placed = set()
    for name, messages in refusal.fields.items():
        if name in form.fields:
            form.add_error(name, messages)
            placed.update(messages)
    rest = [reason for reason in refusal.reasons if reason not in placed]
    if rest:
        form.add_error(None, rest)


def form_reasons(form: BaseForm) -> list[str]:
    """Every error of a bound form as sentences, non-field errors first, for an error summary."""
    reasons = list(form.non_field_errors())
    for bound in form:
        reasons += [f"{bound.label}: {message}" for message in bound.errors]
    return reasons


def refusal_page(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """The refusal as a page: its reasons and a way back to where the user came from."""
    response = render(
        request,
        "refusal.html",
        {"refusal": refusal, "back": _back(request), "posted": request.method == "POST"},
        status=refusal.status,
    )
    # The answer depends on the state at this moment and on who asked: no cache keeps it.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _back(request: HttpRequest) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    workspace = reverse("reviews:dashboard")
    return workspace if request.path.startswith(workspace) else reverse("public:home")
