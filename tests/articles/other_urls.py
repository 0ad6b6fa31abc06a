"""A URL configuration that puts articles elsewhere (tests/articles/test_addresses.py)."""

from django.http import HttpResponse
from django.urls import include, path


def _page(request: object, slug: str) -> HttpResponse:
    return HttpResponse(slug)


urlpatterns = [
    path(
        "elsewhere/",
        include(([path("<slug:slug>/", _page, name="detail")], "public"), namespace="public"),
    )
]
