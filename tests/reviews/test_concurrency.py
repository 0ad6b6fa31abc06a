"""Races between real concurrent requests, on PostgreSQL row locks (DESIGN promises 3 and 5).

Each of the four race tests runs its race RACE_RUNS times (default 20), on a fresh article every run, with two
real threads, each on its own database connection, released together by a `threading.Barrier`.
Runs alternate between two modes:

- free: both sides simply start at the same instant; who wins is up to the scheduler.
- gated: the test holds `SELECT ... FOR UPDATE` on the article row while both sides start, and
  only lets go once PostgreSQL reports both of them waiting for a lock. This makes sure every
  gated run really exercises the blocking path of `_locked` (the side that waits must re-read
  what the other committed), and a service that changed state without first waiting for the
  article row lock would be caught here.

After every run the invariants are checked: no approval of a changed version counts, readers
never see an unsigned version, no text is lost or half-applied, and the audit trail is complete
and ordered. Outcome counts (which side won how often) are printed at the end of each test; they
depend on the scheduler and are never asserted, unless RACE_REQUIRE_BOTH=1 asks for both orders.

The last two tests are not loops: they force one interleaving of the scheduler
(scheduled_actions_enqueue) with a user's request: a refused scheduled publish must write its
audit event from the locked, current rows, and a schedule cancelled while the scheduler was
running must not be applied.

SQLite serialises writers and has no row locks, so these tests only run on PostgreSQL:
DATABASE_URL=postgres://... pytest tests/reviews/test_concurrency.py
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from articles import content
from articles.models import Article
from reviews.models import AuditEvent, Meaning, SignOff, State
from reviews.selectors.signing import valid_approvals
from reviews.services.content import draft_update, version_revert
from reviews.services.errors import EditConflict, WorkflowError
from reviews.services.schedule import scheduled_actions_enqueue
from reviews.services.transitions import transition_apply
from tests.factories import (
    PASSWORD,
    approve,
    make_article,
    make_reference,
    role_groups_ensure,
    submit_and_review,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks (SELECT ... FOR UPDATE) need PostgreSQL; SQLite serialises writers",
    ),
    # Real threads need real commits, so no test-wide transaction; see _role_groups below.
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _role_groups(transactional_db: Any) -> Any:
    role_groups_ensure()
    yield
    # The flush after this test removes them again; they are put back after the module.


@pytest.fixture(scope="module", autouse=True)
def _role_groups_after_module(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Leave the groups in place for any transactional test that runs after this module."""
    yield
    with django_db_blocker.unblock():
        role_groups_ensure()


RUNS = int(os.environ.get("RACE_RUNS", "20"))
REQUIRE_BOTH_ORDERS = os.environ.get("RACE_REQUIRE_BOTH", "") == "1"
JOIN_TIMEOUT = 30.0  # seconds; a racer still running after this is a deadlock or a lost wake-up
GATE_TIMEOUT = 10.0

# Outcome counts per race, printed at the end of each test (and read by the report).
OUTCOMES: dict[str, Counter[str]] = defaultdict(Counter)


# --- the race harness -------------------------------------------------------------------------


@dataclass
class Result:
    value: Any = None
    error: BaseException | None = None
    started: float = 0.0
    finished: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.finished > 0


def _racer(
    fn: Callable[[], Any],
    barrier: threading.Barrier,
    result: Result,
    pids: list[int | None],
    index: int,
) -> None:
    """One side of a race: connect, wait for the other side, act, and always close the connection."""
    try:
        with connection.cursor() as cursor:  # connect before the barrier so both start level
            cursor.execute("SELECT pg_backend_pid()")
            pids[index] = cursor.fetchone()[0]
        barrier.wait()
        result.started = time.perf_counter()
        try:
            result.value = fn()
        except Exception as error:  # judged by the test thread
            result.error = error
        result.finished = time.perf_counter()
    except Exception as error:  # the barrier broke or the connection failed
        result.error = error
    finally:
        connection.close()


