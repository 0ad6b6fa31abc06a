"""Reference library pages: an editor's import (upload -> preview -> confirm) and the public
downloads of a published article's references (RIS, CSL-JSON).

Between preview and confirm the uploaded bytes wait in the server-side session (at most 5 MB),
never in the browser: the confirm form carries only the SHA-256 of the previewed file and the
digest of the previewed plan. Confirming re-reads the stored bytes, checks both, and imports in
one transaction; if the library changed meanwhile, the new preview is shown instead of writing
something the editor did not see.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import ROLE_GROUPS, Role, user_group_names
from references.importing import (
    ImportPlan,
    ImportRefused,
    PlanChanged,
    references_import,
    references_import_plan,
)
from references.importing.jobs import (
    BACKGROUND_BYTES,
    ConfirmRefused,
    import_progress,
    reference_import_queue,
    reference_import_rechoose,
    reference_import_record,
    reference_import_start,
)
from references.importing.summary import preview_summary, report_message
from references.models import ReferenceImport
from references.parsers import Format
from references.selectors import recent_reference_imports

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SESSION_KEY = "reference_import"


class ReferenceUploadForm(forms.Form):
    file = forms.FileField(
        help_text="RIS (.ris), BibTeX (.bib), MEDLINE/PubMed (.nbib, .txt) or CSL-JSON (.json), UTF-8, at most 5 MB."
    )
    format = forms.ChoiceField(
        choices=[("", "From the file name"), *Format.choices],
        required=False,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                "The file is %(size)s MB; the limit is 5 MB. Split it, or import it on the server "
                "with `manage.py import_references`.",
                code="too_large",
                params={"size": round(upload.size / (1024 * 1024), 1)},
            )
        return upload


def _require_editor(user: AbstractBaseUser) -> None:
    if ROLE_GROUPS[Role.EDITOR] not in user_group_names(user):
        raise PermissionDenied("Only editors import references.")


def _choices(post: Any) -> tuple[frozenset[int], bool]:
    """The editor's answers on a preview: `merge-<record>=merge` radios and the skip box."""
    merge: set[int] = set()
    for key, value in post.items():
        if key.startswith("merge-") and value == "merge":
            number = key.removeprefix("merge-")
            if not number.isdigit() or len(number) > 7:
                raise BadChoice(f"“{key}” does not name a record.")
            merge.add(int(number))
    return frozenset(merge), post.get("skip_invalid") == "on"


class BadChoice(ValueError):
    """A preview's form sent something no preview offers."""


def _preview(
    request: HttpRequest,
    summary: dict[str, Any],
    *,
    sha256: str = "",
    status: int = 200,
    changed: bool = False,
    plan: ImportPlan | None = None,
    job: ReferenceImport | None = None,
    skip_invalid: bool = False,
) -> HttpResponse:
    return render(
        request,
        "articles/references/preview.html",
        {
            "plan": plan,
            "summary": summary,
            "sha256": sha256,
            "changed": changed,
            "job": job,
            "skip_invalid": skip_invalid,
        },
        status=status,
    )


def _preview_plan(
    request: HttpRequest, plan: ImportPlan, *, sha256: str = "", status: int = 200, **extra: Any
) -> HttpResponse:
    if not plan.ok and status == 200:
        status = 422
    return _preview(
        request,
        preview_summary(plan),
        plan=plan,
        sha256=sha256,
        status=status,
        skip_invalid=bool(plan.skipped),
        **extra,
    )


@login_required
@require_http_methods(["GET", "POST"])
def reference_import(request: HttpRequest) -> HttpResponse:
    """Upload a file and see what importing it would do; nothing is written here."""
    _require_editor(request.user)
    if request.method == "GET":
        return render(
            request,
            "articles/references/import.html",
            {"form": ReferenceUploadForm(), "recent": recent_reference_imports()},
        )
    form = ReferenceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        too_large = any(e.code == "too_large" for e in form.errors.as_data().get("file", []))
        return render(
            request,
            "articles/references/import.html",
            {"form": form},
            status=413 if too_large else 400,
        )
    upload = form.cleaned_data["file"]
    data = upload.read()
    request.session.pop(SESSION_KEY, None)
    if len(data) > BACKGROUND_BYTES:
        job = reference_import_start(
            data=data, filename=upload.name, fmt=form.cleaned_data["format"], user=request.user
        )
        return redirect("references:import_job", pk=job.pk)
    plan = references_import_plan(
        data=data, filename=upload.name, fmt=form.cleaned_data["format"] or None
    )
    if plan.file_error:
        return _preview_plan(request, plan)
    sha256 = hashlib.sha256(data).hexdigest()
    request.session[SESSION_KEY] = {
        "name": upload.name,
        "format": plan.format.value if plan.format else "",
        "sha256": sha256,
        "data": base64.b64encode(data).decode("ascii"),
    }
    return _preview_plan(request, plan, sha256=sha256)


