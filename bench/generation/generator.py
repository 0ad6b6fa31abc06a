"""The generator: draws the plans, then writes articles in chunks, in parallel on PostgreSQL.

Primary keys are explicit and laid out per chunk, so forked writer processes never collide; each
chunk is one transaction and reseeds its RNG from the chunk number, so the data does not depend
on how many processes wrote it. Everything here runs after django.setup().
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import Max
from tqdm import tqdm

from articles.models import Article, CitationLink, HistoricalArticle, Rendition
from bench.generation.accounts import create_accounts
from bench.generation.articles import article_rows, draft_article
from bench.generation.chain import audit_rows, signoff_rows
from bench.generation.comments import review_comments
from bench.generation.copying import write_rows
from bench.generation.database import (
    drop_search_indexes,
    maintenance,
    next_pk,
    reset_sequences,
    write_search_entries,
)
from bench.generation.plans import Plan, draw_plans
from bench.generation.references import create_library, load_site_content
from bench.generation.renditions import citation_links, render_template, rendition_rows
from bench.generation.shared import whole_ms
from bench.generation.text import TextBank
from bench.generation.workflow import (
    assignments,
    choose_reviewers,
    editorial_history,
    workflow_row,
)
from reviews.models import (
    ArticleWorkflow,
    Assignment,
    AuditEvent,
    CommentResolution,
    ReviewComment,
    SignOff,
)

BIG_ROWS = {"history", "article", "rendition"}  # tens of kilobytes each: small batches on SQLite
ROW_KINDS = (
    "article",
    "history",
    "workflow",
    "assignment",
    "signoff",
    "audit",
    "comment",
    "resolution",
    "rendition",
    "link",
    "authors",
    "topics",
)


class Generator:
    """Writes one scale of data through the default database connection."""

    def __init__(
        self,
        *,
        articles: int,
        versions: float,
        seed: int,
        progress: bool,
        out: Any = sys.stdout,
        batch: int = 250,
        jobs: int = 0,
    ) -> None:
        self.seed = seed
        self.jobs = jobs or os.cpu_count() or 1
        self.n = articles
        self.mean_versions = versions
        self.rng = random.Random(seed)
        self.progress = progress
        self.out = out
        self.batch = batch
        self.connection = connection
        self.now = whole_ms(datetime.now(UTC))
        self.stats: dict[str, Any] = {}

    def say(self, message: str) -> None:
        print(message, file=self.out, flush=True)

    def bar(self, total: int, desc: str) -> Any:
        return tqdm(
            total=total,
            desc=desc,
            unit="art",
            disable=not self.progress,
            file=sys.stderr,
            dynamic_ncols=True,
            mininterval=0.5,
        )

    def plans(self) -> list[Plan]:
        plans = draw_plans(
            articles=self.n,
            mean_versions=self.mean_versions,
            rng=self.rng,
            start_pk=next_pk(Article),
        )
        self.published_pks = [p.pk for p in plans if p.published_versions]
        self.plans_list = plans
        return plans

    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        with transaction.atomic():
            self.staff = create_accounts(articles=self.n, now=self.now)
            self.stats["users"] = self.staff.users
            self.library = create_library(articles=self.n)
            self.stats["references"] = self.library.size
            load_site_content()
        plans = self.plans()
        self.bank = TextBank(random.Random(7))
        self.template = render_template(seed=self.seed, bank=self.bank, library=self.library)
        self.bases = self.id_bases()
        search_indexes = drop_search_indexes(self.connection)
        chunks = [
            (k, plans[start : start + self.batch])
            for k, start in enumerate(range(0, len(plans), self.batch))
        ]
        bar = self.bar(len(plans), f"articles ({self.n:,})")
        articles_started = time.perf_counter()
        counts: dict[str, int] = {}
        jobs = self.jobs if self.connection.vendor == "postgresql" else 1
        if jobs > 1 and len(chunks) > 1:
            connections.close_all()  # each process opens its own
            global _WORKER
            _WORKER = self
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                for n_articles, part_counts in pool.imap_unordered(
                    _write_chunk, [k for k, _ in chunks]
                ):
                    for name, n in part_counts.items():
                        counts[name] = counts.get(name, 0) + n
                    bar.update(n_articles)
        else:
            for k, part in chunks:
                for name, n in self.write_chunk(k, part).items():
                    counts[name] = counts.get(name, 0) + n
                bar.update(len(part))
        bar.close()
        self.stats["articles_seconds"] = round(time.perf_counter() - articles_started, 1)
        self.stats["jobs"] = jobs
        reset_sequences(self.connection)
        self.stats.update(write_search_entries(self.connection, say=self.say))
        self.stats.update(
            maintenance(
                self.connection, search_indexes, versions=counts.get("versions", 0), say=self.say
            )
        )
        self.stats.update(counts)
        self.stats["articles"] = self.n
        self.stats["seconds"] = round(time.perf_counter() - started, 1)
        return self.stats

    def id_bases(self) -> dict[str, int]:
        """Primary keys are explicit (rows refer to each other before they are written) and laid
        out per chunk of articles, so chunks can be written by several processes at once."""
        longest = max(50, int(self.mean_versions * 2))
        self.stride = self.batch * (4 * longest + 20)
        return {
            name: (model.objects.aggregate(m=Max(field))["m"] or 0) + 1
            for name, model, field in (
                ("history", HistoricalArticle, "history_id"),
                ("audit", AuditEvent, "pk"),
                ("signoff", SignOff, "pk"),
                ("comment", ReviewComment, "pk"),
            )
        }

    def write_chunk(self, k: int, plans: list[Plan]) -> dict[str, int]:
        self.rng = random.Random(self.seed * 1_000_003 + k)
        counters = {
            name: iter(range(base + k * self.stride, base + (k + 1) * self.stride))
            for name, base in self.bases.items()
        }
        with transaction.atomic():
            return self.write_batch(plans, counters)

    def write_batch(self, plans: list[Plan], counters: dict[str, Any]) -> dict[str, int]:
        rng = self.rng
        rows: dict[str, list[Any]] = {k: [] for k in ROW_KINDS}
        for plan in plans:
            draft = draft_article(
                plan,
                rng,
                bank=self.bank,
                library=self.library,
                staff=self.staff,
                published_pks=self.published_pks,
                now=self.now,
                history_pk=counters["history"],
            )
            rows["history"].extend(draft.versions)
            reviewers = choose_reviewers(plan, self.staff.reviewers, 2 if plan.high_risk else 1)
            history = editorial_history(draft, reviewers, rng)
            article, authors, topics = article_rows(
                draft, published_at=history.published_at, library=self.library
            )
            rows["article"].append(article)
            rows["authors"].extend(authors)
            rows["topics"].extend(topics)
            rows["workflow"].append(workflow_row(draft, history))
            rows["assignment"].extend(assignments(draft, history, reviewers))
            rows["signoff"].extend(
                signoff_rows(draft, history, profiles=self.staff.profiles, pks=counters["signoff"])
            )
            rows["audit"].extend(audit_rows(draft, history, pks=counters["audit"]))
            comments, resolutions = review_comments(
                draft, history, reviewers, rng, pks=counters["comment"]
            )
            rows["comment"].extend(comments)
            rows["resolution"].extend(resolutions)
            rows["rendition"].extend(rendition_rows(draft, self.template, now=self.now))
            rows["link"].extend(citation_links(draft))

        # Foreign keys are deferred until commit on PostgreSQL; on SQLite the order matters.
        for model, kind in (
            (HistoricalArticle, "history"),
            (Article, "article"),
            (Article.authors.through, "authors"),
            (Article.topics.through, "topics"),
            (ArticleWorkflow, "workflow"),
            (Assignment, "assignment"),
            (SignOff, "signoff"),
            (AuditEvent, "audit"),
            (ReviewComment, "comment"),
            (CommentResolution, "resolution"),
            (Rendition, "rendition"),
            (CitationLink, "link"),
        ):
            write_rows(model, rows[kind], batch_size=100 if kind in BIG_ROWS else 2000)
        return {
            "versions": len(rows["history"]),
            "audit_events": len(rows["audit"]),
            "signoffs": len(rows["signoff"]),
            "assignments": len(rows["assignment"]),
            "comments": len(rows["comment"]),
            "renditions": len(rows["rendition"]),
            "citation_links": len(rows["link"]),
        }


_WORKER: Generator | None = None


def _write_chunk(k: int) -> tuple[int, dict[str, int]]:
    """In a worker process (forked after the plans were drawn): write chunk k."""
    gen = _WORKER
    assert gen is not None
    part = gen.plans_list[k * gen.batch : (k + 1) * gen.batch]
    return len(part), gen.write_chunk(k, part)
