"""House rules that no linter checks: module size, and where function-level imports may appear."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("editorial", "accounts", "references", "articles", "reviews", "public", "api")
# About 400 lines: a module that grows past this becomes a package of cohesive modules.
MAX_LINES = 420


def app_modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


@pytest.mark.parametrize("path", app_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_outgrows_about_four_hundred_lines(path: Path) -> None:
    lines = path.read_text().count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it"


@pytest.mark.parametrize("path", app_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_imports_the_project_to_dodge_a_cycle(path: Path) -> None:
    """Project imports sit at the top (or under TYPE_CHECKING); only AppConfig.ready() connects
    receivers by importing them, as Django documents."""
    tree = ast.parse(path.read_text())
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if function.name == "ready":
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.module:
                top = node.module.split(".")[0]
            elif isinstance(node, ast.Import):
                top = node.names[0].name.split(".")[0]
            else:
                continue
            assert top not in APPS, (
                f"{path.relative_to(ROOT)}:{node.lineno} imports {top} inside {function.name}()"
            )
