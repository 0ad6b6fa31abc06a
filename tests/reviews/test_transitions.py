"""The transition table, applied through `transition_apply`: who may, from where, and what it writes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.roles import Role
from articles.audiences import audiences
from articles.models import Article
from reviews.guards import reviewers_assigned, schedule_in_future
from reviews.models import Assignment, AuditEvent, State
from reviews.selectors.roles import roles_for
from reviews.services.errors import WorkflowError
from reviews.services.transitions import transition_apply
from reviews.transition import Transition
from reviews.workflow import TRANSITIONS
from tests.factories import (
    PASSWORD,
    make_article,
    make_reference,
    make_user,
    publish_approved,
    submit_and_review,
)

S = State

# --- builders ------------------------------------------------------------------------------------

# The persona each step of a path is taken by, and the role each persona holds on the article.
STEP_ACTOR = {
    "submit": "author",
    "withdraw": "author",
    "start_review": "editor",
    "approve": "reviewer",
    "request_changes": "reviewer",
    "publish": "editor",
    "schedule_unpublish": "editor",
    "retire": "editor",
}
PERSONA_ROLES: dict[str, frozenset[Role]] = {
    "author": frozenset({Role.AUTHOR}),
    "editor": frozenset({Role.EDITOR}),
    "reviewer": frozenset({Role.REVIEWER}),
    "outsider": frozenset(),
}
PERSONAS = tuple(PERSONA_ROLES)

# Every path but one goes through a review, so the reviewer is assigned in the current round and
# holds its role: the matrix tells "wrong role" apart from "wrong state" for the reviewer's rows
# too. "Submitted" is a first submission: a resubmission goes straight back under review with the
# round's reviewers, so a submitted article has no reviewer yet, and the reviewer holds no role.
PATHS: dict[State, tuple[str, ...]] = {
    S.DRAFT: ("submit", "start_review", "withdraw"),
    S.SUBMITTED: ("submit",),
    S.UNDER_REVIEW: ("submit", "start_review", "request_changes", "submit"),
    S.CHANGES_REQUESTED: ("submit", "start_review", "request_changes"),
    S.APPROVED: ("submit", "start_review", "approve", "publish", "schedule_unpublish"),
    S.RETIRED: ("submit", "start_review", "approve", "publish", "retire"),
}


def roles_in(persona: str, state: State) -> frozenset[Role]:
    """The roles `persona` holds on the world's article in `state`."""
    if persona == "reviewer" and state == S.SUBMITTED:
        return frozenset()
    return PERSONA_ROLES[persona]


@dataclass
class World:
    users: dict[str, Any]
    articles: dict[State, Article]


def take(action: str, *, article: Article, user: Any, reviewer: Any) -> None:
    """Apply `action` as `user`, giving it exactly the input its row and guards ask for."""
    transition = TRANSITIONS[action]
    kwargs: dict[str, Any] = {"params": {}}
    if transition.signs:
        kwargs["password"] = PASSWORD
        kwargs["params"]["content_hash"] = Article.objects.get(pk=article.pk).content_hash
    if transition.needs_note:
        kwargs["note"] = f"Reason for {action}."
    if reviewers_assigned in transition.guards:
        kwargs["params"]["reviewers"] = [reviewer]
    if schedule_in_future in transition.guards:
        kwargs["params"]["when"] = timezone.now() + timedelta(days=7)
    transition_apply(article=article, user=user, action=action, **kwargs)


def article_in_state(state: State, *, users: dict[str, Any]) -> Article:
    """An article brought into `state` through the services only, citing a real reference."""
    article = make_article(author=users["author"], citations=[make_reference()])
    for action in PATHS[state]:
        take(action, article=article, user=users[STEP_ACTOR[action]], reviewer=users["reviewer"])
    article = Article.objects.get(pk=article.pk)
    assert article.workflow.state == state
    return article


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """One article per state, built once for the module inside a transaction rolled back at the
    end; each test runs in its own savepoint (the `db` fixture), so it sees the same world."""
    with django_db_blocker.unblock(), transaction.atomic():
        users = {
            "author": make_user(Role.AUTHOR),
            "editor": make_user(Role.EDITOR),
            "reviewer": make_user(Role.REVIEWER),
            "outsider": make_user(),
        }
        yield World(users=users, articles={s: article_in_state(s, users=users) for s in State})
        transaction.set_rollback(True)


# --- the matrix ----------------------------------------------------------------------------------

# Content rows (edit, revert) are applied by the content services, not transition_apply.
CONTENT_ACTIONS = [name for name, t in TRANSITIONS.items() if t.content]
MATRIX_ACTIONS = [name for name, t in TRANSITIONS.items() if not t.content]
MATRIX = [
    (name, state, persona) for name in MATRIX_ACTIONS for state in State for persona in PERSONAS
]

