"""Error pages: the APIs answer in their own JSON envelope, the site with its HTML pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from api.errors import server_error as api_server_error


def server_error(request: HttpRequest) -> HttpResponse:
    """A crash under /api/ is a JSON 500 a client can parse; elsewhere the HTML 500 page."""
    if request.path.startswith("/api/"):
        return api_server_error()
    return defaults.server_error(request)
