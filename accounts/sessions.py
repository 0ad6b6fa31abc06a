"""Shorter sessions for the accounts that hold power (SESSION_ENGINE).

Authors, editors and medical reviewers hold powers that matter (a reviewer's session is one
password away from a signature), and so do superusers and staff, who reach the admin whether or
not they hold a role group. Their sessions end when the browser closes and, on the server, at
most `EDITORIAL_ROLE_SESSION_HOURS` after signing in, whatever the browser keeps. Other accounts
keep `SESSION_COOKIE_AGE`. The cap lives in the session itself and is enforced by `SessionStore`
below, so no middleware has to remember it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from accounts.roles import ROLE_GROUPS

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# Keys of the session where the cap is kept.
SESSION_DEADLINE_KEY = "_editorial_session_deadline"
SESSION_MAX_AGE_KEY = "_editorial_session_max_age"
EDITORIAL_GROUPS = frozenset(ROLE_GROUPS.values())


def role_session_age() -> timedelta:
    """How long a powerful account's session lasts on the server after signing in."""
    return timedelta(hours=float(getattr(settings, "EDITORIAL_ROLE_SESSION_HOURS", 8)))


def short_session_for(user: AbstractBaseUser) -> bool:
    """Whether `user` gets the short session: a role group, or the admin (superuser or staff).

    Superusers and staff are asked first: they need no role group to change anything the admin
    lets them, so leaving them out would give the most powerful accounts the longest sessions.
    """
    return (
        bool(getattr(user, "is_superuser", False) or getattr(user, "is_staff", False))
        or user.groups.filter(name__in=EDITORIAL_GROUPS).exists()
    )


@receiver(user_logged_in, dispatch_uid="accounts.sessions.shorten")
def _shorten_sessions(
    sender: Any, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any
) -> None:
    session = getattr(request, "session", None)
    if session is None or not short_session_for(user):
        return
    age = role_session_age()
    session[SESSION_MAX_AGE_KEY] = int(age.total_seconds())
    session[SESSION_DEADLINE_KEY] = (timezone.now() + age).isoformat()
    session.set_expiry(0)  # the cookie ends with the browser


class SessionStore(DatabaseSessionStore):
    """Database sessions that honour the cap set at sign-in for the powerful accounts.

    The cookie of such a session ends with the browser; on the server the session expires
    `EDITORIAL_ROLE_SESSION_HOURS` after sign-in even if a browser restores the cookie.
    """

    def get_session_cookie_age(self) -> int:
        return int(self.get(SESSION_MAX_AGE_KEY) or super().get_session_cookie_age())

    def load(self) -> dict[str, Any]:
        data = super().load()
        if self._past_deadline(data):
            self.delete()
            self._session_key = None
            return {}
        return data

    async def aload(self) -> dict[str, Any]:
        data = await super().aload()
        if self._past_deadline(data):
            await self.adelete()
            self._session_key = None
            return {}
        return data

    @staticmethod
    def _past_deadline(data: dict[str, Any]) -> bool:
        deadline = data.get(SESSION_DEADLINE_KEY)
        return bool(deadline) and datetime.fromisoformat(deadline) <= timezone.now()