# Allowed role and source state, yet a guard legitimately blocks, in the world above: the reason.
# Only the approved article is live (its version, published) and has a removal scheduled.
NOT_LIVE = (S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.CHANGES_REQUESTED)
GUARD_BLOCKED = {
    **{("unpublish", state): "The article is not published." for state in NOT_LIVE},
    **{("schedule_unpublish", state): "The article is not published." for state in NOT_LIVE},
    **{("cancel_schedule", state): "Nothing is scheduled." for state in NOT_LIVE},
    # The approved article's version is live already: a version is published once.
    **{
        (name, S.APPROVED): "Version 1 is already live; there is nothing new to publish."
        for name in ("publish", "schedule_publish")
    },
}


def expected_outcome(transition: Transition, state: State, persona: str) -> str:
    if not roles_in(persona, state) & transition.roles:
        return "forbidden"
    if state not in transition.sources:
        return "illegal_state"
    return "guard_failed" if (transition.name, state) in GUARD_BLOCKED else "applied"


SUCCESSES = [
    case for case in MATRIX if expected_outcome(TRANSITIONS[case[0]], *case[1:]) == "applied"
]


def attempt(world: World, name: str, state: State, persona: str) -> Article:
    article = world.articles[state]
    take(name, article=article, user=world.users[persona], reviewer=world.users["reviewer"])
    return article


def test_matrix_covers_every_transition_state_and_role() -> None:
    """The matrix is every non-content transition x every state x the four personas: 312 cases.

    The literal sizes are a tripwire: a new row of the table needs its inputs in `take` and its
    legitimate guard refusals in GUARD_BLOCKED before this passes again.
    """
    assert len(MATRIX) == len(MATRIX_ACTIONS) * len(State) * len(PERSONAS) == 13 * 6 * 4 == 312
    assert len(SUCCESSES) == 26


@pytest.mark.parametrize("state", list(State))
def test_each_persona_holds_exactly_its_role_in_every_state(
    world: World, db: Any, state: State
) -> None:
    """Author, editor and assigned reviewer hold one role each in every state; the outsider none."""
    article = world.articles[state]
    for persona in PERSONA_ROLES:
        assert roles_for(
            user=world.users[persona], article=article, workflow=article.workflow
        ) == roles_in(persona, state)


@pytest.mark.parametrize(("name", "state", "persona"), MATRIX)
def test_each_transition_is_refused_or_applied_as_the_table_declares(
    world: World, db: Any, name: str, state: State, persona: str
) -> None:
    """Wrong role: PermissionDenied; wrong state: illegal_state; a blocking guard: its reason."""
    transition = TRANSITIONS[name]
    article = world.articles[state]
    events_before = AuditEvent.objects.filter(article=article).count()
    outcome = expected_outcome(transition, state, persona)

    if outcome == "forbidden":
        with pytest.raises(PermissionDenied):
            attempt(world, name, state, persona)
    elif outcome in {"illegal_state", "guard_failed"}:
        with pytest.raises(WorkflowError) as refused:
            attempt(world, name, state, persona)
        assert refused.value.code == outcome
        if outcome == "guard_failed":
            assert refused.value.reasons == [GUARD_BLOCKED[name, state]]
    else:
        attempt(world, name, state, persona)
        assert Article.objects.get(pk=article.pk).workflow.state == transition.target_for(state)
        return

    assert Article.objects.get(pk=article.pk).workflow.state == state
    assert AuditEvent.objects.filter(article=article).count() == events_before


@pytest.mark.parametrize(("name", "state", "persona"), SUCCESSES)
def test_a_transition_appends_one_audit_event_and_makes_no_content_version(
    world: World, db: Any, name: str, state: State, persona: str
) -> None:
    """A successful transition writes one audit event for the current version, and no version."""
    article = world.articles[state]
    before = Article.objects.get(pk=article.pk)
    history_before = before.history.count()
    last_event = AuditEvent.objects.filter(article=article).order_by("pk").last()

    attempt(world, name, state, persona)

    after = Article.objects.get(pk=article.pk)
    new_events = list(AuditEvent.objects.filter(article=article, pk__gt=last_event.pk))
    assert len(new_events) == 1
    event = new_events[0]
    assert event.actor == world.users[persona]
    assert event.action == name
    assert event.from_state == state
    assert event.to_state == after.workflow.state == TRANSITIONS[name].target_for(state)
    assert (event.version, event.content_hash) == (before.version, before.content_hash)
    assert (after.version, after.content_hash) == (before.version, before.content_hash)
    assert after.history.count() == history_before


NOTE_CASES = [
    (
        name,
        next(s for s in State if s in t.sources),
        next(p for p in PERSONAS if PERSONA_ROLES[p] & t.roles),
    )
    for name, t in TRANSITIONS.items()
    if t.needs_note
]


@pytest.mark.parametrize(("name", "state", "persona"), NOTE_CASES)
def test_a_transition_that_needs_a_note_refuses_a_blank_one(
    world: World, db: Any, name: str, state: State, persona: str
) -> None:
    """Every row that needs a note (request changes, retire...) refuses a blank one."""
    article = world.articles[state]
    params = {"content_hash": article.content_hash}
    with pytest.raises(WorkflowError) as refused:
        transition_apply(
            article=article,
            user=world.users[persona],
            action=name,
            note="  ",
            password=PASSWORD,
            params=params,
        )
    assert refused.value.code == "note_required"
    assert Article.objects.get(pk=article.pk).workflow.state == state