def _wait_until_blocked(
    threads: Sequence[threading.Thread], pids: list[int | None], count: int
) -> bool:
    """Poll pg_locks until `count` racers wait for a lock (True), or a started racer ended (False)."""
    deadline = time.monotonic() + GATE_TIMEOUT
    while time.monotonic() < deadline:
        known = [pid for pid in pids if pid is not None]
        if len(known) >= count:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid = ANY(%s)",
                    [known],
                )
                if cursor.fetchone()[0] >= count:
                    return True
        if any(not thread.is_alive() for thread in threads):
            return False
        time.sleep(0.001)
    return False


def _wait_until_disconnected(pids: list[int], label: str) -> None:
    """Each racer closed its connection: its server process is gone (no leaked sessions)."""
    deadline = time.monotonic() + GATE_TIMEOUT
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids])
            if cursor.fetchone()[0] == 0:
                return
        assert time.monotonic() < deadline, f"{label}: a racer's database session is still open"
        time.sleep(0.002)


def race(
    article_pk: int,
    left: Callable[[], Any],
    right: Callable[[], Any],
    *,
    gated: bool,
    expected: tuple[type[BaseException], ...],
    label: str,
) -> tuple[Result, Result]:
    """Run `left` and `right` at the same instant in two threads; return both results.

    Errors other than `expected` (domain refusals) fail the test with the racer's traceback.
    """
    barrier = threading.Barrier(2, timeout=GATE_TIMEOUT)
    results = (Result(), Result())
    pids: list[int | None] = [None, None]
    threads = [
        threading.Thread(
            target=_racer, args=(fn, barrier, results[i], pids, i), name=f"{label}-{i}"
        )
        for i, fn in enumerate((left, right))
    ]
    both_blocked = None
    try:
        if gated:
            with transaction.atomic():
                Article.objects.select_for_update().get(pk=article_pk)
                for thread in threads:
                    thread.start()
                both_blocked = _wait_until_blocked(threads, pids, 2)
        else:
            for thread in threads:
                thread.start()
    finally:
        for thread in threads:
            if thread.ident is not None:  # started
                thread.join(JOIN_TIMEOUT)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"{label}: racer(s) {stuck} still running after {JOIN_TIMEOUT}s (deadlock?)"
    _wait_until_disconnected([pid for pid in pids if pid is not None], label)
    for result in results:
        if result.error is not None and not isinstance(result.error, expected):
            raise AssertionError(
                f"{label}: unexpected {type(result.error).__name__}: {result.error}"
            ) from result.error
        assert result.error is not None or result.finished > 0, f"{label}: a racer never ran"
    if gated:
        assert both_blocked, (
            f"{label}: with the article row locked, both sides should have waited for the lock; "
            f"results: {results}"
        )
        OUTCOMES[label]["gated runs (both sides blocked on the row lock)"] += 1
    else:
        overlapped = max(r.started for r in results) < min(r.finished for r in results)
        OUTCOMES[label][
            "free runs, calls overlapped in time"
            if overlapped
            else "free runs, calls did not overlap"
        ] += 1
    return results


def is_gated(run: int) -> bool:
    return run % 2 == 1


def report(label: str, capsys: Any, *orders: str) -> None:
    """Print the counts; with RACE_REQUIRE_BOTH=1 also require an outcome starting with each of `orders`."""
    counts = OUTCOMES[label]
    with capsys.disabled():
        print(f"\n[{label}] {RUNS} runs:")
        for outcome, n in sorted(counts.items()):
            print(f"    {n:4d}  {outcome}")
    if REQUIRE_BOTH_ORDERS:
        missing = [order for order in orders if not any(key.startswith(order) for key in counts)]
        assert not missing, f"{label}: these orders never happened in {RUNS} runs: {missing}"


# --- setup and invariants ---------------------------------------------------------------------


def fresh(pk: int) -> Article:
    return Article.objects.select_related("workflow", "live_version").get(pk=pk)


