"""Generate benchmark data at a chosen scale, fast: bulk inserts, not the services.

    .venv/bin/python bench/generate.py --articles 1000 [--versions 5] [--keep-db] [--no-progress]

Drops and re-creates the PostgreSQL database `editorial_bench_<articles>` (or the one in
DATABASE_URL), migrates it, then writes, in batches, seed-sized articles: about 1,500 words per
audience in four audiences, 20 citations and 10 related articles each, several versions each
(history rows with the version numbers and SHA-256 hashes `articles.content` computes), and the
editorial history around them: workflows in every state, reviewer assignments, sign-offs bound to
version hashes, audit events (hash-chained exactly as reviews.models does), open and resolved
review comments, the reference library, renditions of the live versions and the citation index.

This is seed data, written straight to the tables: one template article is rendered once through
the real pipeline and its HTML is reused for every live version's renditions. The app's code is
used for everything that must agree with it: normalisation, citation keys, content hashes, chain
hashes, rendition pipelines.

Fixed slugs, for the runner: `bench-featured` (a published, approved article: the page under
load), `bench-versions-5` and `bench-versions-50` (approved and published, with 5 and 50
versions: the write-path measurements). Accounts: `editor`, `author`, `reviewer`, `reviewer2` and
more of each, all with the password in BENCH_PASSWORD.

`generate()` is importable: tests/test_bench_smoke.py runs it at 5 articles on the test database.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - throw-away benchmark database only
FEATURED_SLUG = "bench-featured"
WRITE_PATH_SLUGS = {5: "bench-versions-5", 50: "bench-versions-50"}
AUDIENCES = ("patient", "caregiver", "student", "clinician")
CITATIONS_PER_ARTICLE = 20
RELATED_PER_ARTICLE = 10
WORDS_PER_AUDIENCE = 1500

CONDITIONS = [
    "hypophosphatasia",
    "osteoporosis",
    "osteomalacia",
    "rickets",
    "hyperparathyroidism",
    "hypoparathyroidism",
    "Paget disease",
    "osteogenesis imperfecta",
    "scoliosis",
    "gout",
    "anaemia",
    "thalassaemia",
    "haemochromatosis",
    "coeliac disease",
    "Crohn disease",
    "hypothyroidism",
    "hyperthyroidism",
    "diabetes",
    "kidney stones",
    "chronic kidney disease",
    "nephrotic syndrome",
    "asthma",
    "bronchiectasis",
    "sarcoidosis",
    "lupus",
    "rheumatoid arthritis",
    "psoriasis",
    "eczema",
    "migraine",
    "epilepsy",
    "multiple sclerosis",
    "myasthenia",
    "glaucoma",
    "cataract",
    "macular degeneration",
    "tinnitus",
    "vertigo",
    "hepatitis",
    "cirrhosis",
    "pancreatitis",
    "gallstones",
    "endometriosis",
    "menopause",
    "preeclampsia",
    "hypertension",
    "heart failure",
    "atrial fibrillation",
    "angina",
    "stroke",
    "phenylketonuria",
]
# Short words and short sentences for lay readers (the readability check targets grade 8).
LAY_SENTENCES = [
    "Your doctor may ask about your {thing} and how long it has been like this.",
    "Some people with {cond} feel well for a long time.",
    "Others notice {thing} that comes and goes.",
    "A simple blood test can show if your {thing} is too high or too low.",
    "It helps to keep a note of when the {thing} gets worse.",
    "Tell your care team if you have new {thing} or if it will not go away.",
    "Most people can keep up their work, school and home life.",
    "You do not have to face this on your own.",
    "Ask what each test is for and what the result means for you.",
    "Bring a friend or a family member to your visit if that helps.",
    "{Cond} can run in families, so your doctor may ask about your parents.",
    "Your {thing} may change as you get older.",
    "A healthy diet, good sleep and regular walks can help.",
    "Do not stop a medicine without talking to your doctor first.",
    "Some tests need you to fast the night before.",
    "The result is one part of the picture, not the whole story.",
    "Write down your questions before you go in.",
    "If the {thing} is mild, you may only need a check once a year.",
    "Call for help at once if you have chest pain or trouble breathing.",
    "Children with {cond} may need extra checks as they grow.",
    "Many people find it helps to talk with others who have {cond}.",
    "Your nurse can show you how to look after your {thing} at home.",
]
TECH_SENTENCES = [
    "In {cond}, serum markers correlate poorly with {thing} severity in adults.",
    "Longitudinal cohort data suggest that {thing} predicts fracture risk independently of age.",
    "Differential diagnosis includes secondary causes, which should be excluded before referral.",
    "Genetic testing is indicated when the phenotype and biochemistry are concordant.",
    "Management is multidisciplinary and depends on the dominant clinical manifestation.",
    "Evidence for pharmacological treatment of {thing} in {cond} remains limited.",
    "Baseline imaging documents {thing} and guides subsequent monitoring intervals.",
    "Clinicians should review concomitant medications that may exacerbate {thing}.",
    "Randomised trials have mostly enrolled paediatric populations with severe disease.",
    "Guidelines recommend reassessment when symptoms progress or new {thing} develops.",
    "The reference interval varies with age, sex and the assay used by the laboratory.",
    "Observational studies report heterogeneous outcomes across treatment centres.",
]
THINGS = [
    "pain",
    "tiredness",
    "bone pain",
    "swelling",
    "stiffness",
    "weakness",
    "cramps",
    "headaches",
    "sleep",
    "weight",
    "appetite",
    "mood",
    "skin",
    "teeth",
    "joints",
]
HEADINGS = [
    "What it is",
    "Why it happens",
    "Signs to look for",
    "Tests",
    "What the results mean",
    "Treatment",
    "Living with it",
    "Medicines",
    "Diet and exercise",
    "When to get help",
    "Outlook",
    "Questions to ask",
    "Research",
    "Key points",
]
SECTIONS = 10  # x ~150 words = ~1,500 words per audience


def _ts(dt: datetime) -> datetime:
    """Whole milliseconds, as the hash chain keeps them."""
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)


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


class TextBank:
    """Paragraph pools per register; an article's text is a choice of paragraphs + its markers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lay = [self._paragraph(LAY_SENTENCES) for _ in range(300)]
        self.tech = [self._paragraph(TECH_SENTENCES) for _ in range(300)]
        # Students get a mix (their target is grade 12), clinicians the technical register.
        self.mixed = [self._paragraph(TECH_SENTENCES + LAY_SENTENCES) for _ in range(300)]

    def _paragraph(self, sentences: list[str], words: int = 70) -> str:
        out: list[str] = []
        count = 0
        while count < words:
            sentence = self.rng.choice(sentences)
            out.append(sentence)
            count += len(sentence.split())
        return " ".join(out)

    def pool(self, audience: str) -> list[str]:
        if audience in ("patient", "caregiver"):
            return self.lay
        return self.mixed if audience == "student" else self.tech


