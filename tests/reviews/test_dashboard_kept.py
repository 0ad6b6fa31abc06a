"""The workspace home keeps each section's rendering for the workspace epoch (the day and the
page's parameters): what it shows after any write is what the queries would give."""

from __future__ import annotations

from typing import Any

import pytest

from reviews.models import ReviewerProfile
from reviews.services.transitions import transition_apply
from tests.factories import logged_in, make_article, make_reference, submit_and_review

pytestmark = pytest.mark.django_db


def test_a_submission_shows_on_the_editors_kept_dashboard_at_once(
    author: Any, editor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = logged_in(editor)
    assert "Knee pain at night" not in client.get("/workspace/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        article = make_article(author=author, title="Knee pain at night")
        transition_apply(article=article, user=author, action="submit")
    page = client.get("/workspace/").content.decode()
    assert "Knee pain at night" in page
    assert "Submitted (1)" in page


def test_renaming_a_reviewer_or_an_author_shows_on_the_kept_dashboard(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submit_and_review(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
    client = logged_in(editor)
    client.get("/workspace/?state=under_review")
    with django_capture_on_commit_callbacks(execute=True):
        profile = ReviewerProfile.objects.get(user=reviewer)
        profile.display_name = "Dr Ada Renamed"
        profile.save()
        author.first_name, author.last_name = "Grace", "Newname"
        author.save()
    page = client.get("/workspace/?state=under_review").content.decode()
    assert "Dr Ada Renamed" in page
    assert "Grace Newname" in page


def test_a_sign_in_does_not_move_the_epoch(
    editor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from reviews.workspace_epoch import workspace_epoch

    before = workspace_epoch()
    with django_capture_on_commit_callbacks(execute=True):
        logged_in(editor).get("/workspace/")
        editor.save(update_fields=["last_login"])
    assert workspace_epoch() == before


def test_each_reader_gets_their_own_sections_and_their_own_name(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The editors' section is shared by every editor; a reviewer's and an author's are theirs."""
    from accounts.roles import Role
    from tests.factories import make_user

    other_reviewer = make_user(Role.REVIEWER, username="second-reviewer")
    other_editor = make_user(Role.EDITOR, username="second-editor")
    with django_capture_on_commit_callbacks(execute=True):
        submit_and_review(
            make_article(author=author, title="Only for the first reviewer"),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
    assert "Only for the first reviewer" in logged_in(reviewer).get("/workspace/").content.decode()
    assert "Only for the first reviewer" not in (
        logged_in(other_reviewer).get("/workspace/").content.decode()
    )
    first = logged_in(editor).get("/workspace/").content.decode()
    second = logged_in(other_editor).get("/workspace/").content.decode()
    assert f"Sign out ({editor.get_username()})" in first
    assert "Sign out (second-editor)" in second
    assert f"Sign out ({editor.get_username()})" not in second
    assert first.split("<main")[1] == second.split("<main")[1]  # the same editors' section
