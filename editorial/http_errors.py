"""Service refusals that escape an HTML view are answered with their reasons, not a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from reviews.refusals import refusal_for, refusal_page


class RefusalMiddleware:
    """Answer a refusal raised by any view (workspace, public site, reference import) with the
    status and reasons `reviews.refusals` gives it; anything else goes on to Django's handlers.

    The API is left alone: `api.drafting` answers its refusals in its own JSON envelope, and a
    crash there is its JSON 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, ValidationError) and request.method in ("GET", "HEAD"):
            # A read sends nothing to validate: this is stored content that no longer passes
            # (a site page citing a removed source), a fault to log as a 500, not the reader's.
            return None
        refusal = refusal_for(exception)
        return refusal_page(request, refusal) if refusal else None
