"""Comment threads on the article page: who may resolve one, and where each sits in the text now.

Where a thread sits is worked out on each page view, not stored when a version is saved: the
page already holds the current renditions (for the text tabs), finding a quote with its context
in their plain text is string search with no query, and the work is bounded (at most
`CANDIDATES` places weighed per thread, and the page shows at most 100 threads). A stored
relocation would be one more row to write on every save path (form, API, revert, admin) and
would go stale whenever the rendering changes (a new pipeline, a glossary edit) without a save.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from accounts.roles import Role
from articles.quotes import normalised_find, relocate
from articles.sourcemap import Highlight, highlight
from reviews.models import ReviewComment

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

Place = Literal["text", "outdated", "unplaced", "general"]


def may_resolve(*, user: AbstractBaseUser, thread: ReviewComment, roles: Iterable[Role]) -> bool:
    """Whether `user` may close `thread`: its writer or an editor (an author cannot wave a
    reviewer's point away). The one rule, asked by the service and by the page's buttons."""
    return thread.author_id == user.pk or Role.EDITOR in roles


@dataclass
class ThreadView:
    """An open thread as the page shows it: where it is, and what this user may do with it.

    `place` is "text" (highlighted in its audience's text, in the margin beside it), "outdated"
    (its passage is no longer in the text), "unplaced" (a quote pasted before anchors, on this
    version, not found in the rendering) or "general" (on the whole article or no passage).
    """

    thread: ReviewComment
    place: Place
    may_resolve: bool
    start: int | None = None
    end: int | None = None


@dataclass
class TextPanel:
    """One audience's working text: the rendering cut into HTML and the threads placed in it."""

    key: str
    label: str
    segments: list[tuple[str, str | list[ThreadView]]] = field(default_factory=list)
    threads: list[ThreadView] = field(default_factory=list)
    # The rendition's numbered references (`Rendition.citations`), listed under the text.
    citations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        """What this panel's ids start with: the page shows several renditions, each with its
        own `ref-1`, `cite-1-1` and glossary ids."""
        return f"{self.key}-"


_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
_ID_ATTRIBUTE = re.compile(r"""(\s(?:id|for|aria-describedby|aria-labelledby)=")([^"]*)(")""")
_FRAGMENT = re.compile(r"""(\shref="#)([^"]*)(")""")


def prefix_ids(body_html: str, prefix: str) -> str:
    """`body_html` (a rendition, our own sanitised HTML) with every id, and every reference to
    one (`href="#..."`, `for`, `aria-describedby`), starting with `prefix`. Only tags are read:
    the text is escaped, so a `<` always opens one."""

    def ids(found: re.Match[str]) -> str:
        names = " ".join(prefix + name for name in found.group(2).split())
        return f"{found.group(1)}{names}{found.group(3)}"

    def tag(found: re.Match[str]) -> str:
        return _FRAGMENT.sub(ids, _ID_ATTRIBUTE.sub(ids, found.group(0)))

    return _TAG.sub(tag, body_html)


def _where(thread: ReviewComment, text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    if thread.is_anchored:
        return relocate(
            text,
            quote=thread.quote,
            prefix=thread.prefix,
            suffix=thread.suffix,
            hint=thread.rendered_start,
        )
    found = normalised_find(text, thread.quote)
    return found[0] if found else None


def thread_views(
    *,
    threads: Iterable[ReviewComment],
    plain_texts: Mapping[str, str],
    user: AbstractBaseUser,
    roles: Iterable[Role],
    version: int,
) -> list[ThreadView]:
    """Each open thread placed in the current plain text of its audience (`plain_texts`)."""
    roles = frozenset(roles)
    views = []
    for thread in threads:
        resolvable = may_resolve(user=user, thread=thread, roles=roles)
        if not thread.audience or not thread.quote:
            views.append(ThreadView(thread, "general", resolvable))
            continue
        span = _where(thread, plain_texts.get(thread.audience))
        if span is not None:
            views.append(ThreadView(thread, "text", resolvable, *span))
        elif thread.is_anchored or thread.version != version:
            views.append(ThreadView(thread, "outdated", resolvable))
        else:
            views.append(ThreadView(thread, "unplaced", resolvable))
    return views


def text_panel(
    *,
    key: str,
    label: str,
    body_html: str,
    views: Iterable[ThreadView],
    citations: Iterable[dict[str, Any]] = (),
) -> TextPanel:
    """The rendering with its threads' passages marked and the threads after their blocks, its
    ids prefixed with the audience (`TextPanel.prefix`), and its references to list below."""
    placed = {
        v.thread.pk: v
        for v in views
        if v.place == "text" and v.thread.audience == key and v.start is not None
    }
    marks = [Highlight(v.start, v.end, pk) for pk, v in placed.items()]  # type: ignore[arg-type]
    panel = TextPanel(key=key, label=label, citations=list(citations))
    for part in highlight(body_html, marks):
        if isinstance(part, tuple):
            panel.segments.append(("threads", [placed[pk] for pk in part]))
            panel.threads += [placed[pk] for pk in part]
        elif part:
            panel.segments.append(("html", prefix_ids(part, panel.prefix)))
    # A passage in no block (only whitespace between blocks) is marked nowhere: listed below.
    shown = {v.thread.pk for v in panel.threads}
    for pk, view in placed.items():
        if pk not in shown:
            view.place = "unplaced"
    return panel