# --- submit guards ---------------------------------------------------------------------------------


def _refusal(article: Article, user: Any, action: str, **kwargs: Any) -> WorkflowError:
    state = Article.objects.get(pk=article.pk).workflow.state
    with pytest.raises(WorkflowError) as refused:
        transition_apply(article=article, user=user, action=action, **kwargs)
    assert Article.objects.get(pk=article.pk).workflow.state == state
    return refused.value


def test_submit_is_refused_naming_an_unknown_citation_marker(author: Any) -> None:
    """A submission whose text cites a marker missing from the library names that marker."""
    known = make_reference()
    texts = {
        "patient": f"Known [@pmid:{known.pmid}], unknown [@pmid:999999].",
        "clinician": "Clinician text.",
    }
    article = make_article(author=author, texts=texts)
    refusal = _refusal(article, author, "submit")
    assert refusal.code == "guard_failed"
    assert refusal.reasons == ["Patient text: unknown citation marker(s) [@pmid:999999]."]


@pytest.mark.parametrize("missing", settings.EDITORIAL_REQUIRED_AUDIENCES)
def test_submit_is_refused_naming_a_missing_required_audience(author: Any, missing: str) -> None:
    """Each audience in EDITORIAL_REQUIRED_AUDIENCES must have text; the refusal names it."""
    texts = {key: "Some text." for key in settings.EDITORIAL_REQUIRED_AUDIENCES if key != missing}
    article = make_article(author=author, texts=texts)
    refusal = _refusal(article, author, "submit")
    assert refusal.code == "guard_failed"
    assert refusal.reasons == [f"The {audiences()[missing].label.lower()} text is missing."]


def test_submit_is_refused_without_a_summary(author: Any) -> None:
    """An article without a summary cannot be submitted."""
    article = make_article(author=author, summary="")
    refusal = _refusal(article, author, "submit")
    assert refusal.reasons == ["The summary is missing."]


# --- start_review ------------------------------------------------------------------------------------


def test_start_review_is_refused_without_a_reviewer(author: Any, editor: Any) -> None:
    """Review cannot start until at least one medical reviewer is assigned."""
    article = make_article(author=author)
    transition_apply(article=article, user=author, action="submit")
    refusal = _refusal(article, editor, "start_review", params={"reviewers": []})
    assert refusal.code == "guard_failed"
    assert refusal.reasons == ["Assign at least one medical reviewer first."]


def test_start_review_refuses_a_user_who_is_not_a_medical_reviewer(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """Passing a non-reviewer as reviewer refuses the whole action and assigns nobody."""
    article = make_article(author=author)
    transition_apply(article=article, user=author, action="submit")
    outsider = make_user(username="not-a-reviewer")
    refusal = _refusal(article, editor, "start_review", params={"reviewers": [reviewer, outsider]})
    assert refusal.code == "guard_failed"
    assert refusal.reasons == ["not-a-reviewer is not a medical reviewer."]
    assert not Assignment.objects.filter(article=article).exists()


@pytest.mark.parametrize("action", ["frobnicate", "", *CONTENT_ACTIONS])
def test_an_unknown_action_is_refused_as_unknown(author: Any, action: str) -> None:
    """A name that is not a transition, or a content row (edit, revert), is code "unknown"."""
    article = make_article(author=author)
    refusal = _refusal(article, author, action)
    assert refusal.code == "unknown"


# --- publication -------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["retire", "unpublish"])
def test_retire_and_unpublish_take_the_article_off_the_public_site(
    author: Any, editor: Any, reviewer: Any, action: str
) -> None:
    """After retire or unpublish no version is live."""
    article = make_article(author=author)
    article = publish_approved(article, author=author, editor=editor, reviewers=[reviewer])
    assert article.live_version is not None
    transition_apply(article=article, user=editor, action=action, note="Out of date.")
    article = Article.objects.get(pk=article.pk)
    assert article.live_version is None
    assert not article.live_pending_review


def test_publish_pending_review_makes_the_current_version_live_marked_pending(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """Publishing pending review puts the unsigned current version live, flagged as pending."""
    article = submit_and_review(
        make_article(author=author), author=author, editor=editor, reviewers=[reviewer]
    )
    transition_apply(
        article=article,
        user=editor,
        action="publish_pending_review",
        note="Urgent safety information.",
    )
    article = Article.objects.get(pk=article.pk)
    assert article.live_pending_review
    assert (article.live_version.version, article.live_version.content_hash) == (
        article.version,
        article.content_hash,
    )
    assert article.workflow.state == S.UNDER_REVIEW


def test_publish_pending_review_needs_a_note(author: Any, editor: Any, reviewer: Any) -> None:
    """Without a note, publish pending review is refused and nothing goes live."""
    article = submit_and_review(
        make_article(author=author), author=author, editor=editor, reviewers=[reviewer]
    )
    refusal = _refusal(article, editor, "publish_pending_review")
    assert refusal.code == "note_required"
    assert Article.objects.get(pk=article.pk).live_version is None
