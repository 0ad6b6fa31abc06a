"""What the board signed is what readers get: a signature counts for the version it names, in the
round it was made; the signer wrote none of what they sign; duties are separated; conflicts are
audited; a version is published once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from articles.models import Article
from public.selectors.history import public_history
from reviews.models import Assignment, AuditEvent, SignOff, State
from reviews.selectors.signing import valid_approvals
from reviews.services.conflicts import conflicts_set
from reviews.services.content import draft_update, version_revert
from reviews.services.errors import WorkflowError
from reviews.services.transitions import transition_apply
from tests.factories import approve, make_article, make_reference, make_user, submit_and_review
from tests.reviews.test_signoff import add_group, fresh


def edit(article: Article, user: Any, **fields: Any) -> Article:
    return draft_update(
        article=article,
        user=user,
        base_version=fresh(article).version,
        fields=fields,
        change_reason="A change.",
    )


def revert(article: Article, user: Any, to_version: int) -> Article:
    return version_revert(
        article=article, user=user, to_version=to_version, base_version=fresh(article).version
    )


# --- A: a signature counts for the version it names -------------------------------------------


def test_a_revert_to_approved_content_does_not_revive_its_approvals(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    """Two approvals of v1 and one of its restored copy (v3) are one approval of v3, not three."""
    reviewer3 = make_user(Role.REVIEWER)
    article = make_article(author=author, citations=[make_reference()], high_risk=True)
    article = submit_and_review(
        article, author=author, editor=editor, reviewers=[reviewer, reviewer2, reviewer3]
    )
    approve(article, reviewer)
    approve(fresh(article), reviewer2)
    assert fresh(article).workflow.state == State.APPROVED
    edit(article, author, summary="A changed summary.")
    revert(article, author, to_version=1)
    article = fresh(article)
    assert article.version == 3
    assert valid_approvals(article=article, workflow=article.workflow) == []
    approve(article, reviewer3)
    article = fresh(article)
    assert article.workflow.state == State.UNDER_REVIEW
    assert len(valid_approvals(article=article, workflow=article.workflow)) == 1
    with pytest.raises(WorkflowError, match="not possible while the article is under review"):
        transition_apply(article=article, user=editor, action="publish")


def test_the_only_reviewer_can_sign_a_restored_version_they_approved_before(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """A revert is a new version: the reviewer who approved v1 signs v3 (its copy) afresh."""
    article = make_article(author=author, citations=[make_reference()])
    article = submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
    approve(article, reviewer)
    edit(article, author, summary="A changed summary.")
    revert(article, author, to_version=1)
    article = fresh(article)
    assert article.workflow.state == State.UNDER_REVIEW
    approve(article, reviewer)
    article = fresh(article)
    assert article.workflow.state == State.APPROVED
    assert [s.version for s in valid_approvals(article=article, workflow=article.workflow)] == [3]


# --- B: the signer wrote none of the text they sign --------------------------------------------

WROTE = "You wrote or edited this version of the article, so another reviewer must sign it."


@pytest.fixture
def editor_reviewer(db: Any) -> Any:
    """A user in both the Editor and the Medical reviewer groups, with a reviewer profile."""
    return add_group(make_user(Role.REVIEWER, username="editor-reviewer"), Role.EDITOR)


def approved_and_published(article: Article, *, editor: Any, reviewer: Any) -> Article:
    """Approve the current version (under review) by `reviewer` and publish it."""
    approve(fresh(article), reviewer)
    transition_apply(article=article, user=editor, action="publish")
    return fresh(article)


def test_restoring_a_version_brings_back_its_writers_authorship(
    author: Any, editor: Any, reviewer: Any, editor_reviewer: Any
) -> None:
    """ER wrote v2; another author's v3 (without it) was approved; ER cannot sign the revert to v2."""
    article = make_article(author=author, citations=[make_reference()])
    edit(article, editor_reviewer, summary="An unsupported claim.")
    edit(article, author, summary="A short summary, claim removed.")
    article = submit_and_review(
        article, author=author, editor=editor, reviewers=[reviewer, editor_reviewer]
    )
    approved_and_published(article, editor=editor, reviewer=reviewer)
    revert(article, editor, to_version=2)
    article = fresh(article)
    assert article.version == 4
    assert article.workflow.state == State.UNDER_REVIEW
    with pytest.raises(WorkflowError) as refused:
        approve(article, editor_reviewer)
    assert refused.value.reasons == [WROTE]


