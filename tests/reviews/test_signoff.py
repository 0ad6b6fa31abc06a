"""Sign-offs: re-authentication, what a signature records, immutability, quorum and who may sign."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import ROLE_GROUPS, Role
from articles.models import Article
from reviews.models import AuditEvent, Meaning, SignOff, State
from reviews.records import ImmutableRowError
from reviews.selectors.signing import valid_approvals
from reviews.services.content import draft_update
from reviews.services.errors import WorkflowError
from reviews.services.transitions import transition_apply
from tests.factories import (
    PASSWORD,
    approve,
    make_article,
    make_reference,
    make_user,
    submit_and_review,
)


def fresh(article: Article) -> Article:
    return Article.objects.select_related("workflow").get(pk=article.pk)


def under_review(
    *, author: Any, editor: Any, reviewers: list[Any], high_risk: bool = False
) -> Article:
    article = make_article(author=author, citations=[make_reference()], high_risk=high_risk)
    return submit_and_review(article, author=author, editor=editor, reviewers=reviewers)


def sign(article: Article, user: Any, action: str = "approve", **kwargs: Any) -> None:
    """Sign the article's current version as `user` with the right password, unless overridden."""
    kwargs.setdefault("password", PASSWORD)
    kwargs.setdefault("params", {"content_hash": fresh(article).content_hash})
    transition_apply(article=article, user=user, action=action, **kwargs)


def refusal(article: Article, user: Any, action: str = "approve", **kwargs: Any) -> WorkflowError:
    """The WorkflowError `sign` raises; asserts nothing was signed and the state did not move."""
    state = fresh(article).workflow.state
    signoffs = SignOff.objects.filter(article=article).count()
    with pytest.raises(WorkflowError) as refused:
        sign(article, user, action, **kwargs)
    assert fresh(article).workflow.state == state
    assert SignOff.objects.filter(article=article).count() == signoffs
    return refused.value


def add_group(user: Any, role: Role) -> Any:
    user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
    user.__dict__.pop("_editorial_groups", None)
    return user


# --- re-authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize("password", [None, "", "wrong password"])
def test_signing_needs_the_signers_correct_password(
    author: Any, editor: Any, reviewer: Any, password: str | None
) -> None:
    """A wrong or missing password refuses the signature (code "reauth"); nothing is written."""
    article = under_review(author=author, editor=editor, reviewers=[reviewer])
    refused = refusal(article, reviewer, password=password)
    assert refused.code == "reauth"
    assert fresh(article).workflow.state == State.UNDER_REVIEW


# --- what a sign-off records -----------------------------------------------------------------------


