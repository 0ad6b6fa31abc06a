"""Checkpoints of each audit chain's newest row, kept outside the database.

A keyed chain stops forged or edited rows, but not removing the newest ones: the shortened chain
still links. So after each append commits, the chain's head (row id and hash) is written to a
file under EDITORIAL_AUDIT_CHECKPOINT_DIR and logged; `verify_audit` then finds every
checkpointed head still in the database, unchanged.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

logger = logging.getLogger("editorial.audit")


@dataclass(frozen=True)
class Checkpoint:
    """The newest row of one article's chain of one kind, as last recorded after a commit."""

    model: str
    article_id: int
    pk: int
    chain_hash: str


def checkpoint_dir() -> Path:
    return Path(settings.EDITORIAL_AUDIT_CHECKPOINT_DIR)


def _path(model: str, article_id: int) -> Path:
    return checkpoint_dir() / model.lower() / f"{article_id}.json"


def write_checkpoint(*, model: str, article_id: int, pk: int, chain_hash: str) -> None:
    """Record `pk` as the chain's head unless a newer head is already recorded.

    Runs after commit, so two appends to one chain may call it in either order: the lock and the
    comparison keep the newest. A failure is logged, not raised: the row is committed already,
    and the missing checkpoint only weakens the truncation check until the next append.
    """
    path = _path(model, article_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.parent / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = read_checkpoint(path)
            if current is not None and current.pk >= pk:
                return
            tmp = path.with_suffix(".tmp")
            tmp.write_text(
                json.dumps(
                    {"model": model, "article_id": article_id, "pk": pk, "chain_hash": chain_hash}
                )
            )
            os.replace(tmp, path)
    except OSError:
        logger.exception(
            "audit checkpoint NOT written: %s article %s row %s", model, article_id, pk
        )
        return
    # The log is a second copy outside the database, for when the directory itself is lost.
    logger.info(
        "audit checkpoint: %s article %s head row %s hash %s", model, article_id, pk, chain_hash
    )


def read_checkpoint(path: Path) -> Checkpoint | None:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return Checkpoint(
        model=data["model"],
        article_id=int(data["article_id"]),
        pk=int(data["pk"]),
        chain_hash=str(data["chain_hash"]),
    )


def checkpoints(*, model: str) -> list[Checkpoint]:
    """Every recorded head of `model`'s chains."""
    folder = checkpoint_dir() / model.lower()
    if not folder.is_dir():
        return []
    found = (read_checkpoint(path) for path in sorted(folder.glob("*.json")))
    return [c for c in found if c is not None]
