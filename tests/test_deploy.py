"""Production settings: `check --deploy` is clean, debug is off by default, the key is required."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "editorial.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_variables() -> None:
    """With a real secret key and hosts, Django's deployment checklist reports nothing."""
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DJANGO_SECRET_KEY": "k" * 20 + "-Prod-Like-Secret-Value-0123456789-abcdefghij",
            "DJANGO_ALLOWED_HOSTS": "health.example.org",
        },
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start() -> None:
    """Debug defaults to off, and then a missing DJANGO_SECRET_KEY is a clear start-up error."""
    result = run_manage("check", env={})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_every_model_change_has_its_migration() -> None:
    """makemigrations --check finds nothing to write, with debug on and on a bare checkout (debug
    off, no key: the command only reads code, so it needs none)."""
    for env in ({"DJANGO_DEBUG": "1"}, {}):
        result = run_manage("makemigrations", "--check", "--dry-run", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No changes detected" in result.stdout


def test_only_the_code_reading_commands_run_without_a_key() -> None:
    """Anything that serves, migrates or writes still refuses to start without one."""
    for command in (["migrate", "--plan"], ["load_demo"], ["check"]):
        result = run_manage(*command, env={})
        assert result.returncode != 0, command
        assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("missing", ["EDITORIAL_AUDIT_KEY", "EDITORIAL_AUDIT_CHECKPOINT_DIR"])
def test_debug_off_without_the_audit_key_or_checkpoint_directory_refuses_to_start(
    missing: str,
) -> None:
    """Like the secret key: unset, the audit chains could be neither signed nor anchored."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL")) and k != missing
    }
    env.update(DJANGO_SETTINGS_MODULE="editorial.settings", DJANGO_SECRET_KEY="s" * 50)
    env.setdefault("EDITORIAL_AUDIT_KEY", "a" * 50)
    env.setdefault("EDITORIAL_AUDIT_CHECKPOINT_DIR", "/tmp/checkpoints")
    env.pop(missing)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr
