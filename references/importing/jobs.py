"""Imports as records: the report of every confirmed import, and big files done by tasks.

A file above `BACKGROUND_BYTES` is neither previewed nor imported within a request (a 5 MB
RIS file takes several seconds to plan): the upload stores it on a `ReferenceImport` and a task
previews it; the editor's confirmation queues a second task that imports it in one transaction,
all or nothing unless skipping was chosen. Progress counts go through the cache, because the
import's own transaction hides any row it writes until it commits.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from references.importing.plan import ImportPlan, ImportRefused, PlanChanged
from references.importing.service import references_import, references_import_plan
from references.importing.summary import import_report, preview_summary
from references.models import ReferenceImport

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

BACKGROUND_BYTES = 1024 * 1024  # a bigger file is previewed and imported by tasks
PROGRESS_EVERY = 250  # records between two progress writes to the cache
Status = ReferenceImport.Status


class ConfirmRefused(Exception):
    """The confirmation is not of the preview last shown; nothing was queued."""


def progress_key(job: ReferenceImport) -> str:
    return f"reference-import-progress:{job.pk}"


def import_progress(*, job: ReferenceImport) -> dict[str, Any] | None:
    """`{"phase", "done", "total"}` of a running job, if its task has reported any."""
    return cache.get(progress_key(job))


def _cache_progress(job: ReferenceImport) -> Callable[[str, int], Callable[[int], None]]:
    def progress(phase: str, total: int) -> Callable[[int], None]:
        state = {"phase": phase, "done": 0, "total": total}
        cache.set(progress_key(job), state, 3600)
        since = [0]

        def step(count: int) -> None:
            state["done"] += count
            since[0] += count
            if since[0] >= PROGRESS_EVERY or state["done"] >= total:
                since[0] = 0
                cache.set(progress_key(job), state, 3600)

        return step

    return progress


def reference_import_record(
    *, plan: ImportPlan, sha256: str, user: AbstractBaseUser | None
) -> ReferenceImport:
    """The report of an import just done within a request."""
    return ReferenceImport.objects.create(
        created_by=user,
        filename=plan.filename[:255],
        format=plan.format.value if plan.format else "",
        sha256=sha256,
        merge=sorted(row.record.number for row in plan.merged),
        skip_invalid=bool(plan.skipped),
        status=Status.DONE,
        digest=plan.digest(),
        report=import_report(plan),
        finished_at=timezone.now(),
    )


def reference_import_start(
    *, data: bytes, filename: str, fmt: str, user: AbstractBaseUser
) -> ReferenceImport:
    """Store a big file and queue its preview."""
    job = ReferenceImport.objects.create(
        created_by=user,
        filename=filename[:255],
        format=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        background=True,
        status=Status.PREVIEWING,
    )
    transaction.on_commit(lambda: plan_reference_import.enqueue(job_id=job.pk))
    return job


def reference_import_rechoose(*, job: ReferenceImport, merge: frozenset[int], skip: bool) -> None:
    """Preview the stored file again with the editor's choices."""
    if job.status != Status.PREVIEWED:
        raise ConfirmRefused(f"This import is {job.get_status_display().lower()}.")
    job.merge, job.skip_invalid, job.status = sorted(merge), skip, Status.PREVIEWING
    job.changed = False
    job.save(update_fields=["merge", "skip_invalid", "status", "changed"])
    transaction.on_commit(lambda: plan_reference_import.enqueue(job_id=job.pk))


def reference_import_queue(
    *, job: ReferenceImport, sha256: str, digest: str, merge: frozenset[int], skip: bool
) -> None:
    """Queue the import of exactly the preview last shown; anything else is refused."""
    if job.status != Status.PREVIEWED or not job.preview.get("ok"):
        raise ConfirmRefused(f"This import is {job.get_status_display().lower()}.")
    if sha256 != job.sha256 or digest != job.digest:
        raise ConfirmRefused("The confirmation is not of the preview shown: nothing was queued.")
    if sorted(merge) != sorted(job.merge) or skip != job.skip_invalid:
        raise ConfirmRefused(
            "The confirmation carries other choices than the preview shown: update the preview "
            "with them, check it and confirm again. Nothing was queued."
        )
    job.status = Status.QUEUED
    job.save(update_fields=["status"])
    transaction.on_commit(lambda: run_reference_import.enqueue(job_id=job.pk))


def _claim(job_id: int, expected: str, running: str) -> ReferenceImport | None:
    """Move the job from `expected` to `running`, once: a task run twice does nothing more."""
    if not ReferenceImport.objects.filter(pk=job_id, status=expected).update(status=running):
        return None
    return ReferenceImport.objects.get(pk=job_id)


def _fail(job: ReferenceImport, reason: str) -> None:
    job.status, job.error, job.data = Status.FAILED, reason, b""
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "data", "finished_at"])


@task()
def plan_reference_import(*, job_id: int) -> None:
    """Preview a stored file with the editor's choices; the job then waits for confirmation."""
    job = ReferenceImport.objects.filter(pk=job_id, status=Status.PREVIEWING).first()
    if job is None:
        return
    try:
        plan = references_import_plan(
            data=bytes(job.data),
            filename=job.filename,
            fmt=job.format or None,
            progress=_cache_progress(job),
            skip_invalid=job.skip_invalid,
            merge=frozenset(job.merge),
        )
    except Exception as error:
        logger.exception("Previewing reference import %s failed", job_id)
        _fail(job, f"The file could not be checked: {type(error).__name__}: {error}")
        return
    job.preview, job.digest = preview_summary(plan), plan.digest() if plan.ok else ""
    job.status = Status.PREVIEWED
    job.save(update_fields=["preview", "digest", "status"])


@task()
def run_reference_import(*, job_id: int) -> None:
    """Import a confirmed file in one transaction; a changed library brings a new preview."""
    job = _claim(job_id, Status.QUEUED, Status.RUNNING)
    if job is None:
        return
    try:
        plan = references_import(
            data=bytes(job.data),
            filename=job.filename,
            fmt=job.format or None,
            user=job.created_by,
            expected_digest=job.digest,
            progress=_cache_progress(job),
            skip_invalid=job.skip_invalid,
            merge=frozenset(job.merge),
        )
    except PlanChanged as changed:
        job.preview, job.digest = preview_summary(changed.plan), changed.plan.digest()
        job.status, job.changed = Status.PREVIEWED, True
        job.save(update_fields=["preview", "digest", "status", "changed"])
        return
    except ImportRefused as refused:
        job.preview = preview_summary(refused.plan)
        job.save(update_fields=["preview"])
        _fail(
            job,
            "The file was refused and nothing was written: "
            + "; ".join(refused.plan.messages()[:20]),
        )
        return
    except Exception as error:
        logger.exception("Reference import %s failed", job_id)
        _fail(job, f"Nothing was written: {type(error).__name__}: {error}")
        return
    job.status, job.report, job.data = Status.DONE, import_report(plan), b""
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "report", "data", "finished_at"])
