"""The source diff: two versions of a text (Markdown or a plain field), word by word, flagged.

A medical reviewer compares what they signed with what they are asked to sign now. The diff is
computed on tokens (words, numbers, whitespace, single punctuation characters) with
`difflib.SequenceMatcher`, so whitespace survives into the output and a changed dose shows as one
changed token ("15-30" -> "150-300") rather than as scattered characters. Neighbouring changes are
merged so an edit reads as one phrase. A change is *clinical* when a token it actually removes or
inserts is a number, a dose unit or frequency, a negation/prohibition, or a bound (more/less,
before/after, < >); those are drawn with a warning flag so they cannot be skimmed past.

The input is untrusted Markdown; every piece of it goes through `django.utils.html.escape`, and
the only markup in `TextDiff.html` is the fixed markup written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reviews.diff.clinical import clinical_reasons
from reviews.diff.tokens import Hunk, align, lines, merge

if TYPE_CHECKING:
    from articles.models import HistoricalArticle

_FLAG_LABEL = "clinical change"


@dataclass(frozen=True)
class Change:
    """One contiguous edit: the text removed, the text added, and whether it is clinical."""

    kind: str  # "insert" | "delete" | "replace"
    old: str
    new: str
    clinical: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class TextDiff:
    """The diff of one text (an audience's Markdown or a plain field), as changes and as HTML."""

    audience: str
    html: str
    changes: list[Change]

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def clinical_changes(self) -> list[Change]:
        return [change for change in self.changes if change.clinical]


def diff_texts(old: str, new: str, *, audience: str = "") -> TextDiff:
    """Diff two versions of one text word by word.

    `audience` only labels the result (an audience key, or a field name via `diff_fields`).
    """
    # A browser textarea submits CRLF; a version that differs only in line endings has not been
    # edited, and flagging every line would hide the edits that matter.
    old_lines = lines(old.replace("\r\n", "\n"))
    new_lines = lines(new.replace("\r\n", "\n"))
    old_tokens = [token for line in old_lines for token in line]
    new_tokens = [token for line in new_lines for token in line]
    hunks = merge(align(old_lines, new_lines, old_tokens, new_tokens), old_tokens, new_tokens)

    html: list[str] = []
    changes: list[Change] = []
    for hunk in hunks:
        old_text = "".join(old_tokens[hunk.i1 : hunk.i2])
        if not hunk.changed:
            html.append(escape(old_text))
            continue
        change = _change(hunk, old_text, "".join(new_tokens[hunk.j1 : hunk.j2]))
        changes.append(change)
        html.append(_render(change))
    # Safe because every piece of input went through escape() above or in _render.
    return TextDiff(audience=audience, html=mark_safe("".join(html)), changes=changes)


def diff_versions(old_texts: Mapping[str, str], new_texts: Mapping[str, str]) -> list[TextDiff]:
    """Diff every audience's text between two versions, sorted by audience key.

    An audience present in only one version is diffed against the empty text, so an added
    audience is one insertion and a removed one is one deletion.
    """
    return _diff_mapping(old_texts, new_texts)


def plain_fields(version: HistoricalArticle) -> dict[str, str]:
    """The one-line and list fields of a version (article or history row) a reviewer must see
    change: title, summary and the listed sources (one key a line)."""
    return {
        "title": version.title,
        "summary": version.summary,
        "sources consulted": "\n".join(getattr(version, "sources", None) or ()),
    }


def diff_fields(old: Mapping[str, str], new: Mapping[str, str]) -> list[TextDiff]:
    """Diff plain fields (title, summary...) between two versions, sorted by field name.

    Each result's `audience` holds the field name.
    """
    return _diff_mapping(old, new)


def _diff_mapping(old: Mapping[str, str], new: Mapping[str, str]) -> list[TextDiff]:
    return [
        diff_texts(old.get(key, ""), new.get(key, ""), audience=key)
        for key in sorted(old.keys() | new.keys())
    ]


def _change(hunk: Hunk, old_text: str, new_text: str) -> Change:
    if not old_text:
        kind = "insert"
    elif not new_text:
        kind = "delete"
    else:
        kind = "replace"
    reasons = clinical_reasons(hunk.removed, hunk.inserted)
    return Change(kind=kind, old=old_text, new=new_text, clinical=bool(reasons), reasons=reasons)


def _render(change: Change) -> SafeString:
    if change.clinical:
        title = escape(f"Clinical change: {', '.join(change.reasons)}")
        extra_class = " diff-clinical"
        attrs = f' title="{title}"'
        # role="img" makes the aria-label part of the accessibility tree; on a bare span it is
        # ignored by most screen readers, and <del>/<ins> themselves are rarely announced.
        flag = f'<span class="diff-flag" role="img" aria-label="{_FLAG_LABEL}"{attrs}>⚠</span>'
    else:
        extra_class = attrs = flag = ""
    html = flag
    if change.old:
        html += f'<del class="diff-del{extra_class}"{attrs}>{escape(change.old)}</del>'
    if change.new:
        html += f'<ins class="diff-ins{extra_class}"{attrs}>{escape(change.new)}</ins>'
    return mark_safe(html)
