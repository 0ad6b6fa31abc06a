"""The application's URLs plus the benchmark's constant view (bench.settings only)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

_BODY: bytes | None = None


def constant_html(request: HttpRequest) -> HttpResponse:
    """The saved article page, from memory: what a page costs when the view does no work."""
    global _BODY
    if _BODY is None:
        _BODY = settings.BENCH_SNAPSHOT.read_bytes()
    return HttpResponse(_BODY, content_type="text/html; charset=utf-8")


urlpatterns = [
    path("bench/constant/", constant_html, name="bench_constant"),
    path("", include("editorial.urls")),
]