def test_a_writer_whose_text_was_removed_and_approved_may_sign_later_changes(
    author: Any, editor: Any, reviewer: Any, editor_reviewer: Any
) -> None:
    """Once another reviewer approved a version without ER's text, ER may sign edits on top of it."""
    article = make_article(author=author, citations=[make_reference()])
    article = submit_and_review(
        article, author=author, editor=editor, reviewers=[reviewer, editor_reviewer]
    )
    edit(article, editor_reviewer, summary="An unsupported claim.")
    edit(article, author, summary="A short summary, claim removed.")
    approved_and_published(article, editor=editor, reviewer=reviewer)
    edit(article, author, title="A clearer question?")
    approve(fresh(article), editor_reviewer)
    assert fresh(article).workflow.state == State.APPROVED


def test_a_chain_of_editors_keeps_every_writers_authorship(
    author: Any, editor: Any, reviewer: Any, editor_reviewer: Any
) -> None:
    """ER's edit stays theirs through later edits by others, in the same round or the next."""
    article = make_article(author=author, citations=[make_reference()])
    edit(article, editor_reviewer, summary="ER's summary.")
    article = submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
    transition_apply(article=article, user=author, action="withdraw")
    edit(article, author, title="A clearer question?")
    edit(article, editor, title="A clearer question, edited?")
    article = submit_and_review(article, author=author, editor=editor, reviewers=[editor_reviewer])
    with pytest.raises(WorkflowError) as refused:
        approve(article, editor_reviewer)
    assert refused.value.reasons == [WROTE]


def test_restoring_an_approved_version_leaves_only_the_restorer_as_writer(
    author: Any, editor: Any, reviewer: Any, editor_reviewer: Any
) -> None:
    """v1 approved by others; ER's v2 is undone by restoring v1: ER wrote none of v3."""
    article = make_article(author=author, citations=[make_reference()])
    article = submit_and_review(
        article, author=author, editor=editor, reviewers=[reviewer, editor_reviewer]
    )
    approved_and_published(article, editor=editor, reviewer=reviewer)
    edit(article, editor_reviewer, summary="An unsupported claim.")
    revert(article, author, to_version=1)
    approve(fresh(article), editor_reviewer)
    assert fresh(article).workflow.state == State.APPROVED


# --- E: one publication per version -----------------------------------------------------------


def test_publishing_the_live_version_again_is_refused_without_a_second_event(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """A second editor's publish of the version already live is refused; history lists it once."""
    second_editor = make_user(Role.EDITOR, is_staff=True)
    article = make_article(author=author, citations=[make_reference()])
    article = submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
    article = approved_and_published(article, editor=editor, reviewer=reviewer)
    with pytest.raises(WorkflowError) as refused:
        transition_apply(article=article, user=second_editor, action="publish")
    assert refused.value.reasons == ["Version 1 is already live; there is nothing new to publish."]
    assert AuditEvent.objects.filter(article=article, action="publish").count() == 1
    _page, entries = public_history(article=article, page_number=1)
    assert [e.version for e in entries] == [1]


def test_the_live_version_cannot_be_scheduled_for_publication_again(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """A schedule would publish the live version a second time: it is refused the same way."""
    article = make_article(author=author, citations=[make_reference()])
    article = submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
    article = approved_and_published(article, editor=editor, reviewer=reviewer)
    with pytest.raises(WorkflowError, match="already live"):
        transition_apply(
            article=article,
            user=editor,
            action="schedule_publish",
            params={"when": timezone.now() + timedelta(days=1)},
        )


# --- C: separation of duties ------------------------------------------------------------------

ASSIGNED_SELF = (
    "You assigned the reviewers of this round, so another board member must approve it "
    "(separation of duties)."
)
PUBLISHER_APPROVED = (
    "You approved this version, so another editor must publish it (separation of duties)."
)


def test_a_board_member_who_assigned_the_round_cannot_approve_it(
    author: Any, editor_reviewer: Any
) -> None:
    """An Editor+Reviewer who assigned themselves is refused the approval, with the reason."""
    article = make_article(author=author, citations=[make_reference()])
    article = submit_and_review(
        article, author=author, editor=editor_reviewer, reviewers=[editor_reviewer]
    )
    with pytest.raises(WorkflowError) as refused:
        approve(article, editor_reviewer)
    assert refused.value.reasons == [ASSIGNED_SELF]
    assert not SignOff.objects.filter(article=article).exists()


def test_an_editor_who_approved_a_version_cannot_publish_it(
    author: Any, editor: Any, editor_reviewer: Any
) -> None:
    """The approver of the round is not its publisher: the publish is refused with the reason."""
    article = make_article(author=author, citations=[make_reference()])
    article = submit_and_review(article, author=author, editor=editor, reviewers=[editor_reviewer])
    approve(article, editor_reviewer)
    for action, params in [
        ("publish", {}),
        ("schedule_publish", {"when": timezone.now() + timedelta(days=1)}),
    ]:
        with pytest.raises(WorkflowError) as refused:
            transition_apply(article=article, user=editor_reviewer, action=action, params=params)
        assert refused.value.reasons == [PUBLISHER_APPROVED]
    assert fresh(article).live_version_id is None
    transition_apply(article=article, user=editor, action="publish")
    assert fresh(article).live_version_id is not None


def test_a_one_person_board_is_allowed_only_by_the_setting(
    author: Any, editor_reviewer: Any, settings: Any
) -> None:
    """EDITORIAL_ALLOW_ONE_PERSON_BOARD lets one person assign, approve and publish a round."""
    settings.EDITORIAL_ALLOW_ONE_PERSON_BOARD = True
    article = make_article(author=author, citations=[make_reference()])
    article = submit_and_review(
        article, author=author, editor=editor_reviewer, reviewers=[editor_reviewer]
    )
    approve(article, editor_reviewer)
    transition_apply(article=article, user=editor_reviewer, action="publish")
    assert fresh(article).live_version_id is not None


# --- D: conflicts of interest are changed through one audited service -------------------------


def test_clearing_a_conflict_writes_an_audit_event_on_the_article(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """An editor clearing a reviewer's conflict leaves an event naming them on the article."""
    article = make_article(author=author, citations=[make_reference()])
    profile = reviewer.reviewer_profile
    conflicts_set(profile=profile, articles=[article], user=editor, note="Declared by e-mail.")
    conflicts_set(profile=profile, articles=[], user=editor, note="Consultancy ended.")
    events = AuditEvent.objects.filter(article=article, action__startswith="conflict_")
    assert [(e.action, e.actor) for e in events.order_by("pk")] == [
        ("conflict_declared", editor),
        ("conflict_cleared", editor),
    ]
    assert events.order_by("pk").last().note == (
        f"Conflict of interest of {profile.signature_name} cleared. Consultancy ended."
    )
    assert not profile.conflicted_articles.exists()


def test_declaring_a_conflict_voids_the_reviewers_open_assignment(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    """A reviewer newly declared conflicted is no longer assigned to the article's open round."""
    article = make_article(author=author, citations=[make_reference()])
    article = submit_and_review(
        article, author=author, editor=editor, reviewers=[reviewer, reviewer2]
    )
    conflicts_set(profile=reviewer.reviewer_profile, articles=[article], user=editor)
    assert set(Assignment.objects.filter(article=article).values_list("reviewer", flat=True)) == {
        reviewer2.pk
    }
    with pytest.raises(PermissionDenied):
        approve(fresh(article), reviewer)


def test_only_editors_change_declared_conflicts(author: Any, reviewer: Any) -> None:
    """A reviewer cannot clear their own conflict through the service."""
    article = make_article(author=author, citations=[make_reference()])
    profile = reviewer.reviewer_profile
    profile.conflicted_articles.add(article)
    with pytest.raises(PermissionDenied):
        conflicts_set(profile=profile, articles=[], user=reviewer)
    assert list(profile.conflicted_articles.all()) == [article]


def test_the_admin_changes_conflicts_through_the_audited_service(
    author: Any, editor: Any, reviewer: Any, client: Any
) -> None:
    """Saving a reviewer profile in the admin with a conflict cleared writes the audit event."""
    article = make_article(author=author, citations=[make_reference()])
    profile = reviewer.reviewer_profile
    profile.conflicted_articles.add(article)
    admin_user = make_user(Role.EDITOR, is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    url = reverse("admin:reviews_reviewerprofile_change", args=[profile.pk])
    data = {
        "user": reviewer.pk,
        "slug": profile.slug,
        "display_name": profile.display_name,
        "credentials": profile.credentials,
        "specialty": profile.specialty,
        "bio": "",
        "conflicts_of_interest": "None declared.",
        "conflicted_articles": [],
        "credentials_verified_on": profile.credentials_verified_on.isoformat(),
        "on_board": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not profile.conflicted_articles.exists()
    event = AuditEvent.objects.get(article=article, action="conflict_cleared")
    assert event.actor == admin_user
