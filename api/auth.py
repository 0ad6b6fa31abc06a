"""Bearer tokens for the drafting API; session cookies are deliberately not consulted.

CSRF protects credentials a browser attaches by itself (cookies). This API accepts none: it reads
only the Authorization header, which a cross-site page cannot make a browser send, so there is
nothing for CSRF to protect (ninja's operations are CSRF-exempt unless a cookie scheme is used).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from ninja.security import HttpBearer

from accounts.tokens import api_token_authenticate
from api.errors import ApiError

# The name clients' generated code knows the scheme by (ninja would use the class name).
SCHEME_NAME = "bearerToken"


def not_authenticated() -> ApiError:
    """No Authorization header, or another scheme than Bearer."""
    return ApiError(
        401,
        "not_authenticated",
        "Send an API token: `Authorization: Bearer <token>`.",
        headers={"WWW-Authenticate": "Bearer"},
    )


class BearerToken(HttpBearer):
    """`Authorization: Bearer edt_…`, issued by `manage.py issue_api_token`; revocable."""

    openapi_bearerFormat = "opaque, edt_…"
    openapi_description = "Issued by `manage.py issue_api_token`; revocable."

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser:
        """The token's user; 401 invalid_token for an unknown or revoked token or inactive user.

        A missing header or another scheme never gets here: HttpBearer answers None and ninja
        raises AuthenticationError, which api.handlers renders as `not_authenticated()`.
        """
        found = api_token_authenticate(secret=token.strip())
        if found is None:
            raise ApiError(
                401,
                "invalid_token",
                "The token is unknown or revoked, or its user is inactive.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        # Whatever the session said, this request is the token's user (simple-history's
        # middleware and anything else downstream reads request.user).
        request.user = found.user
        return found.user
