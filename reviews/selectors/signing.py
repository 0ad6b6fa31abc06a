"""What a signature rests on: the signing facts, the sign-offs on the current hash, the approvals
that count, and the statement a reviewer signs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from articles.models import Article, ChangeWeight
from reviews.models import (
    ArticleWorkflow,
    Assignment,
    AuditEvent,
    Meaning,
    ReviewComment,
    ReviewerProfile,
    SignOff,
    State,
)
from reviews.records import GENESIS

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True)
class SigningFacts:
    """What the signing guards and the sign-off itself need to know, read in two queries under the
    article's row lock: authorship (from the version history, see `writers_of`), who assigned the
    round, conflicts, open comments, the last approval, the chain heads."""

    wrote_or_edited: bool
    assigned_this_round: bool
    conflicted: bool
    open_comments: int
    last_approved_version: int | None
    changed_since_approval: bool
    substantive_since_approval: bool
    signoff_head: str
    audit_head: str

    @property
    def only_minor_changes_since_approval(self) -> bool:
        """An earlier version was approved and every change since is marked minor."""
        return (
            self.last_approved_version is not None
            and self.changed_since_approval
            and not self.substantive_since_approval
        )


def signing_facts(
    *, article: Article, workflow: ArticleWorkflow, user: AbstractBaseUser
) -> SigningFacts:
    """Two queries: see SigningFacts. Call it while holding the article's row lock, so the chain
    heads are still the heads when the rows are appended."""
    history = Article.history.model.objects.filter(id=OuterRef("pk"))
    since_approval = history.filter(version__gt=OuterRef("last_approved"))
    comments = (
        ReviewComment.objects.filter(
            article_id=OuterRef("pk"), parent__isnull=True, resolution__isnull=True
        )
        .order_by()
        .values("article_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    row = (
        Article.objects.filter(pk=article.pk)
        .annotate(
            last_approved=Subquery(
                AuditEvent.objects.filter(
                    article_id=OuterRef("pk"), action="approve", to_state=State.APPROVED
                )
                .order_by("-version")
                .values("version")[:1]
            )
        )
        .values(
            "last_approved",
            author=Exists(
                Article.authors.through.objects.filter(article_id=OuterRef("pk"), user_id=user.pk)
            ),
            assigned=Exists(
                Assignment.objects.filter(
                    article_id=OuterRef("pk"), cycle=workflow.cycle, assigned_by_id=user.pk
                )
            ),
            conflicted=Exists(
                ReviewerProfile.conflicted_articles.through.objects.filter(
                    article_id=OuterRef("pk"), reviewerprofile__user_id=user.pk
                )
            ),
            open_comments=Coalesce(Subquery(comments), 0),
            changed=Exists(since_approval),
            substantive=Exists(since_approval.exclude(change_weight=ChangeWeight.MINOR)),
            signoff_head=Subquery(
                SignOff.objects.filter(article_id=OuterRef("pk"))
                .order_by("-pk")
                .values("chain_hash")[:1]
            ),
            audit_head=Subquery(
                AuditEvent.objects.filter(article_id=OuterRef("pk"))
                .order_by("-pk")
                .values("chain_hash")[:1]
            ),
        )
        .get()
    )
    return SigningFacts(
        wrote_or_edited=row["author"]
        or user.pk in writers_of(article=article, version=article.version),
        assigned_this_round=row["assigned"],
        conflicted=row["conflicted"],
        open_comments=row["open_comments"],
        last_approved_version=row["last_approved"],
        changed_since_approval=row["changed"],
        substantive_since_approval=row["substantive"],
        signoff_head=row["signoff_head"] or GENESIS,
        audit_head=row["audit_head"] or GENESIS,
    )


def writers_of(*, article: Article, version: int) -> frozenset[int]:
    """The ids of the people who wrote or edited text that `version` contains; one query.

    Read from the history, version by version: a version's writers are those of the text it
    started from plus whoever saved it. It starts from the previous version, or, when its content
    is that of an earlier version (a revert), from that one: restoring text restores who wrote
    it. A version that reached approval is where the count starts again: other people vouched for
    it, so what it contains is no longer anyone's own unchecked text.
    """
    rows = (
        Article.history.filter(id=article.pk, version__lte=version)
        .annotate(
            approved=Exists(
                AuditEvent.objects.filter(
                    article_id=article.pk,
                    action="approve",
                    to_state=State.APPROVED,
                    version=OuterRef("version"),
                )
            )
        )
        .order_by("version", "history_id")
        .values_list("version", "content_hash", "history_user_id", "approved")
    )
    return writers_by_version(rows).get(version, frozenset())


def writers_by_version(
    rows: Iterable[tuple[int, str, int | None, bool]],
) -> dict[int, frozenset[int]]:
    """Fold (version, content hash, saved by, reached approval) rows, oldest first, into the
    writers of each version's text (see `writers_of`)."""
    writers: dict[int, frozenset[int]] = {}
    by_hash: dict[str, frozenset[int]] = {}
    previous: frozenset[int] = frozenset()
    for number, content_hash, saved_by, approved in rows:
        # Identical text to an earlier version is that version's text, whoever saved it since.
        base = by_hash.get(content_hash, previous)
        own = base | ({saved_by} if saved_by is not None else set())
        writers[number] = own
        # An approved version's text was vouched for by others: later versions start from none.
        previous = frozenset() if approved else own
        by_hash[content_hash] = previous
    return writers


