"""What a row of the workflow table is: a Transition, the Inputs it takes, the Effect it runs.

The vocabulary of `reviews.workflow`, kept below the effects so that they can name the row they
run for, and the table above them can name its effects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from accounts.roles import Role
from reviews.guards import Context, Guard
from reviews.models import Meaning, State


@dataclass(frozen=True)
class Input:
    """One piece of input a transition takes from the person taking it.

    `missing` is the refusal the transition service gives when a required input is absent (with
    its `code`); without it a guard judges the input instead. Note and password are arguments of
    the service, the others travel in its `params`.
    """

    name: str
    help: str
    required: bool = False
    missing: str = ""
    code: str = ""

    @property
    def in_params(self) -> bool:
        return self.name not in {"note", "password"}


NOTE = Input("note", "A note for the audit trail.")
NOTE_REQUIRED = Input(
    "note",
    "A note explaining the decision, kept in the audit trail.",
    required=True,
    missing="Give a note explaining this decision.",
    code="note_required",
)
PASSWORD = Input(
    "password",
    "The signer's password, entered again to sign.",
    required=True,
    missing="Your password was not correct; nothing was signed.",
    code="reauth",
)
CONTENT_HASH = Input(
    "content_hash",
    "The content hash of the version the reviewer read; the signature binds it.",
    required=True,
    missing="Say which version you reviewed (its content hash); nothing was signed.",
    code="version_required",
)
REVIEWERS = Input("reviewers", "Medical reviewers to assign to this cycle.")
DUE_ON = Input("due_on", "The date their review is due.")
WHEN = Input("when", "The date and time to do it.", required=True)
# Content rows: their input is the article form's (or the restore button's), not ActionForm's.
BASE_VERSION = Input(
    "base_version", "The version the change started from; a newer one refuses it.", required=True
)
CONTENT_FIELDS = Input(
    "fields", "Title, summary, audience texts, related articles, listed sources.", required=True
)
CHANGE_REASON = Input("change_reason", "Why the change was made.", required=True)
CHANGE_WEIGHT = Input("change_weight", "Minor or substantive (the default).")
TO_VERSION = Input("to_version", "The earlier version to restore.", required=True)

_NO_REROUTES: Mapping[State, State] = MappingProxyType({})


@dataclass(frozen=True)
class Transition:
    """One row of the workflow table.

    `target` None keeps the state; `target_by_source` overrides it for particular source states;
    `otherwise_by_source` is where the effect may send the article instead, from a source (a
    resubmission none of whose reviewers can carry on goes to the editors, not under review).
    `signs` makes the row a signature; `content` rows change the text and are applied by the
    content services (draft_update, version_revert), the table still saying who may take them in
    which state and what a change does to the state.
    """

    name: str
    label: str
    sources: frozenset[State]
    target: State | None
    roles: frozenset[Role]
    guards: tuple[Guard, ...] = ()
    effect: Effect | None = None
    inputs: tuple[Input, ...] = (NOTE,)
    signs: Meaning | None = None
    content: bool = False
    target_by_source: Mapping[State, State] = field(default=_NO_REROUTES)
    otherwise_by_source: Mapping[State, State] = field(default=_NO_REROUTES)

    def __post_init__(self) -> None:
        names = [i.name for i in self.inputs]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: an input is declared twice.")
        # A signature binds the version the reviewer read, and is given with the password.
        if self.signs and not {"password", "content_hash"} <= {
            i.name for i in self.inputs if i.required
        }:
            raise ValueError(f"{self.name}: a signing row needs the password and content hash.")
        if not set(self.target_by_source) <= self.sources:
            raise ValueError(f"{self.name}: target_by_source names a state it does not start from.")
        if not set(self.otherwise_by_source) <= self.sources:
            raise ValueError(
                f"{self.name}: otherwise_by_source names a state it does not start from."
            )

    def input(self, name: str) -> Input | None:
        return next((i for i in self.inputs if i.name == name), None)

    @property
    def needs_note(self) -> bool:
        note = self.input("note")
        return note is not None and note.required

    def target_for(self, state: State | str) -> State:
        """The state the row leads to from `state` (an effect may still hold it where it is)."""
        return self.target_by_source.get(state) or self.target or State(state)


# What taking a row does besides moving the state (reviews.services.effects). It returns None to
# follow the table, the current state to hold the article where it is, or the row's declared
# `otherwise_by_source` state for its source.
Effect = Callable[[Context, Transition, str], State | None]
