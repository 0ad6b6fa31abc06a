"""Signing in: lockout after repeated failures, and shorter sessions for the editorial roles.

Lockout. Every failed sign-in (Django's `user_login_failed` signal, so the workspace's sign-in
page and the admin's alike) is recorded with the username as typed and the client's address.
When `EDITORIAL_LOGIN_MAX_FAILURES` failures for one username, or
`EDITORIAL_LOGIN_MAX_FAILURES_PER_ADDRESS` from one address, fall within
`EDITORIAL_LOGIN_FAILURE_WINDOW_MINUTES`, that account (or address) is locked for
`EDITORIAL_LOGIN_LOCKOUT_MINUTES`. While locked, sign-in is refused before the password is even
checked (the correct password too: a lock that a right guess lifts tells the guesser they were
right), and the form says for how long. Usernames that do not exist are counted and locked the
same way, so a lock tells nobody whether an account exists. An administrator lifts a lock early
with the "Unlock" action on the lockout in the admin. Failures counted for a lock are not
counted again for the next one, and a successful sign-in (`last_login`) starts the account's
count afresh.

`ThrottledModelBackend` refuses a locked account or address whatever form asked, and
`LockoutAuthenticationForm` turns a lock into the message a person reads.

Sessions. Authors, editors and medical reviewers hold powers that matter (a reviewer's session
is one password away from a signature), so their sessions end when the browser closes and, on
the server, at most `EDITORIAL_ROLE_SESSION_HOURS` after signing in, whatever the browser keeps.
Other accounts keep `SESSION_COOKIE_AGE`. The cap lives in the session itself and is enforced by
`SessionStore` below (this module is `SESSION_ENGINE`), so no middleware has to remember it.

Second factor. With `EDITORIAL_REQUIRE_TOTP_FOR_REVIEWERS` on, a medical reviewer who signs in
with a password must then enter the code of an authenticator app (django-otp's TOTP devices,
which an administrator adds in the admin) before any other page opens; `SecondFactorMiddleware`
sends them to `SecondFactorView` until they do. The requirement is noted in the session at sign-in,
so turning the setting on applies from each reviewer's next sign-in (at most
`EDITORIAL_ROLE_SESSION_HOURS` later).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.generic import FormView
from django_otp import devices_for_user
from django_otp import login as otp_login

from accounts.roles import ROLE_GROUPS, Role
from reviews.models import LoginFailure, LoginLockout

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# Failures older than this are deleted as new ones come in: a trail, not an archive.
FAILURE_RETENTION = timedelta(days=1)
# Keys of the session where the editorial roles' cap is kept.
SESSION_DEADLINE_KEY = "_editorial_session_deadline"
SESSION_MAX_AGE_KEY = "_editorial_session_max_age"


# --- settings -------------------------------------------------------------------------------------


def max_failures() -> int:
    return int(getattr(settings, "EDITORIAL_LOGIN_MAX_FAILURES", 5))


def max_failures_per_address() -> int:
    return int(getattr(settings, "EDITORIAL_LOGIN_MAX_FAILURES_PER_ADDRESS", max_failures()))


def failure_window() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "EDITORIAL_LOGIN_FAILURE_WINDOW_MINUTES", 15)))


def lockout_duration() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "EDITORIAL_LOGIN_LOCKOUT_MINUTES", 15)))


def role_session_age() -> timedelta:
    return timedelta(hours=float(getattr(settings, "EDITORIAL_ROLE_SESSION_HOURS", 8)))


# --- who is trying -------------------------------------------------------------------------------


def username_key(username: Any) -> str:
    """The username as locks count it: casefolded, so `Editor` and `editor` share one count."""
    return str(username or "").strip().casefold()[:254]


def client_address(request: HttpRequest | None) -> str | None:
    """The client's IP address, or None when the request does not say.

    Behind `EDITORIAL_TRUSTED_PROXY_COUNT` reverse proxies, REMOTE_ADDR is the nearest proxy and
    the client is that many entries from the right of X-Forwarded-For (entries further left are
    whatever the client sent, so they are never believed). With no proxy configured REMOTE_ADDR
    is the client; set the count in production, or every sign-in shares the proxy's address.
    """
    if request is None:
        return None
    candidate = request.META.get("REMOTE_ADDR", "")
    proxies = int(getattr(settings, "EDITORIAL_TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        hops = [
            h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()
        ]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


# --- locks ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lock:
    """An active lock, as a person is told about it."""

    lockout: LoginLockout

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil((self.lockout.locked_until - timezone.now()).total_seconds() / 60))

    def message(self) -> str:
        until = timezone.localtime(self.lockout.locked_until)
        whom = (
            "this account"
            if self.lockout.scope == LoginLockout.Scope.ACCOUNT
            else "this network address"
        )
        minutes = self.minutes_left
        return (
            f"Too many failed sign-in attempts: signing in to {whom} is locked for "
            f"{minutes} more minute{'s' if minutes != 1 else ''} (until {until:%H:%M} "
            f"{until.tzname()}). An administrator can unlock it sooner."
        )


def lock_active(*, username: Any, address: str | None) -> Lock | None:
    """The lock, if any, that refuses this username or this address now."""
    now = timezone.now()
    condition = Q(scope=LoginLockout.Scope.ACCOUNT, key=username_key(username))
    if address:
        condition |= Q(scope=LoginLockout.Scope.ADDRESS, key=address)
    lockout = (
        LoginLockout.objects.filter(condition, locked_until__gt=now, unlocked_at__isnull=True)
        .order_by("-locked_until")
        .first()
    )
    return Lock(lockout) if lockout else None


def _count_since(scope: str, key: str, *, earliest: datetime) -> datetime:
    """Failures count from `earliest` or from the key's latest lock, whichever is later."""
    previous = (
        LoginLockout.objects.filter(scope=scope, key=key)
        .order_by("-locked_at")
        .values_list("locked_at", flat=True)
        .first()
    )
    return max(earliest, previous) if previous else earliest


