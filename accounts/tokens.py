"""Bearer tokens for the drafting API: issue, find, revoke, authenticate.

A token is `edt_` followed by 32 random bytes (URL-safe base64). It is shown once, when issued;
only its SHA-256 is stored, so a copy of the database does not hold usable tokens. A request's
token is checked by hashing it and looking the hash up (a unique index), never by comparing
secrets in Python. Revoking is final.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import QuerySet

TOKEN_PREFIX = "edt_"
# Enough of the token to recognise it in a list (and in a leaked log line), too little to use it.
DISPLAY_PREFIX_LENGTH = 12
# `token_urlsafe(32)` gives 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 100
# last_used_at is for spotting stale tokens, not an access log: one write a minute is plenty.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: the stored row and the secret, which exists only here."""

    token: ApiToken
    secret: str


def token_digest(secret: str) -> str:
    """The SHA-256 (hex) stored for `secret`."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX) and len(value) <= MAX_TOKEN_LENGTH


@transaction.atomic
def api_token_issue(*, user: AbstractBaseUser, name: str = "api") -> IssuedToken:
    """Create a token for `user`; the secret is returned once and never stored."""
    if not user.is_active:
        raise ValidationError({"user": "Tokens are only issued to active users."}, code="inactive")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=secret[:DISPLAY_PREFIX_LENGTH],
        token_hash=token_digest(secret),
    )
    token.full_clean()
    token.save()
    return IssuedToken(token=token, secret=secret)


def api_tokens_matching(*, key: str, user: AbstractBaseUser | None = None) -> QuerySet[ApiToken]:
    """Active tokens named by `key`: the whole secret, or the prefix shown when it was issued."""
    tokens = ApiToken.objects.filter(revoked_at__isnull=True).select_related("user")
    if user is not None:
        tokens = tokens.filter(user=user)
    if not key:
        return tokens if user is not None else tokens.none()
    if len(key) > DISPLAY_PREFIX_LENGTH:
        return tokens.filter(token_hash=token_digest(key))
    return tokens.filter(prefix__startswith=key)


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke `token` for good. Revoking a revoked token keeps its first revocation time."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The active token of `secret`, with its user; None if unknown, revoked or user inactive."""
    if not looks_like_token(secret):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A targeted UPDATE, not save(): a save of the whole row could write back a stale
        # `revoked_at` over a revocation committed between our read and this write.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
