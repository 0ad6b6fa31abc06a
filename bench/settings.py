"""Settings for benchmark servers only: the real settings plus two floors that never ship.

`DJANGO_SETTINGS_MODULE=bench.settings` adds, on the same server as the application:

- `/bench/constant/`: a plain Django view returning a saved copy of the article page's HTML from
  memory, through the full middleware stack (the ceiling of gunicorn + Django on this machine);
- `/static/bench/article.html`: the same bytes as a static file served by whitenoise from a
  collectstatic run into a bench-only STATIC_ROOT.

Everything else is editorial.settings as production runs it (DEBUG off, PostgreSQL, Redis,
compressed manifest static files). The bench runner sets BENCH_DIR to a scratch folder.
"""

from __future__ import annotations

import os
from pathlib import Path

# Generated data is reused across runs and its chains are keyed: one fixed, bench-only audit key
# (never a production value) lets every run's server verify what the generator wrote.
os.environ.setdefault("EDITORIAL_AUDIT_KEY", "bench-only-audit-key-not-a-secret")
os.environ.setdefault(
    "EDITORIAL_AUDIT_CHECKPOINT_DIR",
    str(Path(os.environ.get("BENCH_DIR", "/tmp/editorial-bench")) / "audit-checkpoints"),
)

from editorial.settings import *  # noqa: E402, F403
from editorial.settings import BASE_DIR, STATICFILES_DIRS  # noqa: E402

BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/tmp/editorial-bench"))
# The saved article page (`bench/measure.py prepare` writes it before gunicorn starts).
BENCH_SNAPSHOT = BENCH_DIR / "snapshot" / "article.html"
# bench/article.html below this folder is collected next to the app's own static files.
BENCH_EXTRA_STATIC = BENCH_DIR / "extra-static"

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", str(BENCH_DIR / "staticfiles")))
BENCH_EXTRA_STATIC.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [*STATICFILES_DIRS, BENCH_EXTRA_STATIC]
# Mail from the write-path measurements (voided approvals, decisions) stays in memory.
EMAIL_BACKEND_PATH = "django.core.mail.backends.locmem.EmailBackend"
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": {}}}

assert BASE_DIR  # the repository root, for readers of this file