def texts_by(who: str, tag: str) -> dict[str, str]:
    """Distinctive texts, so a partial or lost write of either side is visible."""
    return {
        "patient": f"## About\n\n{who} rewrote this ({tag}) for patients.",
        "clinician": f"## About\n\n{who} rewrote this ({tag}) for clinicians.",
    }


def under_review(
    *, author: Any, editor: Any, reviewers: list[Any], high_risk: bool = False
) -> Article:
    article = make_article(author=author, citations=[make_reference()], high_risk=high_risk)
    return submit_and_review(article, author=author, editor=editor, reviewers=reviewers)


def approved(*, author: Any, editor: Any, reviewers: list[Any]) -> Article:
    article = under_review(author=author, editor=editor, reviewers=reviewers)
    for reviewer in reviewers:
        approve(fresh(article.pk), reviewer)
    article = fresh(article.pk)
    assert article.workflow.state == State.APPROVED
    return article


def approvers_of(signoffs: list[SignOff], content_hash: str) -> set[int]:
    """Reviewers whose last word on this exact content is an approval."""
    last: dict[int, str] = {}
    for signoff in signoffs:
        if signoff.content_hash == content_hash:
            last[signoff.reviewer_id] = signoff.meaning
    return {reviewer for reviewer, meaning in last.items() if meaning == Meaning.APPROVED}


def check_invariants(pk: int) -> tuple[Article, list[AuditEvent], list[SignOff]]:
    """What must hold after any race; returns the article, its audit events and sign-offs."""
    article = fresh(pk)
    workflow = article.workflow

    # Versions: one frozen snapshot per version, 1..N, each hashing to its own content, the
    # last one equal to the working draft (no lost or half-applied text).
    history = list(article.history.order_by("history_id"))
    assert [h.version for h in history] == list(range(1, article.version + 1)), (
        "version gap or duplicate"
    )
    for h in history:
        assert h.content_hash == content.content_hash(
            title=h.title,
            summary=h.summary,
            texts=h.texts,
            citation_keys=h.citation_keys,
            related_ids=h.related_ids,
        ), f"snapshot v{h.version} does not hash to its own content"
    assert history[-1].content_hash == article.content_hash
    assert history[-1].texts == article.texts and history[-1].title == article.title
    dates = [h.history_date for h in history]
    assert dates == sorted(dates), "history rows out of order"
    known = {(h.version, h.content_hash) for h in history}

    # Sign-offs bind real versions; only approvals of the current hash count; an approved state
    # always has its quorum on the current hash.
    signoffs = list(SignOff.objects.filter(article=article).order_by("pk"))
    for s in signoffs:
        assert (s.version, s.content_hash) in known, (
            f"sign-off on a version that never existed: {s}"
        )
    signed_at = [s.signed_at for s in signoffs]
    assert signed_at == sorted(signed_at), "sign-offs out of order"
    valid = valid_approvals(article=article, workflow=workflow)
    for s in valid:
        assert s.content_hash == article.content_hash and s.version == article.version, (
            f"an approval of another version counts as valid: {s}"
        )
    if workflow.state == State.APPROVED:
        assert len(valid) >= workflow.approvals_needed, (
            "approved without a quorum on the current hash"
        )
        assert len(approvers_of(signoffs, article.content_hash)) >= workflow.approvals_needed

    # Readers never see an unsigned version (unless explicitly published pending review).
    if article.live_version_id is not None and not article.live_pending_review:
        live = article.live_version
        assert live.id == article.pk, "live version belongs to another article"
        assert (live.version, live.content_hash) in known
        assert len(approvers_of(signoffs, live.content_hash)) >= workflow.approvals_needed, (
            f"live version {live.version} has no quorum of approvals on its hash"
        )

    # Audit trail: one consistent order, every event on a real version, a state chain with no
    # gaps, ending in the current state; every signature has its event.
    events = list(AuditEvent.objects.filter(article=article).order_by("pk"))
    assert events == sorted(events, key=lambda e: (e.created_at, e.pk)), (
        "audit events ordered differently by (created_at, pk) than by insertion"
    )
    assert events[0].action == "create"
    for previous, event in zip(events, events[1:], strict=False):
        assert event.from_state == previous.to_state, (
            f"audit chain broken: {previous.action} ->{previous.to_state}, then {event.action} "
            f"from {event.from_state}"
        )
        assert event.version >= previous.version, "audit events go back in versions"
    for event in events:
        assert (event.version, event.content_hash) in known, (
            f"audit event on an unknown version: {event}"
        )
    assert events[-1].to_state == workflow.state, "the workflow state has no audit event"
    signed = [
        (e.actor_id, e.action, e.version, e.content_hash)
        for e in events
        if e.action in ("approve", "request_changes")
    ]
    assert signed == [
        (
            s.reviewer_id,
            "approve" if s.meaning == Meaning.APPROVED else "request_changes",
            s.version,
            s.content_hash,
        )
        for s in signoffs
    ], "sign-offs and their audit events differ"
    return article, events, signoffs


