"""Settings for the test run: the real settings, production-like (DEBUG off), with test values
for what production takes from the environment. Real environment variables still win, so
DATABASE_URL points the suite at PostgreSQL."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-key-not-a-secret-" + "x" * 40)
os.environ.setdefault("EDITORIAL_AUDIT_KEY", "test-only-audit-key-not-a-secret")
# Each test gets its own checkpoint directory (tests/conftest.py); this one is only the default.
os.environ.setdefault(
    "EDITORIAL_AUDIT_CHECKPOINT_DIR", tempfile.mkdtemp(prefix="editorial-audit-checkpoints-")
)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_PLAIN_STATIC", "1")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

from editorial.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests only
# Static files straight from the source folders (no collectstatic before a test run).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# One process, one memory cache: the shared page cache is exercised as in production.
EDITORIAL_SHARED_PAGE_CACHE = True

# Tasks run at once, in the test's process: a committed change's mail is in the outbox when the
# commit returns. tests/reviews/test_mail_tasks.py runs the database backend and its worker.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

# On SQLite the test database is a file of this run's own, not Django's shared in-memory one: the
# browser tests' live server answers from its own thread, and one in-memory connection shared by
# two threads fails under load ("bad parameter or other API misuse") whenever the test and the
# server touch it at once. A file gives each thread its own connection; WAL lets the server read
# while the test writes, and the timeout waits out a writer instead of failing.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"editorial-test-{os.getpid()}.sqlite3")
    }
    DATABASES["default"].setdefault("OPTIONS", {}).update(  # noqa: F405
        {
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

# The suite runs with the read replica's router and middleware, the replica being a mirror of the
# test database. tests/conftest.py hands each test's replica alias the primary's own connection,
# so replica reads see the rows the test wrote in its (never committed) transaction;
# tests/test_replica_routing.py uses a real second connection instead.
DATABASES.setdefault("replica", {**DATABASES["default"], "TEST": {"MIRROR": "default"}})  # noqa: F405
DATABASE_ROUTERS = ["tests.routers.TestCaseReplicaRouter"]
if "editorial.replicas.ReplicaMiddleware" not in MIDDLEWARE:  # noqa: F405
    MIDDLEWARE.insert(  # noqa: F405
        MIDDLEWARE.index("public.middleware.PublicCacheMiddleware") + 1,  # noqa: F405
        "editorial.replicas.ReplicaMiddleware",
    )
