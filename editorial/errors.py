"""Error pages: the APIs answer in their own JSON envelope, the site with its HTML pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults


def server_error(request: HttpRequest) -> HttpResponse:
    """A crash under /api/ is a JSON 500 a client can parse; elsewhere the HTML 500 page."""
    if request.path.startswith("/api/"):
        from api.drafting import ApiError

        response = ApiError(
            500,
            "server_error",
            "The server failed to answer; nothing was changed. "
            "Try again, and tell us if it keeps happening.",
        ).response()
        response["Cache-Control"] = "no-store"
        return response
    return defaults.server_error(request)
