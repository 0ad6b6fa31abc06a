"""The second factor: medical reviewers enter an authenticator app's code after their password.

With `EDITORIAL_REQUIRE_TOTP_FOR_REVIEWERS` on, a medical reviewer who signs in with a password
must then enter the code of an authenticator app (django-otp's TOTP devices, which an
administrator adds in the admin) before any other page opens; `SecondFactorMiddleware` sends them
to the code page (accounts.views.SecondFactorView) until they do. A reviewer's session is one
password away from a signature, so the password alone should not be enough to hold one. The
requirement is noted in the session at sign-in, so turning the setting on applies from each
reviewer's next sign-in (at most `EDITORIAL_ROLE_SESSION_HOURS` later).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import devices_for_user
from django_otp.models import Device

from accounts.roles import ROLE_GROUPS, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

SECOND_FACTOR_KEY = "_editorial_second_factor_required"
REVIEWER_GROUP = ROLE_GROUPS[Role.REVIEWER]


def second_factor_required_for(user: AbstractBaseUser) -> bool:
    """Whether this user must enter a code after the password (reviewers, with the setting on)."""
    return bool(getattr(settings, "EDITORIAL_REQUIRE_TOTP_FOR_REVIEWERS", False)) and (
        user.groups.filter(name=REVIEWER_GROUP).exists()
    )


def second_factor_verify(*, user: AbstractBaseUser, code: str) -> Device | None:
    """The user's confirmed device that accepts `code`, or None (each device throttles failures)."""
    code = "".join(code.split())
    if not code:
        return None
    with transaction.atomic():  # devices are locked for the check, as django-otp requires
        for device in devices_for_user(user, for_verify=True):
            if device.verify_token(code):
                return device
    return None


@receiver(user_logged_in, dispatch_uid="accounts.second_factor.note_requirement")
def _note_second_factor(
    sender: Any, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any
) -> None:
    session = getattr(request, "session", None)
    if session is not None and second_factor_required_for(user):
        session[SECOND_FACTOR_KEY] = True


class SecondFactorMiddleware:
    """Until a reviewer who must has entered a code, only the code page and sign-out open.

    Placed after django-otp's OTPMiddleware. Requests without a session cookie (every reader) are
    not looked at, so their pages never touch the session and stay cacheable. The APIs take
    bearer tokens, not sessions, and are left alone.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            and not request.path.startswith("/api/")
            and request.session.get(SECOND_FACTOR_KEY)
            and not request.user.is_verified()
            and request.path not in {reverse("verify_second_factor"), reverse("logout")}
        ):
            return redirect(
                f"{reverse('verify_second_factor')}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)