# --- 1. racing edits ---------------------------------------------------------------------------


def test_racing_edits_exactly_one_wins_and_nothing_is_half_applied(
    author: Any, editor: Any, reviewer: Any, capsys: Any
) -> None:
    """Two saves from the same base version: one new version, the other a conflict.

    Modes by run: a draft; an approved article (the winner voids the approval, once); and an
    editor's restore of version 1 racing the author's edit (version_revert takes the same lock).
    """
    label = "1 racing edits"
    for run in range(RUNS):
        mode = ("draft", "approved", "revert vs edit")[run % 3]
        if mode == "approved":
            article = approved(author=author, editor=editor, reviewers=[reviewer])
        else:
            article = make_article(author=author, citations=[make_reference()])
        if mode == "revert vs edit":
            draft_update(
                article=article,
                user=author,
                base_version=1,
                fields={"texts": texts_by("Setup", "v2")},
                change_reason="Second version.",
            )
        before, events_before, _ = check_invariants(article.pk)
        base = before.version
        v1_texts = article.history.get(version=1).texts
        author_texts = texts_by("Author", f"run {run}")
        editor_texts = texts_by("Editor", f"run {run}")

        def by_author(article: Article = before) -> Article:
            return draft_update(
                article=article,
                user=author,
                base_version=base,
                fields={"texts": author_texts},
                change_reason="Author's rewrite.",
            )

        def by_editor(article: Article = before) -> Article:
            if mode == "revert vs edit":
                return version_revert(article=article, user=editor, to_version=1, base_version=base)
            return draft_update(
                article=article,
                user=editor,
                base_version=base,
                fields={"texts": editor_texts},
                change_reason="Editor's rewrite.",
            )

        a, e = race(
            article.pk,
            by_author,
            by_editor,
            gated=is_gated(run),
            expected=(EditConflict,),
            label=label,
        )
        assert a.ok != e.ok, f"run {run} ({mode}): exactly one save must win: {a}, {e}"
        winner = author if a.ok else editor
        loser_result = e if a.ok else a
        assert isinstance(loser_result.error, EditConflict)
        assert loser_result.error.base_version == base
        assert loser_result.error.article.version == base + 1, (
            "the conflict must name the new version"
        )

        article, events, _ = check_invariants(article.pk)
        expected_texts = (
            author_texts if a.ok else (v1_texts if mode == "revert vs edit" else editor_texts)
        )
        assert article.texts == content.normalise_texts(expected_texts), (
            "final text is not the winner's"
        )
        assert article.version == base + 1
        new_rows = list(article.history.filter(version__gt=base))
        assert len(new_rows) == 1 and new_rows[0].history_user_id == winner.pk
        assert new_rows[0].history_change_reason == (
            "Author's rewrite."
            if a.ok
            else "Restored version 1."
            if mode == "revert vs edit"
            else "Editor's rewrite."
        )
        # The loser's text is nowhere: not in the draft, not in any snapshot.
        loser_marker = "Editor rewrote" if a.ok else "Author rewrote"
        for row in article.history.all():
            assert all(loser_marker not in text for text in row.texts.values()), (
                "loser's text was applied"
            )
        new_events = events[len(events_before) :]
        if mode == "approved":
            assert [(ev.action, ev.from_state, ev.to_state, ev.actor_id) for ev in new_events] == [
                ("void_approvals", State.APPROVED, State.UNDER_REVIEW, winner.pk)
            ]
            assert article.workflow.state == State.UNDER_REVIEW
            assert valid_approvals(article=article, workflow=article.workflow) == []
        else:
            assert new_events == [], "an unconflicted draft edit writes no workflow event"
            assert article.workflow.state == State.DRAFT
        OUTCOMES[label][f"{'author' if a.ok else 'editor'} won ({mode})"] += 1
    report(label, capsys, "author won", "editor won")


