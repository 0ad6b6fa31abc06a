"""Test-only URLs: the site, plus views that fail the way real bugs do (see test_headers)."""

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

LEAK = "SELECT password FROM auth_user WHERE id = 1 -- leaked-marker"


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"Unhandled bug with {LEAK}")


def database_crash(request: HttpRequest) -> HttpResponse:
    raise DatabaseError(f'relation "secret_table" does not exist: {LEAK}')


urlpatterns = [
    path("test-crash/", crash),
    path("api/v1/test-crash/", crash),
    path("test-database-crash/", database_crash),
    path("", include("editorial.urls")),
]