def signoffs_on_current_hash(*, article: Article, workflow: ArticleWorkflow) -> list[SignOff]:
    """This cycle's sign-offs on the article's current version (its number and hash), in order.

    The version number, not the hash alone: a revert restores old text as a new version, and the
    signatures on the old one must not count for it (nor stop their signers signing it again).
    """
    return list(
        SignOff.objects.filter(
            article=article,
            cycle=workflow.cycle,
            version=article.version,
            content_hash=article.content_hash,
        ).order_by("signed_at", "pk")
    )


def approvals_among(signoffs: Iterable[SignOff]) -> list[SignOff]:
    """The approvals that count among sign-offs on one version (in the order signed), one per reviewer.

    A reviewer's last sign-off on this content is their word: an approval followed by a request
    for changes is no approval.
    """
    first_approval: dict[int, SignOff] = {}
    last_meaning: dict[int, str] = {}
    for signoff in signoffs:
        last_meaning[signoff.reviewer_id] = signoff.meaning
        if signoff.meaning == Meaning.APPROVED:
            first_approval.setdefault(signoff.reviewer_id, signoff)
    return [s for r, s in first_approval.items() if last_meaning[r] == Meaning.APPROVED]


def valid_approvals(*, article: Article, workflow: ArticleWorkflow) -> list[SignOff]:
    """Approvals of this cycle on the article's current version and hash, one per reviewer."""
    return approvals_among(signoffs_on_current_hash(article=article, workflow=workflow))


def signature_statement(*, article: Article, meaning_label: str) -> str:
    """The exact words a reviewer signs, naming the version and its hash."""
    return (
        f"I have reviewed the whole of “{article.title}”, version {article.version} "
        f"(SHA-256 {article.content_hash}), in every audience's text, and sign it as: "
        f"{meaning_label}."
    )


def open_assignments() -> QuerySet[Assignment]:
    """Reviews someone must still give: the current round's assignments of articles under review
    that the reviewer has not signed on the current text.

    One definition for every count and list, so the reviewer's "Assigned to me", the editors'
    overdue reviews, the workload per reviewer and the overdue reminders
    (reviews.services.schedule) cannot disagree.
    """
    signed = SignOff.objects.filter(
        article_id=OuterRef("article_id"),
        reviewer_id=OuterRef("reviewer_id"),
        cycle=OuterRef("cycle"),
        content_hash=OuterRef("article__content_hash"),
    )
    return Assignment.objects.filter(
        article__workflow__state=State.UNDER_REVIEW, cycle=F("article__workflow__cycle")
    ).filter(~Exists(signed))


def version_with_hash(*, article: Article, content_hash: str) -> int | None:
    """The newest version of `article` whose text has this content hash (None: no version had
    it, so the hash did not come from this article's text); one query."""
    return (
        Article.history.filter(id=article.pk, content_hash=content_hash)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
