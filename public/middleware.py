"""HTTP caching for anonymous readers: public pages may be kept by a CDN; anything personal not."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

# Pages that are never shared between people.
PRIVATE_PREFIXES = ("/workspace/", "/admin/", "/accounts/", "/api/v1/drafts/")
PUBLIC_MAX_AGE = 300
STALE_WHILE_REVALIDATE = 600


class PublicCacheMiddleware:
    """Mark anonymous, cookie-free GET responses cacheable by shared caches; everything else
    private. A response that sets a cookie, varies on the cookie, or was made for a signed-in user
    must never be stored by a CDN. Views that set Cache-Control themselves are left alone.

    Together with ConditionalGetMiddleware (ETag over the body, 304 on If-None-Match) this lets a
    CDN or a browser revalidate a page for the cost of one small answer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if request.method not in ("GET", "HEAD") or request.path.startswith(PRIVATE_PREFIXES):
            patch_cache_control(response, private=True, no_cache=True)
            return response
        user = getattr(request, "user", None)
        personal = (
            (user is not None and user.is_authenticated)
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or bool(response.cookies)
            # The reader's audience cookie (or its absence) chose the text, not the URL.
            or getattr(request, "audience_from_cookie", False)
        )
        if personal:
            if getattr(request, "audience_from_cookie", False):
                patch_vary_headers(response, ["Cookie"])
            patch_cache_control(response, private=True, no_cache=True)
        elif response.status_code in (200, 301, 404, 410):
            # Without a session cookie this is the page every anonymous reader gets: the
            # "Vary: Cookie" the session layer adds (templates ask who is signed in) would only
            # split a CDN's cache by unrelated cookies. A CDN must bypass its cache for requests
            # that carry the session cookie (see docs/scaling.md).
            _drop_vary_cookie(response)
            patch_cache_control(
                response,
                public=True,
                max_age=PUBLIC_MAX_AGE if response.status_code != 404 else 60,
                stale_while_revalidate=STALE_WHILE_REVALIDATE,
            )
        return response


def _drop_vary_cookie(response: HttpResponse) -> None:
    vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
    kept = [v for v in vary if v.lower() != "cookie"]
    if kept:
        response["Vary"] = ", ".join(kept)
    elif response.has_header("Vary"):
        del response["Vary"]