def _stale(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "articles/references/import.html",
        {"form": ReferenceUploadForm(), "stale": True},
        status=409,
    )


def _stored_upload_and_choices(
    request: HttpRequest,
) -> tuple[dict[str, Any], bytes, frozenset[int], bool] | HttpResponse:
    """The previewed upload waiting in the session and the editor's posted choices, or the page
    that says why not (409 when the session no longer holds the file shown, 400 for a forged
    choice)."""
    _require_editor(request.user)
    stored = request.session.get(SESSION_KEY) or {}
    data = _stored_bytes(stored)
    if data is None or stored.get("sha256") != request.POST.get("sha256"):
        return _stale(request)
    try:
        merge, skip = _choices(request.POST)
    except BadChoice as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    return stored, data, merge, skip


@login_required
@require_POST
def reference_import_choose(request: HttpRequest) -> HttpResponse:
    """Preview the stored file again with the editor's merge and skip choices."""
    got = _stored_upload_and_choices(request)
    if isinstance(got, HttpResponse):
        return got
    stored, data, merge, skip = got
    plan = references_import_plan(
        data=data,
        filename=stored["name"],
        fmt=stored["format"] or None,
        merge=merge,
        skip_invalid=skip,
    )
    return _preview_plan(request, plan, sha256=stored["sha256"])


@login_required
@require_POST
def reference_import_confirm(request: HttpRequest) -> HttpResponse:
    """Import the previewed file from the session, if it is the one the editor saw."""
    got = _stored_upload_and_choices(request)
    if isinstance(got, HttpResponse):
        return got
    stored, data, merge, skip = got
    try:
        plan = references_import(
            data=data,
            filename=stored["name"],
            fmt=stored["format"] or None,
            user=request.user,
            expected_digest=request.POST.get("plan", ""),
            merge=merge,
            skip_invalid=skip,
        )
    except PlanChanged as changed:
        return _preview_plan(
            request, changed.plan, sha256=stored["sha256"], status=409, changed=True
        )
    except ImportRefused as refused:
        return _preview_plan(request, refused.plan, sha256=stored["sha256"], status=422)
    request.session.pop(SESSION_KEY, None)
    record = reference_import_record(plan=plan, sha256=stored["sha256"], user=request.user)
    messages.success(request, report_message(plan))
    return redirect("references:import_job", pk=record.pk)


def _stored_bytes(stored: dict[str, Any]) -> bytes | None:
    """The stored upload, or None when there is none or it is not what was hashed."""
    try:
        data = base64.b64decode(stored["data"], validate=True)
    except (KeyError, TypeError, binascii.Error):
        return None
    return data if hashlib.sha256(data).hexdigest() == stored.get("sha256") else None


def _job(request: HttpRequest, pk: int) -> ReferenceImport:
    _require_editor(request.user)
    return get_object_or_404(ReferenceImport, pk=pk)


@login_required
@require_GET
def reference_import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """An import's page: its progress while a task works on it, its preview, then its report."""
    job = _job(request, pk)
    if job.status == ReferenceImport.Status.PREVIEWED:
        return _preview(
            request,
            job.preview,
            sha256=job.sha256,
            changed=job.changed,
            job=job,
            skip_invalid=job.skip_invalid,
            status=200 if job.preview.get("ok") else 422,
        )
    return render(
        request,
        "articles/references/import_job.html",
        {"job": job, "progress": import_progress(job=job), "refresh": not job.finished},
    )


@login_required
@require_POST
def reference_import_job_choose(request: HttpRequest, pk: int) -> HttpResponse:
    """Preview a big file again, in the background, with the editor's choices."""
    job = _job(request, pk)
    try:
        merge, skip = _choices(request.POST)
        reference_import_rechoose(job=job, merge=merge, skip=skip)
    except BadChoice as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    except ConfirmRefused as refused:
        return HttpResponse(str(refused), status=409, content_type="text/plain")
    return redirect("references:import_job", pk=job.pk)


@login_required
@require_POST
def reference_import_job_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the import of a big file's preview, exactly as it was shown."""
    job = _job(request, pk)
    try:
        merge, skip = _choices(request.POST)
        reference_import_queue(
            job=job,
            sha256=request.POST.get("sha256", ""),
            digest=request.POST.get("plan", ""),
            merge=merge,
            skip=skip,
        )
    except BadChoice as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    except ConfirmRefused as refused:
        return HttpResponse(str(refused), status=409, content_type="text/plain")
    return redirect("references:import_job", pk=job.pk)
