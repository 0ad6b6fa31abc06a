"""Diffs between two versions of an article, with clinically significant changes flagged.

Two views of the same edit: the source diff (`source`: the Markdown, word by word) and the
side-by-side diff (`side`: each audience's text as readers get it, block by block, words marked).
Both tokenise and align with `tokens` and judge what is clinical with `clinical`.
"""

from __future__ import annotations

from reviews.diff.clinical import count_summary
from reviews.diff.side import AudienceSide, Row, Side, side_by_side
from reviews.diff.source import (
    Change,
    TextDiff,
    diff_fields,
    diff_texts,
    diff_versions,
    plain_fields,
)

__all__ = [
    "AudienceSide",
    "Row",
    "Side",
    "side_by_side",
    "Change",
    "TextDiff",
    "count_summary",
    "diff_fields",
    "diff_texts",
    "diff_versions",
    "plain_fields",
]