# --- 2. edit vs sign-off -----------------------------------------------------------------------


def test_edit_racing_a_sign_off_never_leaves_an_approval_of_changed_text(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any, capsys: Any
) -> None:
    """The reviewer signs the hash they read while the author saves a new version.

    Either the signature came first and the edit voided it, or the edit came first and the
    signature was refused; never an approval counted for text the reviewer did not read.
    Even runs: quorum 1. Odd runs: high-risk (quorum 2) with one approval already given, so the
    racing signature would complete the quorum.
    """
    label = "2 edit vs sign-off"
    for run in range(RUNS):
        quorum_two = run % 2 == 1
        if quorum_two:
            article = under_review(
                author=author, editor=editor, reviewers=[reviewer, reviewer2], high_risk=True
            )
            approve(fresh(article.pk), reviewer2)
        else:
            article = under_review(author=author, editor=editor, reviewers=[reviewer])
        before, events_before, signoffs_before = check_invariants(article.pk)
        read_hash, base = before.content_hash, before.version
        new_texts = texts_by("Author", f"run {run}")

        def sign_off(article: Article = before) -> Any:
            return transition_apply(
                article=article,
                user=reviewer,
                action="approve",
                password=PASSWORD,
                params={"content_hash": read_hash},
            )

        def edit(article: Article = before) -> Article:
            return draft_update(
                article=article,
                user=author,
                base_version=base,
                fields={"texts": new_texts},
                change_reason="Fixing a dose.",
            )

        s, e = race(
            article.pk,
            sign_off,
            edit,
            gated=is_gated(run),
            expected=(WorkflowError, EditConflict),
            label=label,
        )
        assert e.ok, (
            f"run {run}: the author's edit from the current version must succeed: {e.error!r}"
        )
        article, events, signoffs = check_invariants(article.pk)
        assert article.version == base + 1 and article.content_hash != read_hash
        assert article.texts == content.normalise_texts(new_texts)
        assert article.workflow.state == State.UNDER_REVIEW
        assert valid_approvals(article=article, workflow=article.workflow) == []
        mine = [x for x in signoffs if x.reviewer_id == reviewer.pk]
        new_events = events[len(events_before) :]
        if s.ok:
            # (a) Signed first, on the version read; the edit then voided it.
            assert [(x.version, x.content_hash, x.meaning) for x in mine] == [
                (base, read_hash, Meaning.APPROVED)
            ]
            actions = [(ev.action, ev.from_state, ev.to_state) for ev in new_events]
            assert actions == [
                ("approve", State.UNDER_REVIEW, State.APPROVED),
                ("void_approvals", State.APPROVED, State.UNDER_REVIEW),
            ], actions
            assert new_events[1].version == base + 1 and new_events[1].actor_id == author.pk
            assert article.workflow.last_reviewed_on == timezone.localdate()
            OUTCOMES[label][
                f"sign-off first, voided by the edit (quorum {2 if quorum_two else 1})"
            ] += 1
        else:
            # (b) Edited first: the signature on the old hash is refused and nothing is signed.
            assert isinstance(s.error, WorkflowError), s.error
            assert s.error.code == "guard_failed"
            assert any(
                "changed while you were reviewing" in reason for reason in s.error.reasons
            ), s.error.reasons
            assert mine == [], "a refused signature left a sign-off"
            assert not SignOff.objects.filter(
                article=article, content_hash=article.content_hash
            ).exists()
            assert len(signoffs) == len(signoffs_before)
            if quorum_two:  # the edit voided reviewer2's earlier approval, and says so
                assert [(ev.action, ev.from_state, ev.to_state) for ev in new_events] == [
                    ("void_approvals", State.UNDER_REVIEW, State.UNDER_REVIEW)
                ]
            else:
                assert new_events == []
            OUTCOMES[label][f"edit first, sign-off refused (quorum {2 if quorum_two else 1})"] += 1
    report(label, capsys, "sign-off first", "edit first")