def _lock_if_over(
    scope: str, key: str, failures: Any, *, limit: int, since: datetime, now: datetime
) -> LoginLockout | None:
    count = failures.filter(attempted_at__gt=_count_since(scope, key, earliest=since)).count()
    if count < limit:
        return None
    return LoginLockout.objects.create(
        scope=scope, key=key, failures=count, locked_at=now, locked_until=now + lockout_duration()
    )


def login_failure_record(*, username: Any, address: str | None) -> list[LoginLockout]:
    """Record one failed sign-in; lock the account and/or the address if it was one too many."""
    now = timezone.now()
    key = username_key(username)
    LoginFailure.objects.create(username=key, address=address, attempted_at=now)
    LoginFailure.objects.filter(attempted_at__lt=now - FAILURE_RETENTION).delete()
    window_start = now - failure_window()
    account_since = window_start
    user = _user_named(username)
    if user is not None and user.last_login:
        account_since = max(account_since, user.last_login)
    locks = []
    account_lock = _lock_if_over(
        LoginLockout.Scope.ACCOUNT,
        key,
        LoginFailure.objects.filter(username=key),
        limit=max_failures(),
        since=account_since,
        now=now,
    )
    if account_lock:
        locks.append(account_lock)
    if address:
        address_lock = _lock_if_over(
            LoginLockout.Scope.ADDRESS,
            address,
            LoginFailure.objects.filter(address=address),
            limit=max_failures_per_address(),
            since=window_start,
            now=now,
        )
        if address_lock:
            locks.append(address_lock)
    return locks


def lockouts_unlock(*, lockouts: Any, user: AbstractBaseUser) -> int:
    """Lift the active ones among `lockouts` (an admin's action); the rows stay as the trail."""
    now = timezone.now()
    lifted = 0
    for lockout in lockouts:
        if lockout.active:
            lockout.unlocked_at, lockout.unlocked_by = now, user
            lockout.save(update_fields=["unlocked_at", "unlocked_by"])
            lifted += 1
    return lifted


def _user_named(username: Any) -> Any:
    from django.contrib.auth import get_user_model

    model = get_user_model()
    try:
        return model._default_manager.get_by_natural_key(username)
    except (model.DoesNotExist, TypeError, ValueError):
        return None


@receiver(user_login_failed, dispatch_uid="accounts.security.record_failure")
def _record_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = credentials.get("username")
    if username is None:
        return
    address = client_address(request)
    # An attempt refused by a lock is not a failed guess at the password: it was never checked.
    if lock_active(username=username, address=address) is None:
        login_failure_record(username=username, address=address)


# --- authentication -------------------------------------------------------------------------------