def _fill(template: str, *, cond: str, thing: str) -> str:
    return (
        template.replace("{cond}", cond)
        .replace("{Cond}", cond[:1].upper() + cond[1:])
        .replace("{thing}", thing)
    )


def article_texts(
    bank: TextBank, rng: random.Random, *, condition: str, markers: list[str]
) -> dict[str, list[str]]:
    """Section blocks per audience; every marker is cited once in every audience's text."""
    texts: dict[str, list[str]] = {}
    for audience in AUDIENCES:
        pool = bank.pool(audience)
        blocks = []
        per_section = max(1, len(markers) // SECTIONS)
        for s in range(SECTIONS):
            cited = (
                markers[s * per_section : (s + 1) * per_section]
                if s < SECTIONS - 1
                else markers[s * per_section :]
            )
            blocks.append(_section(pool, rng, s=s, condition=condition, cited=cited))
        texts[audience] = blocks
    return texts


def _section(
    pool: list[str], rng: random.Random, *, s: int, condition: str, cited: list[str]
) -> str:
    thing = rng.choice(THINGS)
    first = _fill(rng.choice(pool), cond=condition, thing=thing)
    second = _fill(rng.choice(pool), cond=condition, thing=thing)
    marks = " ".join(f"[@{m}]" for m in cited)
    body = f"## {HEADINGS[s % len(HEADINGS)]}\n\n{first} {marks}".rstrip()
    if s % 3 == 1:
        items = "\n".join(
            f"- {_fill(rng.choice(THINGS), cond=condition, thing=thing).capitalize()}"
            for _ in range(4)
        )
        body += f"\n\n{items}"
    return f"{body}\n\n{second}"


def join_texts(blocks: dict[str, list[str]]) -> dict[str, str]:
    return {audience: "\n\n".join(parts) for audience, parts in blocks.items()}


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
        from django.db import connection

        self.seed = seed
        self.jobs = jobs or os.cpu_count() or 1
        self.n = articles
        self.mean_versions = versions
        self.rng = random.Random(seed)
        self.progress = progress
        self.out = out
        self.batch = batch
        self.connection = connection
        self.now = _ts(datetime.now(UTC))
        self.stats: dict[str, Any] = {}

    # -- helpers ---------------------------------------------------------------------------------

    def say(self, message: str) -> None:
        print(message, file=self.out, flush=True)

    def next_pk(self, model: Any) -> int:
        from django.db.models import Max

        return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1

    def bar(self, total: int, desc: str) -> Any:
        from tqdm import tqdm

        return tqdm(
            total=total,
            desc=desc,
            unit="art",
            disable=not self.progress,
            file=sys.stderr,
            dynamic_ncols=True,
            mininterval=0.5,
        )

    # -- the fixed part: accounts, library, disclaimers ----------------------------------------

    def accounts(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password
        from django.contrib.auth.models import Group

        from accounts.roles import ROLE_GROUPS, Role
        from reviews.models import ReviewerProfile

        User = get_user_model()
        password = make_password(BENCH_PASSWORD)
        groups = {role: Group.objects.get(name=name) for role, name in ROLE_GROUPS.items()}
        n_editors = 3
        n_authors = max(5, min(200, self.n // 50))
        n_reviewers = max(6, min(100, self.n // 100))
        start = self.next_pk(User)
        users: list[Any] = []
        roles: list[Role] = []

        def add(username: str, role: Role, first: str, last: str) -> None:
            users.append(
                User(
                    pk=start + len(users),
                    username=username,
                    password=password,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@example.org",
                    is_staff=role == Role.EDITOR,
                    date_joined=self.now,
                )
            )
            roles.append(role)

        add("editor", Role.EDITOR, "Eddie", "Editor")
        for i in range(2, n_editors + 1):
            add(f"editor{i}", Role.EDITOR, "Edna", f"Editor{i}")
        add("author", Role.AUTHOR, "Ada", "Author")
        for i in range(2, n_authors + 1):
            add(f"author{i}", Role.AUTHOR, "Alan", f"Author{i}")
        add("reviewer", Role.REVIEWER, "Rita", "Reviewer")
        add("reviewer2", Role.REVIEWER, "Ravi", "Reviewer")
        for i in range(3, n_reviewers + 1):
            add(f"reviewer{i}", Role.REVIEWER, "Rosa", f"Reviewer{i}")
        User.objects.bulk_create(users)
        Through = User.groups.through
        Through.objects.bulk_create(
            [
                Through(user_id=u.pk, group_id=groups[r].pk)
                for u, r in zip(users, roles, strict=False)
            ]
        )
        verified = (self.now - timedelta(days=60)).date()
        profile_start = self.next_pk(ReviewerProfile)
        profiles = []
        for u, r in zip(users, roles, strict=False):
            if r == Role.REVIEWER:
                profiles.append(
                    ReviewerProfile(
                        pk=profile_start + len(profiles),
                        user_id=u.pk,
                        slug=f"dr-{u.username}",
                        display_name=f"Dr {u.first_name} {u.last_name}",
                        credentials="MBBS, MD",
                        specialty="Endocrinology",
                        bio="A member of the board for the benchmark.",
                        conflicts_of_interest="None declared.",
                        credentials_verified_on=verified,
                    )
                )
        ReviewerProfile.objects.bulk_create(profiles)
        self.editors = [u for u, r in zip(users, roles, strict=False) if r == Role.EDITOR]
        self.authors = [u for u, r in zip(users, roles, strict=False) if r == Role.AUTHOR]
        self.reviewers = [u for u, r in zip(users, roles, strict=False) if r == Role.REVIEWER]
        self.profiles = {p.user_id: p for p in profiles}
        self.stats["users"] = len(users)

    def library(self) -> None:
        from articles.models import Topic
        from references.models import Reference

        size = max(200, min(20_000, self.n * 2))
        start = self.next_pk(Reference)
        refs = []
        for i in range(size):
            n = start + i
            refs.append(
                Reference(
                    pk=n,
                    citekey=f"bench-{n}",
                    kind=Reference.Kind.GUIDELINE
                    if i % 10 == 0
                    else Reference.Kind.JOURNAL_ARTICLE,
                    authors=[
                        {"family": f"Author{n % 97}", "initials": "AB"},
                        {"family": "Smith", "initials": "J"},
                    ],
                    more_authors=i % 3 == 0,
                    title=f"Outcomes of treatment in a cohort study {n}",
                    journal="J Bone Miner Res",
                    year=1995 + i % 30,
                    volume=str(1 + i % 40),
                    issue=str(1 + i % 12),
                    pages=f"{100 + i % 800}-{110 + i % 800}",
                    doi=f"10.5555/bench.gen.{n}",
                    pmid=str(40_000_000 + n),
                )
            )
        for chunk in range(0, len(refs), 2000):
            Reference.objects.bulk_create(refs[chunk : chunk + 2000])
        self.reference_ids = [r.pk for r in refs]
        self.reference_pmids = {r.pk: r.pmid for r in refs}
        topic_start = self.next_pk(Topic)
        topics = [
            Topic(
                pk=topic_start + i,
                name=c[:1].upper() + c[1:],
                slug=c.replace(" ", "-").lower(),
                description=f"Articles about {c}.",
            )
            for i, c in enumerate(CONDITIONS)
        ]
        Topic.objects.bulk_create(topics)
        self.topics = {c: t.pk for c, t in zip(CONDITIONS, topics, strict=False)}
        self.extra_topics = [t.pk for t in topics]
        self.stats["references"] = size

    def site_content(self) -> None:
        """Disclaimers, glossary and pages: the demo's own files, as load_demo reads them."""
        from reviews.management.commands.load_demo import Command

        command = Command()
        command.load_disclaimers()
        command.load_glossary()
        command.load_pages()

    # -- articles ---------------------------------------------------------------------------------

    def plans(self) -> list[Plan]:
        from articles.models import Article

        start = self.next_pk(Article)
        plans = []
        for i in range(self.n):
            rng = self.rng
            condition = CONDITIONS[i % len(CONDITIONS)]
            versions = max(
                1,
                min(
                    int(self.mean_versions * 2) - 1,
                    round(rng.expovariate(1 / self.mean_versions)) + 1,
                ),
            )
            category = _category(rng)
            slug = f"{condition.replace(' ', '-').lower()}-{i + 1:06d}"
            if i == 0:
                slug, category, versions = (
                    FEATURED_SLUG,
                    "published",
                    max(6, round(self.mean_versions)),
                )
            elif i in (1, 2) and self.n >= 3:
                count = 5 if i == 1 else 50
                slug, category, versions = WRITE_PATH_SLUGS[count], "published", count
            plan = Plan(
                index=i,
                pk=start + i,
                slug=slug,
                condition=condition,
                versions=versions,
                category=category,
                high_risk=i > 2 and rng.random() < 0.1,
            )
            if category in ("published", "published_new_draft", "pending"):
                last = (
                    versions if category != "published_new_draft" or versions == 1 else versions - 1
                )
                if category == "published_new_draft" and versions == 1:
                    plan.versions = versions = 2
                    last = 1
                if category == "pending":
                    plan.published_versions = [last]
                else:
                    earlier = [v for v in range(1, last) if rng.random() < 0.35]
                    plan.published_versions = [*earlier, last]
            plans.append(plan)
        self.published_pks = [p.pk for p in plans if p.published_versions]
        self.plans_list = plans
        return plans

    def run(self) -> dict[str, Any]:
        from django.db import connections, transaction

        started = time.perf_counter()
        with transaction.atomic():
            self.accounts()
            self.library()
            self.site_content()
        plans = self.plans()
        self.bank = TextBank(random.Random(7))
        self.template = self.render_template()
        self.bases = self.id_bases()
        search_indexes = self.drop_search_indexes()
        chunks = [
            (k, plans[start : start + self.batch])
            for k, start in enumerate(range(0, len(plans), self.batch))
        ]
        bar = self.bar(len(plans), f"articles ({self.n:,})")
        articles_started = time.perf_counter()
        counts: dict[str, int] = {}
        jobs = self.jobs if self.connection.vendor == "postgresql" else 1
        if jobs > 1 and len(chunks) > 1:
            import multiprocessing

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
        self.reset_sequences()
        self.maintenance(search_indexes, versions=counts.get("versions", 0))
        self.stats.update(counts)
        self.stats["articles"] = self.n
        self.stats["seconds"] = round(time.perf_counter() - started, 1)
        return self.stats

    def id_bases(self) -> dict[str, int]:
        """Primary keys are explicit (rows refer to each other before they are written) and laid
        out per chunk of articles, so chunks can be written by several processes at once."""
        from django.db.models import Max

        from articles.models import HistoricalArticle
        from reviews.models import AuditEvent, ReviewComment, SignOff

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
        from django.db import transaction

        self.rng = random.Random(self.seed * 1_000_003 + k)
        counters = {
            name: iter(range(base + k * self.stride, base + (k + 1) * self.stride))
            for name, base in self.bases.items()
        }
        with transaction.atomic():
            return self.write_batch(plans, counters)

    def write_batch(self, plans: list[Plan], counters: dict[str, Any]) -> dict[str, int]:
        from articles import content
        from articles.content import collect_citation_keys
        from articles.models import Article, CitationLink, HistoricalArticle, Rendition
        from reviews.models import (
            ArticleWorkflow,
            Assignment,
            AuditEvent,
            CommentResolution,
            Meaning,
            ReviewComment,
            SignOff,
            State,
        )

        rng = self.rng
        rows: dict[str, list[Any]] = {
            k: []
            for k in (
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
        }
        history_pk, audit_pk = counters["history"], counters["audit"]
        signoff_pk, comment_pk = counters["signoff"], counters["comment"]
        for plan in plans:
            refs = rng.sample(self.reference_ids, CITATIONS_PER_ARTICLE)
            markers = [
                f"pmid:{self.reference_pmids[r]}" if k % 2 else f"bench-{r}"
                for k, r in enumerate(refs)
            ]
            blocks = article_texts(self.bank, rng, condition=plan.condition, markers=markers)
            related = sorted(
                rng.sample(
                    [pk for pk in self.published_pks if pk != plan.pk],
                    min(
                        RELATED_PER_ARTICLE,
                        len(self.published_pks) - (plan.pk in self.published_pks),
                    ),
                )
            )
            title = f"What should I know about {plan.condition}? ({plan.index + 1})"
            summary = (
                f"A plain guide to {plan.condition}: what it is, how it is found, how it is treated "
                f"and when to get help."
            )
            author = self.authors[plan.index % len(self.authors)]
            editor = self.editors[plan.index % len(self.editors)]
            n_reviewers = 2 if plan.high_risk else 1
            reviewers = self._reviewers(plan, n_reviewers)
            age = timedelta(days=30 + rng.randrange(1000), seconds=rng.randrange(86400))
            created = _ts(self.now - age)
            # Versions spread over the article's life; workflow events a few hours after them.
            step = (age - timedelta(days=2)) / (plan.versions + 1)
            when = created
            citation_keys: list[str] | None = None
            version_rows = []
            for v in range(1, plan.versions + 1):
                if v > 1:
                    audience = AUDIENCES[rng.randrange(len(AUDIENCES))]
                    s = rng.randrange(SECTIONS)
                    # Same heading and markers, the section's last paragraph reworded: one edit.
                    parts = blocks[audience][s].split("\n\n")
                    parts[-1] = _fill(
                        rng.choice(self.bank.pool(audience)),
                        cond=plan.condition,
                        thing=rng.choice(THINGS),
                    )
                    blocks[audience][s] = "\n\n".join(parts)
                    when = _ts(when + step * (0.5 + rng.random()))
                texts = content.normalise_texts(join_texts(blocks))
                if citation_keys is None:
                    citation_keys = collect_citation_keys(texts)
                hsh = content.content_hash(
                    title=title,
                    summary=summary,
                    texts=texts,
                    citation_keys=citation_keys,
                    related_ids=related,
                )
                weight = "minor" if v > 1 and rng.random() < 0.4 else "substantive"
                version_rows.append(
                    HistoricalArticle(
                        history_id=next(history_pk),
                        id=plan.pk,
                        slug=plan.slug,
                        title=title,
                        summary=summary,
                        texts=texts,
                        related_ids=related,
                        citation_keys=citation_keys,
                        version=v,
                        content_hash=hsh,
                        change_weight=weight,
                        created_at=created,
                        updated_at=when,
                        history_change_reason="First version."
                        if v == 1
                        else f"Revised the section on {HEADINGS[rng.randrange(SECTIONS)].lower()}.",
                        history_date=when,
                        history_type="+" if v == 1 else "~",
                        history_user_id=(author if v == 1 or rng.random() < 0.7 else editor).pk,
                    )
                )
            rows["history"].extend(version_rows)
            current = version_rows[-1]
            live = (
                version_rows[plan.published_versions[-1] - 1] if plan.published_versions else None
            )

            # The editorial history, in order, as the services would have written it.
            events: list[tuple[str, str, str, Any, Any, datetime, str]] = []
            signoffs: list[tuple[Any, Any, str, datetime, str]] = []

            def event(
                action: str,
                frm: str,
                to: str,
                version: Any,
                actor: Any,
                at: datetime,
                note: str = "",
            ) -> None:
                events.append((action, frm, to, version, actor, at, note))

            def after(row: Any, at: datetime, hours: float) -> datetime:
                return _ts(max(at, row.history_date) + timedelta(hours=hours))

            event(
                "create",
                State.DRAFT,
                State.DRAFT,
                version_rows[0],
                author,
                version_rows[0].history_date,
                "First version.",
            )
            state, cycle, last_reviewed, published_at, submit_at = State.DRAFT, 0, None, None, None
            at = created
            if plan.category != "draft":
                first = (
                    plan.published_versions[0]
                    if plan.published_versions
                    else max(1, plan.versions - rng.randrange(2))
                )
                target = version_rows[first - 1]
                at = submit_at = after(target, at, 1)
                cycle = 1
                event("submit", State.DRAFT, State.SUBMITTED, target, author, at)
                state = State.SUBMITTED
                if plan.category != "submitted":
                    at = after(target, at, 2)
                    event("start_review", State.SUBMITTED, State.UNDER_REVIEW, target, editor, at)
                    state = State.UNDER_REVIEW
                if plan.category == "pending":
                    at = after(target, at, 1)
                    event(
                        "publish_pending_review",
                        state,
                        state,
                        target,
                        editor,
                        at,
                        "Published early while the board completes its review.",
                    )
                    published_at = at
                elif plan.category == "changes_requested":
                    at = after(target, at, 3)
                    note = "Please give the adult doses and cite the current guideline."
                    signoffs.append((target, reviewers[0], Meaning.CHANGES_REQUESTED, at, note))
                    event(
                        "request_changes",
                        state,
                        State.CHANGES_REQUESTED,
                        target,
                        reviewers[0],
                        at,
                        note,
                    )
                    state = State.CHANGES_REQUESTED
                elif plan.category in ("published", "published_new_draft"):
                    for k, p in enumerate(plan.published_versions):
                        target = version_rows[p - 1]
                        if k > 0:
                            edited = version_rows[plan.published_versions[k - 1]]
                            at = after(edited, at, 0.1)
                            event(
                                "void_approvals",
                                State.APPROVED,
                                State.UNDER_REVIEW,
                                edited,
                                author,
                                at,
                                f"Approval voided by change in version {edited.version} (substantive): "
                                f"{edited.history_change_reason}",
                            )
                            state = State.UNDER_REVIEW
                        for r in reviewers:
                            at = after(target, at, 1 + rng.randrange(5))
                            signoffs.append(
                                (
                                    target,
                                    r,
                                    Meaning.APPROVED,
                                    at,
                                    "Checked against the cited sources.",
                                )
                            )
                        event(
                            "approve", State.UNDER_REVIEW, State.APPROVED, target, reviewers[-1], at
                        )
                        state, last_reviewed = State.APPROVED, at.date()
                        at = after(target, at, 1)
                        event("publish", state, state, target, editor, at)
                        published_at = at
                    if plan.category == "published_new_draft":
                        edited = version_rows[plan.published_versions[-1]]
                        at = after(edited, at, 0.1)
                        event(
                            "void_approvals",
                            State.APPROVED,
                            State.UNDER_REVIEW,
                            edited,
                            author,
                            at,
                            f"Approval voided by change in version {edited.version} (substantive): "
                            f"{edited.history_change_reason}",
                        )
                        state = State.UNDER_REVIEW
            workflow_changed = events[-1][5]

            article = Article(
                pk=plan.pk,
                slug=plan.slug,
                title=title,
                summary=summary,
                texts=current.texts,
                related_ids=related,
                citation_keys=citation_keys,
                version=current.version,
                content_hash=current.content_hash,
                change_weight=current.change_weight,
                created_at=created,
                updated_at=current.updated_at,
                live_version_id=live.history_id if live is not None else None,
                live_pending_review=plan.category == "pending",
                published_at=published_at,
            )
            rows["article"].append(article)
            rows["authors"].append(Article.authors.through(article_id=plan.pk, user_id=author.pk))
            topic_ids = {
                self.topics[plan.condition],
                self.extra_topics[(plan.index * 7 + 3) % len(self.extra_topics)],
            }
            rows["topics"].extend(
                Article.topics.through(article_id=plan.pk, topic_id=t) for t in sorted(topic_ids)
            )
            next_due = (last_reviewed + timedelta(days=365)) if last_reviewed else None
            rows["workflow"].append(
                ArticleWorkflow(
                    article_id=plan.pk,
                    state=state,
                    cycle=cycle,
                    cycle_started_at=submit_at or created,
                    required_approvals=2 if plan.high_risk else 1,
                    high_risk=plan.high_risk,
                    last_reviewed_on=last_reviewed,
                    next_review_due=next_due,
                    state_changed_at=workflow_changed,
                )
            )
            if cycle:
                assigned_at = submit_at + timedelta(days=1)
                for r in reviewers if plan.category != "submitted" else []:
                    rows["assignment"].append(
                        Assignment(
                            article_id=plan.pk,
                            reviewer_id=r.pk,
                            cycle=cycle,
                            assigned_by_id=editor.pk,
                            assigned_at=assigned_at,
                            due_on=(assigned_at + timedelta(days=14)).date(),
                        )
                    )
            previous = GENESIS
            for target, r, meaning, at, note in signoffs:
                profile = self.profiles[r.pk]
                statement = (
                    f"I have reviewed the whole of “{title}”, version {target.version} "
                    f"(SHA-256 {target.content_hash}), in every audience's text, and sign it as: "
                    f"{Meaning(meaning).label}."
                )
                so = SignOff(
                    pk=next(signoff_pk),
                    article_id=plan.pk,
                    version=target.version,
                    content_hash=target.content_hash,
                    cycle=1,
                    reviewer_id=r.pk,
                    printed_name=profile.display_name,
                    credentials=profile.credentials,
                    meaning=meaning,
                    statement=statement,
                    note=note,
                    signed_at=at,
                )
                previous = _chain(so, previous)
                rows["signoff"].append(so)
            previous = GENESIS
            for action, frm, to, version, actor, at, note in events:
                ev = AuditEvent(
                    pk=next(audit_pk),
                    article_id=plan.pk,
                    actor_id=actor.pk,
                    action=action,
                    from_state=frm,
                    to_state=to,
                    version=version.version,
                    content_hash=version.content_hash,
                    note=note,
                    created_at=at,
                )
                previous = _chain(ev, previous)
                rows["audit"].append(ev)
            # Review comments: two open threads on articles in review, one resolved on a third of the rest.
            open_threads = state in (State.UNDER_REVIEW, State.CHANGES_REQUESTED)
            if open_threads or (cycle and rng.random() < 0.33):
                quote = current.texts["patient"].split("\n\n")[1][:60].rsplit(" ", 1)[0]
                for t in range(2 if open_threads else 1):
                    root = ReviewComment(
                        pk=next(comment_pk),
                        article_id=plan.pk,
                        cycle=max(cycle, 1),
                        version=current.version,
                        audience="patient",
                        quote=quote,
                        body="Please check this sentence against the guideline.",
                        author_id=reviewers[0].pk,
                        created_at=_ts(workflow_changed + timedelta(minutes=t + 1)),
                    )
                    reply = ReviewComment(
                        pk=next(comment_pk),
                        article_id=plan.pk,
                        cycle=max(cycle, 1),
                        version=current.version,
                        audience="patient",
                        body="Reworded; see the new version.",
                        author_id=author.pk,
                        parent_id=root.pk,
                        created_at=_ts(workflow_changed + timedelta(minutes=t + 30)),
                    )
                    rows["comment"].extend([root, reply])
                    if not open_threads:
                        rows["resolution"].append(
                            CommentResolution(
                                comment_id=root.pk,
                                resolved_by_id=reviewers[0].pk,
                                note="Fixed.",
                                resolved_at=_ts(workflow_changed + timedelta(hours=2)),
                            )
                        )
            if live is not None:
                for audience in AUDIENCES:
                    body, citations, source, pipeline = self.template[audience]
                    rows["rendition"].append(
                        Rendition(
                            content_hash=live.content_hash,
                            audience=audience,
                            pipeline=pipeline,
                            source_audience=source,
                            body_html=body,
                            citations=citations,
                            created_at=self.now,
                        )
                    )
                rows["link"].extend(
                    CitationLink(article_id=plan.pk, reference_id=r) for r in sorted(set(refs))
                )

        # Foreign keys are deferred until commit on PostgreSQL; on SQLite the order matters.
        HistoricalArticle.objects.bulk_create(rows["history"], batch_size=100)
        Article.objects.bulk_create(rows["article"], batch_size=100)
        Article.authors.through.objects.bulk_create(rows["authors"], batch_size=2000)
        Article.topics.through.objects.bulk_create(rows["topics"], batch_size=2000)
        ArticleWorkflow.objects.bulk_create(rows["workflow"], batch_size=2000)
        Assignment.objects.bulk_create(rows["assignment"], batch_size=2000)
        SignOff.objects.bulk_create(rows["signoff"], batch_size=2000)
        AuditEvent.objects.bulk_create(rows["audit"], batch_size=2000)
        ReviewComment.objects.bulk_create(rows["comment"], batch_size=2000)
        CommentResolution.objects.bulk_create(rows["resolution"], batch_size=2000)
        Rendition.objects.bulk_create(rows["rendition"], batch_size=200)
        CitationLink.objects.bulk_create(rows["link"], batch_size=5000)
        return {
            "versions": len(rows["history"]),
            "audit_events": len(rows["audit"]),
            "signoffs": len(rows["signoff"]),
            "assignments": len(rows["assignment"]),
            "comments": len(rows["comment"]),
            "renditions": len(rows["rendition"]),
            "citation_links": len(rows["link"]),
        }

    def _reviewers(self, plan: Plan, count: int) -> list[Any]:
        """`reviewer` reviews a third of the articles (their dashboard has real lists)."""
        pool = self.reviewers
        first = (
            pool[0]
            if plan.index % 3 == 0
            else pool[2 + plan.index % max(1, len(pool) - 2)]
            if len(pool) > 2
            else pool[0]
        )
        if plan.slug in WRITE_PATH_SLUGS.values() or plan.slug == FEATURED_SLUG:
            first = pool[0]
        if count == 1:
            return [first]
        second = pool[1] if first is not pool[1] else pool[0]
        return [first, second]

    def render_template(self) -> dict[str, Any]:
        """One seed-sized article rendered through the real pipeline, once; every live version's
        renditions reuse its HTML (seed data: rendering 4 x N texts would dominate the time)."""
        from types import SimpleNamespace

        from django.db import transaction

        from articles import content
        from articles.content import collect_citation_keys
        from articles.services import _render, rendition_pipeline

        rng = random.Random(self.seed)
        markers = [
            f"pmid:{self.reference_pmids[r]}" if k % 2 else f"bench-{r}"
            for k, r in enumerate(self.reference_ids[:CITATIONS_PER_ARTICLE])
        ]
        texts = content.normalise_texts(
            join_texts(article_texts(self.bank, rng, condition=CONDITIONS[0], markers=markers))
        )
        version = SimpleNamespace(
            texts=texts, citation_keys=collect_citation_keys(texts), content_hash="0" * 64
        )
        template: dict[str, Any] = {}
        with transaction.atomic():
            renditions = _render(
                version=version, pipelines={a: rendition_pipeline(a) for a in AUDIENCES}
            )
            for audience, rendition in renditions.items():
                template[audience] = (
                    rendition.body_html,
                    rendition.citations,
                    rendition.source_audience,
                    rendition.pipeline,
                )
            transaction.set_rollback(True)  # keep the HTML, not the row
        return template

    # -- PostgreSQL only: the search indexes are built once at the end, in parallel ---------------

    def in_outer_transaction(self) -> bool:
        """Inside a caller's transaction (a test): leave indexes and maintenance alone, since
        other connections would wait on its locks."""
        return self.connection.in_atomic_block

    def drop_search_indexes(self) -> list[tuple[str, str]]:
        if self.connection.vendor != "postgresql" or self.in_outer_transaction():
            return []
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef ILIKE %s",
                ["articles_historicalarticle", "%USING gin%"],
            )
            found = cursor.fetchall()
            for name, _ in found:
                cursor.execute(f'DROP INDEX "{name}"')
        return found

    def maintenance(self, indexes: list[tuple[str, str]], *, versions: int) -> None:
        """ANALYZE, then the search indexes (two at a time: two cores), then VACUUM.

        ANALYZE runs before the GIN expression indexes exist: with them, ANALYZE evaluates the
        four to_tsvector expressions for every sampled version (about 8 ms a row here), which
        would cost more than building the indexes. The planner then lacks statistics on those
        expressions only (it uses the default selectivity for @@) until autovacuum's next analyze.
        VACUUM afterwards sets the visibility map, so autovacuum does not start during a run.
        """
        if self.connection.vendor != "postgresql" or self.in_outer_transaction():
            return
        import psycopg

        settings = self.connection.settings_dict
        dsn = psycopg.conninfo.make_conninfo(
            dbname=settings["NAME"],
            user=settings.get("USER") or None,
            host=settings.get("HOST") or None,
            port=str(settings.get("PORT") or "") or None,
            password=settings.get("PASSWORD") or None,
        )
        started = time.perf_counter()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")
        self.stats["analyze_seconds"] = round(time.perf_counter() - started, 1)
        if indexes:
            self.say(f"building {len(indexes)} search indexes over {versions:,} versions ...")
            errors: list[BaseException] = []

            def work(defs: list[str]) -> None:
                try:
                    with psycopg.connect(dsn, autocommit=True) as conn:
                        conn.execute("SET maintenance_work_mem = '512MB'")
                        for definition in defs:
                            conn.execute(definition)
                except BaseException as error:  # noqa: BLE001 - re-raised below
                    errors.append(error)

            jobs = max(1, min(len(indexes), os.cpu_count() or 2))
            threads = [
                threading.Thread(
                    target=work, args=([d for k, (_, d) in enumerate(indexes) if k % jobs == j],)
                )
                for j in range(jobs)
            ]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                raise errors[0]
            self.stats["search_index_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM")
        self.stats["vacuum_seconds"] = round(time.perf_counter() - started, 1)

    def reset_sequences(self) -> None:
        from django.apps import apps
        from django.core.management.color import no_style

        sql = self.connection.ops.sequence_reset_sql(
            no_style(), list(apps.get_models(include_auto_created=True))
        )
        with self.connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)


_WORKER: Generator | None = None


def _write_chunk(k: int) -> tuple[int, dict[str, int]]:
    """In a worker process (forked after the plans were drawn): write chunk k."""
    gen = _WORKER
    assert gen is not None
    part = gen.plans_list[k * gen.batch : (k + 1) * gen.batch]
    return len(part), gen.write_chunk(k, part)


def _chain(row: Any, previous: str) -> str:
    """Link a bulk-created row into its article's hash chain, as ChainedRecord.save does."""
    if hasattr(row, "compute_chain_hash"):
        row.chain_previous = previous
        row.chain_hash = row.compute_chain_hash()
        return row.chain_hash
    return previous


# The first "previous hash" of an article's chain; reviews.models.GENESIS when it defines one.
GENESIS = "0" * 64


def generate(
    *,
    articles: int,
    versions: float = 5.0,
    seed: int = 2026,
    progress: bool = True,
    out: Any = sys.stdout,
    batch: int = 250,
    jobs: int = 0,
) -> dict[str, Any]:
    """Write one scale of benchmark data into the default database (which should be empty)."""
    global GENESIS
    from reviews import models as review_models

    GENESIS = getattr(review_models, "GENESIS", GENESIS)
    return Generator(
        articles=articles,
        versions=versions,
        seed=seed,
        progress=progress,
        out=out,
        batch=batch,
        jobs=jobs,
    ).run()


def recreate_database(url: str) -> None:
    """DROP and CREATE the database named in `url` (PostgreSQL), through the maintenance db."""
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith("editorial_bench"):
        raise SystemExit(
            f"refusing to drop {name!r}: the generator only recreates editorial_bench* databases"
        )
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing a non-loopback database host: {parsed.hostname}")
    admin = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument(
        "--versions", type=float, default=5.0, help="mean versions per article (default 5)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop and re-create the database"
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--jobs", type=int, default=0, help="writer processes (default: one per core)"
    )
    parser.add_argument("--batch", type=int, default=250, help="articles per transaction")
    parser.add_argument("--stats-json", help="write the row counts and timings here")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault(
        "DJANGO_SECRET_KEY", "bench-generator-" + hashlib.sha256(os.urandom(16)).hexdigest()
    )
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault(
        "DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/editorial_bench_{args.articles}"
    )
    url = os.environ["DATABASE_URL"]
    started = time.perf_counter()
    if not args.keep_db and url.startswith(("postgres://", "postgresql://")):
        recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter() - started
    print(
        f"database {connection.settings_dict['NAME']} ready in {migrated:.1f} s; generating {args.articles:,} articles",
        flush=True,
    )
    stats = generate(
        articles=args.articles,
        versions=args.versions,
        seed=args.seed,
        progress=not args.no_progress,
        jobs=args.jobs,
        batch=args.batch,
    )
    stats["total_seconds"] = round(time.perf_counter() - started, 1)
    stats["database"] = connection.settings_dict["NAME"]
    print(json.dumps(stats, indent=1), flush=True)
    if args.stats_json:
        Path(args.stats_json).write_text(json.dumps(stats, indent=1))


if __name__ == "__main__":
    main()