# --- 3. two sign-offs reaching quorum at once ----------------------------------------------------


def test_two_sign_offs_reaching_quorum_at_once_approve_exactly_once(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any, capsys: Any
) -> None:
    """High-risk article (quorum 2): both reviewers sign at the same instant."""
    label = "3 two sign-offs, quorum 2"
    for run in range(RUNS):
        article = under_review(
            author=author, editor=editor, reviewers=[reviewer, reviewer2], high_risk=True
        )
        before, events_before, _ = check_invariants(article.pk)
        assert before.workflow.approvals_needed == 2
        read_hash = before.content_hash

        def sign_as(user: Any) -> Callable[[], Any]:
            return lambda: transition_apply(
                article=before,
                user=user,
                action="approve",
                password=PASSWORD,
                params={"content_hash": read_hash},
            )

        r1, r2 = race(
            article.pk,
            sign_as(reviewer),
            sign_as(reviewer2),
            gated=is_gated(run),
            expected=(),
            label=label,
        )
        assert r1.ok and r2.ok
        article, events, signoffs = check_invariants(article.pk)
        workflow = article.workflow
        assert workflow.state == State.APPROVED
        assert article.content_hash == read_hash and article.version == before.version
        valid = valid_approvals(article=article, workflow=workflow)
        assert sorted(s.reviewer_id for s in valid) == sorted([reviewer.pk, reviewer2.pk])
        assert len(signoffs) == 2 and all(s.meaning == Meaning.APPROVED for s in signoffs)
        new_events = events[len(events_before) :]
        assert [(ev.action, ev.from_state, ev.to_state) for ev in new_events] == [
            ("approve", State.UNDER_REVIEW, State.UNDER_REVIEW),
            ("approve", State.UNDER_REVIEW, State.APPROVED),
        ]
        assert len([ev for ev in events if ev.to_state == State.APPROVED]) == 1
        # The one that reached the quorum is the one that signed second.
        assert new_events[1].actor_id == signoffs[1].reviewer_id
        assert workflow.last_reviewed_on == timezone.localdate()
        assert (
            workflow.next_review_due is not None
            and workflow.next_review_due > workflow.last_reviewed_on
        )
        second = "reviewer" if new_events[1].actor_id == reviewer.pk else "reviewer2"
        OUTCOMES[label][f"{second} signed second and reached the quorum"] += 1
    report(label, capsys, "reviewer signed second", "reviewer2 signed second")


# --- 4. publish vs edit --------------------------------------------------------------------------


