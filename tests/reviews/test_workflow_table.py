"""The table declares everything about a row: the form, the service and the doc follow it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.roles import Role
from reviews.forms import FIELDS, ActionForm
from reviews.management.commands import workflow_doc
from reviews.models import Meaning, State
from reviews.transition import NOTE, PASSWORD, Transition
from reviews.workflow import TRANSITIONS

ACTION_ROWS = [name for name, t in TRANSITIONS.items() if not t.content]


@pytest.mark.parametrize("name", ACTION_ROWS)
def test_the_action_form_asks_for_exactly_the_inputs_the_row_declares(db: Any, name: str) -> None:
    transition = TRANSITIONS[name]
    form = ActionForm(transition=transition)
    assert set(form.fields) == {spec.name for spec in transition.inputs}
    for spec in transition.inputs:
        assert form.fields[spec.name].required == spec.required, spec.name


def test_every_input_a_workflow_row_declares_has_a_form_field() -> None:
    declared = {spec.name for name in ACTION_ROWS for spec in TRANSITIONS[name].inputs}
    assert declared <= set(FIELDS)


def test_the_form_passes_only_the_declared_params(db: Any) -> None:
    """Note and password are arguments of the service; the rest travels in `params`."""
    form = ActionForm(
        {"note": "Ok.", "password": "pw", "content_hash": "abc"},
        transition=TRANSITIONS["approve"],
    )
    assert form.is_valid(), form.errors
    assert form.params() == {"content_hash": "abc"}


def test_content_rows_declare_that_approved_content_returns_to_review() -> None:
    """An edit of approved text is not a silent side effect: the table says where it leads."""
    for name in ("edit", "revert"):
        row = TRANSITIONS[name]
        assert row.content and row.effect is not None
        assert row.target_for(State.APPROVED) == State.UNDER_REVIEW
        assert row.target_for(State.DRAFT) == State.DRAFT


def test_every_guard_and_effect_says_in_one_line_what_it_does() -> None:
    """The generated doc shows these lines; a row without them would document nothing."""
    for row in TRANSITIONS.values():
        for function in [*row.guards, *([row.effect] if row.effect else [])]:
            assert (function.__doc__ or "").strip(), f"{row.name}: {function.__name__}"


def test_a_signing_row_must_declare_the_password_and_the_hash() -> None:
    with pytest.raises(ValueError, match="password and content hash"):
        Transition(
            "sign",
            "Sign",
            frozenset({State.UNDER_REVIEW}),
            State.APPROVED,
            frozenset({Role.REVIEWER}),
            inputs=(NOTE, PASSWORD),
            signs=Meaning.APPROVED,
        )


def test_the_workflow_doc_is_current() -> None:
    """docs/workflow.md is generated from the table; regenerate it with `manage.py workflow_doc`."""
    call_command("workflow_doc", "--check")


def test_the_workflow_doc_check_fails_when_the_file_differs(
    tmp_path: Any, settings: Any, monkeypatch: Any
) -> None:
    settings.BASE_DIR = tmp_path
    with pytest.raises(CommandError, match="out of date"):
        call_command("workflow_doc", "--check")
    call_command("workflow_doc")
    assert (tmp_path / workflow_doc.DOC_PATH).read_text() == workflow_doc.workflow_markdown()
    call_command("workflow_doc", "--check")
    (tmp_path / workflow_doc.DOC_PATH).write_text("edited by hand\n")
    with pytest.raises(CommandError):
        call_command("workflow_doc", "--check")


def test_the_workflow_doc_lists_every_row_with_its_guards_and_effect() -> None:
    text = workflow_doc.workflow_markdown()
    for row in TRANSITIONS.values():
        assert f"`{row.name}`" in text
        for guard in row.guards:
            assert f"`{guard.__name__}`" in text
    assert "approved → under review" in text
