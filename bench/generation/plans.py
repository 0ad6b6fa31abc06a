"""Article plans: what each article will look like, drawn up front from one seeded RNG.

Drawing every plan before any row is written keeps a scale reproducible whatever the number of
writer processes, and gives every chunk the full list of published articles to relate to.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bench.generation.shared import CONDITIONS, FEATURED_SLUG, WRITE_PATH_SLUGS


@dataclass
class Plan:
    """What one article looks like; drawn from a seeded RNG so a scale is reproducible."""

    index: int
    pk: int
    slug: str
    condition: str
    versions: int
    category: str
    published_versions: list[int] = field(default_factory=list)
    high_risk: bool = False


CATEGORIES = (
    # (share in %, name)
    (78, "published"),
    (5, "published_new_draft"),
    (3, "pending"),
    (5, "under_review"),
    (3, "submitted"),
    (2, "changes_requested"),
    (4, "draft"),
)


def _category(rng: random.Random) -> str:
    roll = rng.randrange(100)
    for share, name in CATEGORIES:
        if roll < share:
            return name
        roll -= share
    return "draft"


def draw_plans(
    *, articles: int, mean_versions: float, rng: random.Random, start_pk: int
) -> list[Plan]:
    """One plan per article; the first three are the fixed articles the runner measures."""
    plans = []
    for i in range(articles):
        condition = CONDITIONS[i % len(CONDITIONS)]
        versions = max(
            1,
            min(
                int(mean_versions * 2) - 1,
                round(rng.expovariate(1 / mean_versions)) + 1,
            ),
        )
        category = _category(rng)
        slug = f"{condition.replace(' ', '-').lower()}-{i + 1:06d}"
        if i == 0:
            slug, category, versions = (
                FEATURED_SLUG,
                "published",
                max(6, round(mean_versions)),
            )
        elif i in (1, 2) and articles >= 3:
            count = 5 if i == 1 else 50
            slug, category, versions = WRITE_PATH_SLUGS[count], "published", count
        plan = Plan(
            index=i,
            pk=start_pk + i,
            slug=slug,
            condition=condition,
            versions=versions,
            category=category,
            high_risk=i > 2 and rng.random() < 0.1,
        )
        if category in ("published", "published_new_draft", "pending"):
            last = versions if category != "published_new_draft" or versions == 1 else versions - 1
            if category == "published_new_draft" and versions == 1:
                plan.versions = versions = 2
                last = 1
            if category == "pending":
                plan.published_versions = [last]
            else:
                earlier = [v for v in range(1, last) if rng.random() < 0.35]
                plan.published_versions = [*earlier, last]
        plans.append(plan)
    return plans