def test_publish_racing_an_edit_never_shows_readers_an_unsigned_version(
    author: Any, editor: Any, reviewer: Any, capsys: Any
) -> None:
    """The editor publishes the approved version while the author edits it.

    Even runs: never published before. Odd runs: version 1 is live and version 2 was approved
    since, so the publish would replace the live version.
    """
    label = "4 publish vs edit"
    for run in range(RUNS):
        republish = run % 2 == 1
        article = approved(author=author, editor=editor, reviewers=[reviewer])
        old_live = None
        if republish:
            transition_apply(article=article, user=editor, action="publish")
            draft_update(
                article=article,
                user=author,
                base_version=1,
                fields={"texts": texts_by("Setup", "v2")},
                change_reason="Second version.",
            )
            approve(fresh(article.pk), reviewer)
            old_live = fresh(article.pk).live_version
            assert old_live is not None and old_live.version == 1
        before, events_before, _ = check_invariants(article.pk)
        assert before.workflow.state == State.APPROVED
        signed_hash, base = before.content_hash, before.version
        new_texts = texts_by("Author", f"run {run}")

        def publish(article: Article = before) -> Any:
            return transition_apply(article=article, user=editor, action="publish")

        def edit(article: Article = before) -> Article:
            return draft_update(
                article=article,
                user=author,
                base_version=base,
                fields={"texts": new_texts},
                change_reason="After approval.",
            )

        p, e = race(
            article.pk, publish, edit, gated=is_gated(run), expected=(WorkflowError,), label=label
        )
        assert e.ok, (
            f"run {run}: the author's edit from the current version must succeed: {e.error!r}"
        )
        article, events, _ = check_invariants(article.pk)
        assert article.version == base + 1 and article.texts == content.normalise_texts(new_texts)
        assert article.workflow.state == State.UNDER_REVIEW, (
            "the changed draft must be back under review"
        )
        new_events = events[len(events_before) :]
        if p.ok:
            # Published first: readers see the signed version; the draft moved on under review.
            assert article.live_version is not None and not article.live_pending_review
            assert (article.live_version.version, article.live_version.content_hash) == (
                base,
                signed_hash,
            )
            assert [(ev.action, ev.from_state, ev.to_state, ev.version) for ev in new_events] == [
                ("publish", State.APPROVED, State.APPROVED, base),
                ("void_approvals", State.APPROVED, State.UNDER_REVIEW, base + 1),
            ]
            OUTCOMES[label][
                f"publish first: live = signed v{base}, draft moved on"
                f" ({'republish' if republish else 'first publication'})"
            ] += 1
        else:
            # Edited first: the publish is refused; the live page is unchanged.
            assert isinstance(p.error, WorkflowError) and p.error.code == "illegal_state", p.error
            assert article.live_version_id == (old_live.pk if old_live else None)
            assert [(ev.action, ev.from_state, ev.to_state) for ev in new_events] == [
                ("void_approvals", State.APPROVED, State.UNDER_REVIEW)
            ]
            OUTCOMES[label][
                f"edit first: publish refused, live unchanged"
                f" ({'republish' if republish else 'first publication'})"
            ] += 1
        # Whatever the order, the live version (if any) is never the unsigned new draft.
        assert (
            article.live_version is None
            or article.live_version.content_hash != article.content_hash
        )
    report(label, capsys, "publish first", "edit first")


# --- the scheduler against a racing request: known bugs ------------------------------------------
#
# scheduled_actions_enqueue() reads the due workflows once, without a lock, and then decides from
# those rows what to do: which action to apply, and (when the action is refused) the state,
# version and hash written into the failure's audit event. transition_apply re-checks the state
# and the guards under the lock, but not that the schedule still exists. So when a request
# commits between the scheduler's read and its lock, the scheduler acts on a stale row.
#
# These tests force that interleaving with real locks: the test holds the article row, the
# user's request queues on it first, then the scheduler reads the due rows and queues behind it.


