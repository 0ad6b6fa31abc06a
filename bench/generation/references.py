"""The reference library, the topics, and the site content (disclaimers, glossary, pages).

References get citekeys `bench-<pk>` and PubMed ids, so article texts can cite them either way;
topics are one per condition. Site content is the demo's own files, loaded as load_demo does.
"""

from __future__ import annotations

from dataclasses import dataclass

from articles.models import Topic
from bench.generation.database import next_pk
from bench.generation.shared import CONDITIONS
from references.models import Reference
from reviews.management.commands.load_demo import Command as LoadDemo


@dataclass
class Library:
    """What articles cite and file under: reference keys and PMIDs, topic keys."""

    reference_ids: list[int]
    reference_pmids: dict[int, str]
    topics: dict[str, int]
    extra_topics: list[int]
    size: int

    def markers(self, refs: list[int]) -> list[str]:
        """Citation markers for `refs`: every other one by PMID, the rest by citekey."""
        return [
            f"pmid:{self.reference_pmids[r]}" if k % 2 else f"bench-{r}" for k, r in enumerate(refs)
        ]


def create_library(*, articles: int) -> Library:
    """References (two per article, between 200 and 20,000) and one topic per condition."""
    size = max(200, min(20_000, articles * 2))
    start = next_pk(Reference)
    refs = []
    for i in range(size):
        n = start + i
        refs.append(
            Reference(
                pk=n,
                citekey=f"bench-{n}",
                kind=Reference.Kind.GUIDELINE if i % 10 == 0 else Reference.Kind.JOURNAL_ARTICLE,
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
    topic_start = next_pk(Topic)
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
    return Library(
        reference_ids=[r.pk for r in refs],
        reference_pmids={r.pk: r.pmid for r in refs},
        topics={c: t.pk for c, t in zip(CONDITIONS, topics, strict=False)},
        extra_topics=[t.pk for t in topics],
        size=size,
    )


def load_site_content() -> None:
    """Disclaimers, glossary and pages: the demo's own files, as load_demo reads them."""
    command = LoadDemo()
    command.load_disclaimers()
    command.load_glossary()
    command.load_pages()
