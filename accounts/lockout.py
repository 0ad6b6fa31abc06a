"""Sign-in lockout: django-axes counts and locks; this module tells it who is trying and says so.

Axes records every failed `authenticate()` (the sign-in page, the admin's, and a reviewer's
password at the signing step) and refuses further attempts once `AXES_FAILURE_LIMIT` failures
have come, each within `AXES_COOLOFF_TIME` of the last, from one username *at one client address*
(`AXES_LOCKOUT_PARAMETERS`). Locking the pair rather than the account or the address is the
point: an attacker cannot lock an editor out from everywhere, nor lock every account behind a
shared (NAT) address, and the right password from another address still signs in. While locked,
the password is not even checked (a lock that a right guess lifts tells the guesser they were
right), and refused attempts do not prolong the lock.

Guessing one common password across many usernames from one address never trips a pair, so an
address is also locked after `EDITORIAL_LOGIN_MAX_FAILURES_PER_ADDRESS` failures over any
usernames (ten times the pair's limit unless set; 0 turns it off): high enough that an office's
shared address is not locked by a few people mistyping, low enough to stop spraying.

What axes does not know about this site is here: the client's address behind our proxies
(`client_address`), usernames counted case-blind (`lockout_username`), the per-address limit
(`LockoutHandler`), and the words a locked person reads, with the time the lock lifts (`Lock`,
`lock_explain`, `LockoutFormMixin`, `lockout_response`). Editors and administrators lift a lock
early by deleting its access attempts in the admin (Axes › Access attempts).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

# --- who is trying -------------------------------------------------------------------------------


def client_address(request: HttpRequest | None) -> str | None:
    """The client's IP address, or None when the request does not say (AXES_CLIENT_IP_CALLABLE).

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


def username_key(username: Any) -> str:
    """The username as locks count it: casefolded, so `Editor` and `editor` share one count."""
    return str(username or "").strip().casefold()[:255]


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The username axes counts for this attempt (AXES_USERNAME_CALLABLE).

    Taken from the credentials given to `authenticate()`, or from the posted form when axes asks
    without them; casefolded, so varying the case of a name does not buy more guesses.
    """
    if credentials is not None:
        return username_key(credentials.get("username"))
    posted = getattr(request, "POST", None)
    return username_key(posted.get("username") if posted is not None else None)


def address_failure_limit() -> int:
    """Failures over any usernames that lock a whole address (0: addresses are never locked)."""
    default = 10 * int(getattr(settings, "AXES_FAILURE_LIMIT", 5))
    return int(getattr(settings, "EDITORIAL_LOGIN_MAX_FAILURES_PER_ADDRESS", default))


# --- locks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lock:
    """An active lock, as a person is told about it."""

    until: datetime
    whole_address: bool = False

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds() / 60))

    def message(self) -> str:
        until = timezone.localtime(self.until)
        whom = (
            "from this network address"
            if self.whole_address
            else "to this account from this network address"
        )
        minutes = self.minutes_left
        return (
            f"Too many failed sign-in attempts: signing in {whom} is locked until "
            f"{until:%H:%M} {until.tzname()} ({minutes} more minute{'s' if minutes != 1 else ''}). "
            "An administrator can unlock it sooner."
        )


def _lifts_at(
    attempts: QuerySet[AccessAttempt], limit: int, request: HttpRequest
) -> datetime | None:
    """When the newest attempts stop adding up to `limit`: each counts until its cool-off ends.

    Axes keeps one row per username, address and browser, stamped with its latest failure; the
    lock holds while the rows still inside the cool-off reach the limit, so it lifts a cool-off
    after the oldest row needed to reach it.
    """
    if limit <= 0:
        return None
    total = 0
    rows = attempts.order_by("-attempt_time").values_list("attempt_time", "failures_since_start")
    for attempt_time, failures in rows:
        total += failures
        if total >= limit:
            return attempt_time + get_cool_off(request)
    return None


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler (AXES_HANDLER), with the per-address limit and the lock's end."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """The username-and-address count, or the limit itself once the address is over its own.

        Axes compares this one number with one limit, both to refuse an attempt and to flag the
        failure that locks; reporting an over-limit address as a full count locks it in both.
        """
        failures = super().get_failures(request, credentials)
        if _lifts_at(self._address_attempts(request), address_failure_limit(), request):
            return max(failures, get_failure_limit(request, credentials))
        return failures

    def lock(self, request: HttpRequest, credentials: dict[str, Any] | None) -> Lock | None:
        """The lock now refusing these credentials from this request's address, if any."""
        limit = get_failure_limit(request, credentials)
        ends = [
            (end, False)
            for attempts in self.get_user_attempts(request, credentials)
            if (end := _lifts_at(attempts, limit, request))
        ]
        address_end = _lifts_at(self._address_attempts(request), address_failure_limit(), request)
        if address_end:
            ends.append((address_end, True))
        if not ends:
            return None
        until, whole_address = max(ends)
        return Lock(until=until, whole_address=whole_address)

    @staticmethod
    def _address_attempts(request: HttpRequest) -> QuerySet[AccessAttempt]:
        # No address (a malformed one, or a caller outside any request): no address-wide count.
        if request.axes_ip_address is None:  # type: ignore[attr-defined]
            return AccessAttempt.objects.none()
        return AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
            attempt_time__gte=get_cool_off_threshold(request),
        )


def lock_find(request: HttpRequest, username: Any) -> Lock | None:
    """The lock that refuses `username` signing in through `request` now, if any."""
    AxesProxyHandler.update_request(request)
    return LockoutHandler().lock(request, {"username": username})


def lock_explain(request: HttpRequest | None, username: Any) -> Lock | None:
    """The lock, if axes refused or just locked this request; the page will now explain it.

    Noting that on the request lets `lockout_response` keep the page (with the lock's message in
    it) rather than swap it for a bare lockout page.
    """
    if request is None or not getattr(request, "axes_locked_out", False):
        return None
    lock = lock_find(request, username) or Lock(until=timezone.now() + get_cool_off(request))
    request.editorial_lock_explained = True  # type: ignore[attr-defined]
    return lock


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """The answer to a locked-out request (AXES_LOCKOUT_CALLABLE): always 429, always saying until when.

    The sign-in forms and the signing step explain the lock in their own page, which is kept;
    anything else that called `authenticate()` gets a short page with the same message.
    """
    if original_response is not None and getattr(request, "editorial_lock_explained", False):
        original_response.status_code = 429
        return original_response
    username = (credentials or {}).get("username") or request.POST.get("username")
    lock = lock_find(request, username) or Lock(until=timezone.now() + get_cool_off(request))
    return render(request, "registration/locked.html", {"message": lock.message()}, status=429)


class LockoutFormMixin:
    """A sign-in form whose refusal names the lock and when it lifts, not a wrong password."""

    request: HttpRequest | None
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()  # type: ignore[misc]
        except ValidationError:
            # Refused by a lock, or this failure was the one too many: say so at once.
            lock = lock_explain(self.request, self.cleaned_data.get("username"))
            if lock is None:
                raise
            raise ValidationError(lock.message(), code="locked_out") from None
