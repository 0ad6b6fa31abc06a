"""Append-only records and the per-article hash chains that make tampering with them evident.

Decisions (sign-offs, audit events, comments, waivers) are rows written once: saves of existing
rows, deletes, and bulk updates or deletes are refused in the ORM (and, on PostgreSQL, by triggers:
migration reviews 0010). Sign-offs and audit events are also links of a per-article chain keyed
with HMAC-SHA256 under EDITORIAL_AUDIT_KEY, a secret outside the database, whose newest rows are
checkpointed outside it too (reviews/checkpoints.py); `manage.py verify_audit` checks both.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC
from functools import partial
from typing import Any, NoReturn

from django.apps import apps
from django.conf import settings
from django.db import models, transaction

from reviews.checkpoints import write_checkpoint


class ImmutableRowError(Exception):
    """Raised when code tries to change or delete an append-only record."""


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused too, not only single-row saves."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableRowError(f"{self.model.__name__} rows are never changed once written.")

    def delete(self) -> NoReturn:
        raise ImmutableRowError(f"{self.model.__name__} rows are never deleted.")


class AppendOnlyModel(models.Model):
    """A record that is written once and never updated or deleted."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRowError(f"{type(self).__name__} rows are never changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableRowError(f"{type(self).__name__} rows are never deleted.")


class ChainedRecord(AppendOnlyModel):
    """An append-only row that is also a link of a per-article keyed hash chain (tamper evidence).

    Each row stores the hash of the article's previous row of the same kind and the HMAC-SHA256,
    under the audit key named by `chain_key_id`, of its own canonical content plus that previous
    hash. Without the key nobody can write a row that verifies; changing, removing or reordering
    rows breaks the chain, and removing the newest ones misses a checkpoint: `manage.py
    verify_audit` reports both. Callers hold the article's row lock while appending, so the
    chain has no forks.
    """

    CHAIN_FIELDS: tuple[str, ...] = ()

    chain_previous = models.CharField(max_length=64, editable=False, default="")
    chain_hash = models.CharField(max_length=64, editable=False, default="")
    chain_key_id = models.CharField(max_length=32, editable=False, default="")

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            super().save(*args, **kwargs)  # refused by AppendOnlyModel
            return
        # No savepoint of its own: a failed append fails the caller's whole transaction.
        with transaction.atomic(savepoint=False):
            if not getattr(self, "_caller_holds_lock", False):
                # The article's row lock orders the appends, so two writers cannot both link
                # to the same previous row.
                apps.get_model("articles", "Article").objects.select_for_update().filter(
                    pk=self.article_id
                ).values_list("pk", flat=True).first()
            known = getattr(self, "_known_previous", None)
            self.chain_previous = (
                known if known is not None else chain_head(type(self), self.article_id)
            )
            self.chain_key_id = settings.EDITORIAL_AUDIT_KEY_ID
            self.chain_hash = self.compute_chain_hash()
            super().save(*args, **kwargs)
            # After commit only: a rolled-back row must not become a head that "went missing".
            transaction.on_commit(
                partial(
                    write_checkpoint,
                    model=type(self).__name__,
                    article_id=self.article_id,
                    pk=self.pk,
                    chain_hash=self.chain_hash,
                )
            )

    def chain_content(self) -> bytes:
        return chain_content(
            {name: getattr(self, name) for name in self.CHAIN_FIELDS}, self.chain_previous
        )

    def compute_chain_hash(self) -> str:
        return chain_mac(self.chain_content(), key_id=self.chain_key_id) or ""

    def verify(self) -> bool:
        """True when the row is exactly as written by a holder of the audit key.

        Pure computation on the loaded row (no query), so pages can check every row they show.
        """
        expected = chain_mac(self.chain_content(), key_id=self.chain_key_id)
        return expected is not None and hmac.compare_digest(self.chain_hash, expected)

    @classmethod
    def append(cls, *, previous: str | None = None, **fields: Any) -> Any:
        """Append a row for a caller that holds the article's row lock (every service does).

        `previous` is the chain's head as the caller read it under that lock, in this
        transaction; given, it saves looking it up again. Other callers use `save()`, which
        takes the lock and reads the head itself.
        """
        row = cls(**fields)
        row._caller_holds_lock = True
        row._known_previous = previous
        row.save()
        return row


def chain_head(model: type[ChainedRecord], article_id: int) -> str:
    """The hash the next row of `model` for this article links to."""
    return (
        model.objects.filter(article_id=article_id)
        .order_by("-pk")
        .values_list("chain_hash", flat=True)
        .first()
    ) or GENESIS


def audit_keys() -> dict[str, bytes]:
    """The audit keys by id: the current one and any retired ones still needed to verify."""
    keys: dict[str, bytes] = {}
    for pair in settings.EDITORIAL_AUDIT_RETIRED_KEYS:
        key_id, _, key = pair.partition(":")
        if key_id and key:
            keys[key_id] = key.encode()
    if settings.EDITORIAL_AUDIT_KEY:
        keys[settings.EDITORIAL_AUDIT_KEY_ID] = settings.EDITORIAL_AUDIT_KEY.encode()
    return keys


def chain_mac(content: bytes, *, key_id: str) -> str | None:
    """HMAC-SHA256 of a row's canonical content under the key `key_id`; None for an unknown key.

    Rows from before the key (an empty id) or under a key nobody configured never verify.
    """
    key = audit_keys().get(key_id)
    if key is None:
        return None
    return hmac.new(key, content, hashlib.sha256).hexdigest()


# The "previous hash" of an article's first row.
GENESIS = "0" * 64


def chain_content(values: dict[str, Any], previous: str) -> bytes:
    """The canonical bytes a chained row's hash covers: its fields and the previous hash."""
    canonical: dict[str, Any] = {}
    for name, value in values.items():
        if hasattr(value, "isoformat"):
            # Milliseconds: what a JSON backup keeps, so a restored row verifies too.
            value = value.astimezone(UTC).isoformat(timespec="milliseconds")
        canonical[name] = value
    canonical["previous"] = previous
    return json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
