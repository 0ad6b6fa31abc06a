"""The refusals the editorial services raise, which views and the API turn into answers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from articles.models import Article


class WorkflowError(Exception):
    """A domain refusal the user can act on: illegal in this state, or guards failed."""

    def __init__(self, action: str, reasons: Iterable[str], *, code: str = "guard_failed") -> None:
        self.action = action
        self.reasons = list(reasons)
        self.code = code
        super().__init__(f"{action}: " + " ".join(self.reasons))


class EditConflict(Exception):
    """The edit started from a version that is no longer the current one."""

    def __init__(self, *, article: Article, base_version: int) -> None:
        self.article = article
        self.base_version = base_version
        super().__init__(
            f"The article is at version {article.version}; your edit started from "
            f"version {base_version}."
        )
