"""Pages of rows read only when used, for lists whose rendered rows may already be kept."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class LazyRows(Sequence[Any]):
    """The rows of a page, read by `fetch` the first time they are used (a page whose rendered
    rows are kept is never read) and then kept. A sliced queryset is lazy the same way; this is
    for rows that come from elsewhere (reversed, or from the cache)."""

    def __init__(self, fetch: Callable[[], list[Any]]) -> None:
        self._fetch = fetch
        self._rows: list[Any] | None = None

    def _all(self) -> list[Any]:
        if self._rows is None:
            self._rows = self._fetch()
        return self._rows

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())
