"""Review comments: open threads on articles in review, a resolved one on a third of the rest.

Each thread is a reviewer's comment quoting the patient text and the author's reply, so the
review pages and the reviewer's dashboard have threads to show.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from bench.generation.articles import Draft
from bench.generation.shared import whole_ms
from bench.generation.workflow import History
from reviews.models import CommentResolution, ReviewComment, State


def review_comments(
    draft: Draft, history: History, reviewers: list[Any], rng: random.Random, *, pks: Any
) -> tuple[list[Any], list[Any]]:
    """Comment rows (root, reply, ...) and the resolutions of the closed threads."""
    comments: list[Any] = []
    resolutions: list[Any] = []
    plan, current, cycle = draft.plan, draft.current, history.cycle
    changed = history.changed_at
    open_threads = history.state in (State.UNDER_REVIEW, State.CHANGES_REQUESTED)
    if not (open_threads or (cycle and rng.random() < 0.33)):
        return comments, resolutions
    quote = current.texts["patient"].split("\n\n")[1][:60].rsplit(" ", 1)[0]
    for t in range(2 if open_threads else 1):
        root = ReviewComment(
            pk=next(pks),
            article_id=plan.pk,
            cycle=max(cycle, 1),
            version=current.version,
            audience="patient",
            quote=quote,
            body="Please check this sentence against the guideline.",
            author_id=reviewers[0].pk,
            created_at=whole_ms(changed + timedelta(minutes=t + 1)),
        )
        reply = ReviewComment(
            pk=next(pks),
            article_id=plan.pk,
            cycle=max(cycle, 1),
            version=current.version,
            audience="patient",
            body="Reworded; see the new version.",
            author_id=draft.author.pk,
            parent_id=root.pk,
            created_at=whole_ms(changed + timedelta(minutes=t + 30)),
        )
        comments.extend([root, reply])
        if not open_threads:
            resolutions.append(
                CommentResolution(
                    comment_id=root.pk,
                    resolved_by_id=reviewers[0].pk,
                    note="Fixed.",
                    resolved_at=whole_ms(changed + timedelta(hours=2)),
                )
            )
    return comments, resolutions
