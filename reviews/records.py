"""Append-only records and the per-article hash chains that make tampering with them evident.

Decisions (sign-offs, audit events, comments, waivers) are rows written once: saves of existing
rows, deletes, and bulk updates or deletes are refused in the ORM. Sign-offs and audit events are
also links of a per-article SHA-256 chain that `manage.py verify_audit` checks.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any, NoReturn

from django.apps import apps
from django.db import models, transaction


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
    """An append-only row that is also a link of a per-article hash chain (tamper evidence).

    Each row stores the hash of the article's previous row of the same kind and the SHA-256 of
    its own canonical content plus that previous hash. Changing, removing or reordering any row
    by hand breaks the chain at that point, which `manage.py verify_audit` reports. Callers hold
    the article's row lock while appending, so the chain has no forks.
    """

    CHAIN_FIELDS: tuple[str, ...] = ()

    chain_previous = models.CharField(max_length=64, editable=False, default="")
    chain_hash = models.CharField(max_length=64, editable=False, default="")

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
            self.chain_hash = self.compute_chain_hash()
            super().save(*args, **kwargs)

    def chain_content(self) -> bytes:
        return chain_content(
            {name: getattr(self, name) for name in self.CHAIN_FIELDS}, self.chain_previous
        )

    def compute_chain_hash(self) -> str:
        return hashlib.sha256(self.chain_content()).hexdigest()

    def verify(self) -> bool:
        """True when the row is exactly as written (its own hash still matches)."""
        return self.chain_hash == self.compute_chain_hash()

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