def queue_in_order(
    article_pk: int, first: Callable[[], Any], second: Callable[[], Any], *, label: str
) -> tuple[Result, Result]:
    """Run `first` then `second` in two threads, both queued on the article row lock in that
    order (PostgreSQL grants a row lock to its waiters first come, first served)."""
    results = (Result(), Result())
    pids: list[int | None] = [None, None]
    threads = [
        threading.Thread(
            target=_racer, args=(fn, threading.Barrier(1), results[i], pids, i), name=f"{label}-{i}"
        )
        for i, fn in enumerate((first, second))
    ]
    try:
        with transaction.atomic():
            Article.objects.select_for_update().get(pk=article_pk)
            threads[0].start()
            if not _wait_until_blocked(threads[:1], pids, 1):
                pytest.fail(f"{label}: the first request did not wait for the article row lock")
            threads[1].start()
            if not _wait_until_blocked(threads, pids, 2):
                pytest.fail(f"{label}: the second request did not queue behind the first")
    finally:
        for thread in threads:
            if thread.ident is not None:
                thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), f"{label}: a racer is stuck"
    _wait_until_disconnected([pid for pid in pids if pid is not None], label)
    return results


def test_scheduled_publish_refused_after_a_racing_edit_keeps_the_audit_trail_consistent(
    author: Any, editor: Any, reviewer: Any
) -> None:
    label = "scheduler vs edit"
    article = approved(author=author, editor=editor, reviewers=[reviewer])
    when = timezone.now() + timedelta(hours=1)
    transition_apply(article=article, user=editor, action="schedule_publish", params={"when": when})
    before = fresh(article.pk)
    base = before.version

    def edit() -> Article:
        return draft_update(
            article=before,
            user=author,
            base_version=base,
            fields={"texts": texts_by("Author", "after scheduling")},
            change_reason="Corrected a dose.",
        )

    def scheduler() -> list[str]:
        return scheduled_actions_enqueue(now=when + timedelta(minutes=1))

    e, s = queue_in_order(article.pk, edit, scheduler, label=label)
    if not (e.ok and s.ok):
        pytest.fail(f"{label}: the edit or the scheduler raised: {e}, {s}")
    article = fresh(article.pk)
    assert article.live_version_id is None, "the changed, unsigned draft went live"  # holds today
    assert article.workflow.state == State.UNDER_REVIEW and article.workflow.publish_at is None
    # What fails today: the refusal's event records the state and version read before the edit
    # ("approved -> approved at v1" while the article is under review at v2).
    for event in AuditEvent.objects.filter(article=article, action__startswith="scheduled_"):
        assert (event.from_state, event.to_state, event.version) == (
            State.UNDER_REVIEW,
            State.UNDER_REVIEW,
            base + 1,
        ), (
            f"audit event written from a stale row: {event.from_state}->{event.to_state} at "
            f"v{event.version}, while the article is {article.workflow.state} at v{article.version}"
        )
    check_invariants(article.pk)


def test_scheduler_does_not_apply_a_schedule_cancelled_while_it_was_running(
    author: Any, editor: Any, reviewer: Any
) -> None:
    label = "scheduler vs cancel"
    article = approved(author=author, editor=editor, reviewers=[reviewer])
    transition_apply(article=article, user=editor, action="publish")
    when = timezone.now() + timedelta(hours=1)
    transition_apply(
        article=article,
        user=editor,
        action="schedule_unpublish",
        note="Outdated.",
        params={"when": when},
    )
    before = fresh(article.pk)
    assert before.live_version_id is not None and before.workflow.unpublish_at == when

    def cancel() -> Any:
        return transition_apply(article=before, user=editor, action="cancel_schedule")

    def scheduler() -> list[str]:
        return scheduled_actions_enqueue(now=when + timedelta(minutes=1))

    c, s = queue_in_order(article.pk, cancel, scheduler, label=label)
    if not (c.ok and s.ok):
        pytest.fail(f"{label}: the interleaving did not happen as forced: {c}, {s}")
    article = fresh(article.pk)
    check_invariants(article.pk)
    assert article.workflow.unpublish_at is None
    assert article.live_version_id == before.live_version_id, (
        f"the removal was cancelled before the scheduler took the lock, yet it ran: {s.value}"
    )
