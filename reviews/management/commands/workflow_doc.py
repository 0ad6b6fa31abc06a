"""Render the workflow table as Markdown (docs/workflow.md), or check that the file is current.

The document is generated from `reviews.workflow.TRANSITIONS`, the same rows the services apply,
so it cannot describe a workflow the code does not run; `--check` (run by the tests) fails when
the file and the table disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reviews.models import State
from reviews.transition import Input, Transition
from reviews.workflow import TRANSITIONS

DOC_PATH = Path("docs") / "workflow.md"


def _first_line(function: Callable[..., Any]) -> str:
    return (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else ""


def _cell(lines: Iterable[str]) -> str:
    """One table cell: lines joined by <br>, pipes escaped so they do not split the row."""
    return "<br>".join(line.replace("|", "\\|") for line in lines) or "—"


def _states(states: Iterable[State]) -> str:
    return ", ".join(State(s).label.lower() for s in State if s in set(states))


def _to(transition: Transition) -> list[str]:
    lines = [State(transition.target).label.lower() if transition.target else "unchanged"]
    lines += [
        f"{State(source).label.lower()} → {State(target).label.lower()}"
        for source, target in transition.target_by_source.items()
    ]
    lines += [
        f"otherwise {State(source).label.lower()} → {State(target).label.lower()}"
        for source, target in transition.otherwise_by_source.items()
    ]
    return lines


def _input(spec: Input) -> str:
    return f"`{spec.name}`{' (required)' if spec.required else ''}: {spec.help}"


def workflow_markdown() -> str:
    """The workflow document, from the table alone."""
    out = [
        "# The editorial workflow",
        "",
        "Generated from `reviews.workflow.TRANSITIONS` by `python manage.py workflow_doc`; do not",
        "edit it by hand. The tests run `workflow_doc --check`, which fails when this file and the",
        "table disagree.",
        "",
        "Every change of state goes through the transition service "
        "(`reviews.services.transitions`),",
        "which checks the row's roles and source states, its required inputs and its guards, runs",
        "its effect, moves the state and appends an audit event; the state field refuses any other",
        "assignment. An effect may hold the article where it is (an approval short of the quorum),",
        'or send it where its row says it otherwise goes ("otherwise" in the To column), never',
        "anywhere the table does not say.",
        "",
        "## States",
        "",
        "| State | Label | Rows that start here |",
        "| --- | --- | --- |",
    ]
    for state in State:
        leaving = [t.name for t in TRANSITIONS.values() if state in t.sources]
        out.append(f"| `{state.value}` | {state.label} | {_cell([', '.join(leaving)])} |")
    out += [
        "",
        "## Transitions",
        "",
        "Content rows (edit, revert) are taken through the article form and the restore button;",
        "the others through the workspace's action pages and the drafting API.",
        "",
        "| Name | Label | From | To | Who | Guards | Inputs | Effect |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in TRANSITIONS.values():
        kind = " (content)" if t.content else (" (signs)" if t.signs else "")
        guards = [f"`{g.__name__}`: {_first_line(g)}" for g in t.guards]
        effect = f"`{t.effect.__name__}`: {_first_line(t.effect)}" if t.effect else ""
        who = ", ".join(role.value for role in sorted(t.roles))
        row = [
            f"`{t.name}`{kind}",
            _cell([t.label]),
            _states(t.sources),
            _cell(_to(t)),
            who,
            _cell(guards),
            _cell(_input(i) for i in t.inputs),
            _cell([effect] if effect else []),
        ]
        out.append("| " + " | ".join(row) + " |")
    if any(t.signs for t in TRANSITIONS.values()):
        out += ["", "## Signatures", ""]
        out += [
            f"- `{t.name}` signs as “{t.signs.label}”, binding the version's content hash."
            for t in TRANSITIONS.values()
            if t.signs
        ]
    return "\n".join(out) + "\n"


class Command(BaseCommand):
    help = "Write docs/workflow.md from the workflow table, or --check that it is current."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit non-zero when docs/workflow.md differs from the table.",
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        path = Path(settings.BASE_DIR) / DOC_PATH
        text = workflow_markdown()
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if check:
            if current != text:
                raise CommandError(
                    f"{DOC_PATH} is out of date with the workflow table: "
                    "run `python manage.py workflow_doc` and commit the result."
                )
            self.stdout.write(f"{DOC_PATH} is current.")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {DOC_PATH}."))