class ThrottledModelBackend(ModelBackend):
    """Django's backend, refusing outright while the account or the client's address is locked."""

    def authenticate(
        self, request: HttpRequest | None, username: Any = None, password: Any = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get(self._username_field())
        if lock_active(username=username, address=client_address(request)):
            raise PermissionDenied("Locked out after repeated failed sign-ins.")
        return super().authenticate(request, username=username, password=password, **kwargs)

    async def aauthenticate(
        self, request: HttpRequest | None, username: Any = None, password: Any = None, **kwargs: Any
    ) -> Any:
        # The lock check is a couple of plain queries: run the sync path in a thread.
        return await sync_to_async(self.authenticate)(
            request, username=username, password=password, **kwargs
        )

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


class LockoutFormMixin:
    """A lock on the account or address becomes the form's error, naming how long it lasts."""

    request: HttpRequest | None
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        address = client_address(self.request)
        lock = lock_active(username=username, address=address) if username is not None else None
        if lock is None:
            try:
                return super().clean()  # type: ignore[misc]
            except ValidationError:
                # This failure may have been the one too many: say so at once.
                lock = lock_active(username=username, address=address)
                if lock is None:
                    raise
        raise ValidationError(lock.message(), code="locked_out")


class LockoutAuthenticationForm(LockoutFormMixin, AuthenticationForm):
    pass


class LockoutAdminAuthenticationForm(LockoutFormMixin, AdminAuthenticationForm):
    pass


class ThrottledLoginView(auth_views.LoginView):
    """The sign-in page; a locked-out attempt is answered 429 with the lock's message."""

    authentication_form = LockoutAuthenticationForm

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if any(e.code == "locked_out" for e in form.errors.as_data().get("__all__", [])):
            response.status_code = 429
        return response


def use_lockout_form_in_admin(site: admin.AdminSite) -> None:
    """The admin's own sign-in page shows the same lock message (the backend refuses anyway)."""
    site.login_form = LockoutAdminAuthenticationForm


# --- second factor ---------------------------------------------------------------------------------


SECOND_FACTOR_KEY = "_editorial_second_factor_required"
REVIEWER_GROUP = ROLE_GROUPS[Role.REVIEWER]


def second_factor_required_for(user: AbstractBaseUser) -> bool:
    return bool(getattr(settings, "EDITORIAL_REQUIRE_TOTP_FOR_REVIEWERS", False)) and (
        user.groups.filter(name=REVIEWER_GROUP).exists()
    )


def second_factor_verify(*, user: AbstractBaseUser, code: str) -> Any:
    """The user's confirmed device that accepts `code`, or None (each device throttles failures)."""
    code = "".join(code.split())
    if not code:
        return None
    with transaction.atomic():  # devices are locked for the check, as django-otp requires
        for device in devices_for_user(user, for_verify=True):
            if device.verify_token(code):
                return device
    return None


@receiver(user_logged_in, dispatch_uid="accounts.security.second_factor")
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


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


@method_decorator(login_required, name="dispatch")
class SecondFactorView(FormView):
    """The second step of a reviewer's sign-in: the code of their authenticator app."""

    form_class = SecondFactorForm
    template_name = "registration/verify.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "has_device": any(devices_for_user(self.request.user)),
            "next": self._next(),
        }

    def form_valid(self, form: SecondFactorForm) -> HttpResponse:
        device = second_factor_verify(user=self.request.user, code=form.cleaned_data["code"])
        if device is None:
            form.add_error(
                "code", "That code is not right, or it has expired. Enter the code shown now."
            )
            return self.form_invalid(form)
        otp_login(self.request, device)
        return redirect(self._next())

    def _next(self) -> str:
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        allowed = url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        )
        return target if allowed else reverse(settings.LOGIN_REDIRECT_URL)


# --- sessions ----------------------------------------------------------------------------------------


EDITORIAL_GROUPS = frozenset(ROLE_GROUPS.values())


@receiver(user_logged_in, dispatch_uid="accounts.security.role_session")
def _shorten_role_sessions(
    sender: Any, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any
) -> None:
    session = getattr(request, "session", None)
    if session is None or not user.groups.filter(name__in=EDITORIAL_GROUPS).exists():
        return
    age = role_session_age()
    session[SESSION_MAX_AGE_KEY] = int(age.total_seconds())
    session[SESSION_DEADLINE_KEY] = (timezone.now() + age).isoformat()
    session.set_expiry(0)  # the cookie ends with the browser


class SessionStore(DatabaseSessionStore):
    """Database sessions that honour the cap set at sign-in for the editorial roles.

    The cookie of such a session ends with the browser; on the server the session expires
    `EDITORIAL_ROLE_SESSION_HOURS` after sign-in even if a browser restores the cookie.
    """

    def get_session_cookie_age(self) -> int:
        return int(self.get(SESSION_MAX_AGE_KEY) or super().get_session_cookie_age())

    def load(self) -> dict[str, Any]:
        return self._within_deadline(super().load())

    async def aload(self) -> dict[str, Any]:
        data = await super().aload()
        if self._past_deadline(data):
            await self.adelete()
            self._session_key = None
            return {}
        return data

    def _within_deadline(self, data: dict[str, Any]) -> dict[str, Any]:
        if self._past_deadline(data):
            self.delete()
            self._session_key = None
            return {}
        return data

    @staticmethod
    def _past_deadline(data: dict[str, Any]) -> bool:
        deadline = data.get(SESSION_DEADLINE_KEY)
        return bool(deadline) and datetime.fromisoformat(deadline) <= timezone.now()