def test_signoff_binds_the_meaning_version_hash_and_cycle(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """The sign-off records the reviewer, meaning, version, content hash and cycle signed."""
    article = under_review(author=author, editor=editor, reviewers=[reviewer])
    sign(article, reviewer, note="Checked the sources.")
    signoff = SignOff.objects.get(article=article)
    article = fresh(article)
    assert signoff.reviewer == reviewer
    assert signoff.meaning == Meaning.APPROVED
    assert (signoff.version, signoff.content_hash) == (article.version, article.content_hash)
    assert signoff.cycle == article.workflow.cycle
    assert signoff.note == "Checked the sources."


def test_signoff_statement_names_the_version_and_full_hash(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """The signed statement names the title, version, the full SHA-256 and the meaning."""
    article = under_review(author=author, editor=editor, reviewers=[reviewer])
    sign(article, reviewer)
    statement = SignOff.objects.get(article=article).statement
    assert f"version {article.version} " in statement
    assert f"(SHA-256 {article.content_hash})" in statement
    assert len(article.content_hash) == 64
    assert article.title in statement
    assert statement.endswith(f"{Meaning.APPROVED.label}.")


def test_signoff_keeps_the_name_and_credentials_as_they_were_at_signing(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """Editing the reviewer's profile afterwards does not change the signature record."""
    article = under_review(author=author, editor=editor, reviewers=[reviewer])
    profile = reviewer.reviewer_profile
    old = (profile.display_name, profile.credentials)
    sign(article, reviewer)
    profile.display_name, profile.credentials = "Prof New Name", "PhD, FRCP"
    profile.save()
    signoff = SignOff.objects.get(article=article)
    assert (signoff.printed_name, signoff.credentials) == old


# --- append-only rows ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [SignOff, AuditEvent])
@pytest.mark.parametrize("operation", ["save", "delete"])
def test_decision_rows_refuse_to_be_changed_or_deleted(
    author: Any, editor: Any, reviewer: Any, model: type[Any], operation: str
) -> None:
    """Sign-offs and audit events raise ImmutableRowError on save() after creation and on delete()."""
    article = under_review(author=author, editor=editor, reviewers=[reviewer])
    sign(article, reviewer)
    row = model.objects.filter(article=article).last()
    row.note = "Rewritten."
    with pytest.raises(ImmutableRowError):
        getattr(row, operation)()
    assert model.objects.get(pk=row.pk).note != "Rewritten."


# --- quorum ----------------------------------------------------------------------------------------


def test_high_risk_article_stays_under_review_after_one_approval(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    """A high-risk article needs two approvals; one leaves it under review."""
    article = under_review(
        author=author, editor=editor, reviewers=[reviewer, reviewer2], high_risk=True
    )
    approve(article, reviewer)
    article = fresh(article)
    assert article.workflow.approvals_needed == 2
    assert article.workflow.state == State.UNDER_REVIEW
    assert len(valid_approvals(article=article, workflow=article.workflow)) == 1


def test_high_risk_article_is_approved_by_two_distinct_reviewers(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    """The second approval on the same version by another reviewer reaches the quorum."""
    article = under_review(
        author=author, editor=editor, reviewers=[reviewer, reviewer2], high_risk=True
    )
    approve(article, reviewer)
    approve(article, reviewer2)
    article = fresh(article)
    assert article.workflow.state == State.APPROVED
    assert {s.reviewer for s in valid_approvals(article=article, workflow=article.workflow)} == {
        reviewer,
        reviewer2,
    }


def test_the_same_reviewer_approving_twice_counts_once(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    """A second approval of the same version by the same reviewer is refused; quorum needs two people."""
    article = under_review(
        author=author, editor=editor, reviewers=[reviewer, reviewer2], high_risk=True
    )
    approve(article, reviewer)
    with pytest.raises(WorkflowError, match="You already approved version"):
        approve(article, reviewer)
    article = fresh(article)
    assert SignOff.objects.filter(article=article).count() == 1
    assert article.workflow.state == State.UNDER_REVIEW
    assert len(valid_approvals(article=article, workflow=article.workflow)) == 1


def test_a_later_request_for_changes_withdraws_the_reviewers_approval(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    """A reviewer's last word counts: approve then request changes on one version is no approval."""
    article = under_review(
        author=author, editor=editor, reviewers=[reviewer, reviewer2], high_risk=True
    )
    approve(article, reviewer)
    sign(article, reviewer, "request_changes", note="On reflection, the dose in step 3 is wrong.")
    # The author disagrees and resubmits the same text; one more approval must not be enough.
    transition_apply(article=article, user=author, action="submit")
    transition_apply(article=article, user=editor, action="start_review")
    approve(fresh(article), reviewer2)
    article = fresh(article)
    assert [s.reviewer for s in valid_approvals(article=article, workflow=article.workflow)] == [
        reviewer2
    ]
    assert article.workflow.state == State.UNDER_REVIEW


# --- who may sign ----------------------------------------------------------------------------------


def test_a_reviewer_who_is_an_author_cannot_approve(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """An assigned reviewer who is also an author of the article is refused, with the reason."""
    article = make_article(author=author, citations=[make_reference()])
    add_group(reviewer, Role.AUTHOR)
    article.authors.add(reviewer)
    article = submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
    refused = refusal(article, reviewer)
    assert refused.code == "guard_failed"
    assert refused.reasons == [
        "You wrote or edited this version of the article, so another reviewer must sign it."
    ]


@pytest.fixture
def editor_reviewer(db: Any) -> Any:
    """A user in both the Editor and the Medical reviewer groups, with a reviewer profile."""
    return add_group(make_user(Role.REVIEWER, username="editor-reviewer"), Role.EDITOR)


def test_a_reviewer_who_edited_during_the_review_cannot_approve(
    author: Any, editor: Any, editor_reviewer: Any
) -> None:
    """An editor-reviewer who saved a version while the article was under review cannot sign it."""
    article = under_review(author=author, editor=editor, reviewers=[editor_reviewer])
    draft_update(
        article=article,
        user=editor_reviewer,
        base_version=article.version,
        fields={"summary": "A better summary."},
        change_reason="Tighten the summary.",
    )
    refused = refusal(article, editor_reviewer)
    assert refused.reasons == [
        "You wrote or edited this version of the article, so another reviewer must sign it."
    ]


def test_a_reviewer_who_edited_the_submitted_draft_cannot_approve(
    author: Any, editor: Any, editor_reviewer: Any
) -> None:
    """Edits made to the draft before it was submitted are part of what the cycle reviews."""
    article = make_article(author=author, citations=[make_reference()])
    draft_update(
        article=article,
        user=editor_reviewer,
        base_version=article.version,
        fields={"summary": "A better summary."},
        change_reason="Copy-edit before review.",
    )
    article = submit_and_review(article, author=author, editor=editor, reviewers=[editor_reviewer])
    refused = refusal(article, editor_reviewer)
    assert refused.reasons == [
        "You wrote or edited this version of the article, so another reviewer must sign it."
    ]


def test_a_reviewer_whose_edits_were_approved_in_an_earlier_cycle_may_sign_a_later_version(
    author: Any, editor: Any, reviewer: Any, editor_reviewer: Any
) -> None:
    """Once other reviewers approved a version, its editors may review later changes by others."""
    article = make_article(author=author, citations=[make_reference()])
    draft_update(
        article=article,
        user=editor_reviewer,
        base_version=article.version,
        fields={"summary": "A better summary."},
        change_reason="Copy-edit before review.",
    )
    article = submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
    approve(article, reviewer)
    draft_update(
        article=article,
        user=author,
        base_version=article.version,
        fields={"title": "A clearer question?"},
        change_reason="Clearer title.",
    )
    transition_apply(article=article, user=author, action="withdraw")
    article = submit_and_review(article, author=author, editor=editor, reviewers=[editor_reviewer])
    approve(article, editor_reviewer)
    assert fresh(article).workflow.state == State.APPROVED


def test_a_conflicted_reviewer_cannot_approve(author: Any, editor: Any, reviewer: Any) -> None:
    """A reviewer who declared a conflict on the article is refused approval, naming the conflict."""
    article = under_review(author=author, editor=editor, reviewers=[reviewer])
    reviewer.reviewer_profile.conflicted_articles.add(article)
    refused = refusal(article, reviewer)
    assert refused.code == "guard_failed"
    assert refused.reasons == [
        "You declared a conflict of interest on this article, so you cannot approve it."
    ]


def test_a_conflicted_reviewer_can_request_changes(author: Any, editor: Any, reviewer: Any) -> None:
    """A declared conflict bars approving, not raising concerns."""
    article = under_review(author=author, editor=editor, reviewers=[reviewer])
    reviewer.reviewer_profile.conflicted_articles.add(article)
    sign(article, reviewer, "request_changes", note="Please cite the 2023 guideline.")
    assert fresh(article).workflow.state == State.CHANGES_REQUESTED
    assert SignOff.objects.get(article=article).meaning == Meaning.CHANGES_REQUESTED


@pytest.mark.parametrize(
    ("verified_days_ago", "reason"),
    [
        (
            31 * settings.EDITORIAL_CREDENTIALS_VALID_MONTHS + 1,
            f"Your credentials were last verified more than "
            f"{settings.EDITORIAL_CREDENTIALS_VALID_MONTHS} months ago.",
        ),
        (None, "Your credentials have never been verified."),
    ],
    ids=["expired", "never-verified"],
)
@pytest.mark.parametrize("action", ["approve", "request_changes"])
def test_a_reviewer_without_current_credentials_cannot_sign(
    author: Any, editor: Any, reviewer: Any, verified_days_ago: int | None, reason: str, action: str
) -> None:
    """Credentials verified too long ago, or never, refuse any signature with the reason."""
    article = under_review(author=author, editor=editor, reviewers=[reviewer])
    profile = reviewer.reviewer_profile
    profile.credentials_verified_on = (
        None
        if verified_days_ago is None
        else timezone.localdate() - timedelta(days=verified_days_ago)
    )
    profile.save()
    refused = refusal(article, reviewer, action, note="A note.")
    assert refused.reasons == [reason]


def test_signing_a_version_that_is_no_longer_current_is_refused(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """A signature naming the hash the reviewer read is refused once the article has changed."""
    article = under_review(author=author, editor=editor, reviewers=[reviewer])
    read_hash = article.content_hash
    draft_update(
        article=article,
        user=author,
        base_version=article.version,
        fields={"summary": "Changed while the reviewer was reading."},
        change_reason="Fix.",
    )
    refused = refusal(article, reviewer, params={"content_hash": read_hash})
    assert refused.code == "guard_failed"
    assert refused.reasons == [
        f"The article changed while you were reviewing it (you read version {article.version}, "
        f"it is now version {article.version + 1}); review the new version before signing."
    ]


def test_a_fingerprint_of_no_version_is_refused_without_claiming_the_article_changed(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """A tampered content hash (no version of this article had it) is named as such, not as a
    change that did not happen."""
    article = under_review(author=author, editor=editor, reviewers=[reviewer])
    tampered = "0" * 64
    refused = refusal(article, reviewer, params={"content_hash": tampered})
    assert refused.code == "guard_failed"
    assert refused.reasons == [
        "The text you were shown is not the text of any version of this article (the current "
        f"one is version {article.version}); reload the article and review it before signing."
    ]


@pytest.mark.parametrize("action", ["approve", "request_changes"])
def test_signing_without_naming_the_version_read_is_refused(
    author: Any, editor: Any, reviewer: Any, action: str
) -> None:
    """A signature must name the content hash the reviewer read; without it nothing is signed."""
    article = under_review(author=author, editor=editor, reviewers=[reviewer])
    refused = refusal(article, reviewer, action, note="A note.", params={})
    assert refused.code == "version_required"


# --- re-review dates -------------------------------------------------------------------------------


@pytest.mark.parametrize("override", [None, 90])
def test_approval_schedules_the_next_review(
    author: Any, editor: Any, reviewer: Any, override: int | None
) -> None:
    """Approval sets last reviewed today and the next review after the (overridable) interval."""
    article = under_review(author=author, editor=editor, reviewers=[reviewer])
    workflow = article.workflow
    workflow.review_interval_days = override
    workflow.save(update_fields=["review_interval_days"])
    approve(article, reviewer)
    workflow = fresh(article).workflow
    today = timezone.localdate()
    interval = override or settings.EDITORIAL_REVIEW_INTERVAL_DAYS
    assert workflow.last_reviewed_on == today
    assert workflow.next_review_due == today + timedelta(days=interval)
