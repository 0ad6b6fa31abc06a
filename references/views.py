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
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import ROLE_GROUPS, Role, user_group_names
from references.importing import (
    ImportPlan,
    ImportRefused,
    PlanChanged,
    references_import,
    references_import_plan,
)
from references.parsers import Format
from references.vancouver import format_reference

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SESSION_KEY = "reference_import"
PREVIEW_ROWS = 500  # a preview lists this many records; the counts cover all of them


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


def _preview(
    request: HttpRequest,
    plan: ImportPlan,
    *,
    sha256: str = "",
    status: int = 200,
    changed: bool = False,
) -> HttpResponse:
    return render(
        request,
        "articles/references/preview.html",
        {
            "plan": plan,
            "rows": [(row, format_reference(row.reference)) for row in plan.rows[:PREVIEW_ROWS]],
            "hidden_rows": max(0, len(plan.rows) - PREVIEW_ROWS),
            "sha256": sha256,
            "changed": changed,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def reference_import(request: HttpRequest) -> HttpResponse:
    """Upload a file and see what importing it would do; nothing is written here."""
    _require_editor(request.user)
    if request.method == "GET":
        return render(request, "articles/references/import.html", {"form": ReferenceUploadForm()})
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
    plan = references_import_plan(
        data=data, filename=upload.name, fmt=form.cleaned_data["format"] or None
    )
    request.session.pop(SESSION_KEY, None)
    if not plan.ok:
        return _preview(request, plan, status=422)
    sha256 = hashlib.sha256(data).hexdigest()
    request.session[SESSION_KEY] = {
        "name": upload.name,
        "format": plan.format.value if plan.format else "",
        "sha256": sha256,
        "data": base64.b64encode(data).decode("ascii"),
    }
    return _preview(request, plan, sha256=sha256)


@login_required
@require_POST
def reference_import_confirm(request: HttpRequest) -> HttpResponse:
    """Import the previewed file from the session, if it is the one the editor saw."""
    _require_editor(request.user)
    stored = request.session.get(SESSION_KEY) or {}
    data = _stored_bytes(stored)
    if data is None or stored.get("sha256") != request.POST.get("sha256"):
        form = ReferenceUploadForm()
        return render(
            request,
            "articles/references/import.html",
            {
                "form": form,
                "stale": True,
            },
            status=409,
        )
    try:
        plan = references_import(
            data=data,
            filename=stored["name"],
            fmt=stored["format"] or None,
            user=request.user,
            expected_digest=request.POST.get("plan", ""),
        )
    except PlanChanged as changed:
        return _preview(request, changed.plan, sha256=stored["sha256"], status=409, changed=True)
    except ImportRefused as refused:
        request.session.pop(SESSION_KEY, None)
        return _preview(request, refused.plan, status=422)
    request.session.pop(SESSION_KEY, None)
    counts = plan.counts
    messages.success(
        request,
        (
            f"Imported {plan.filename}: {counts['create']} created, {counts['update']} updated, "
            f"{counts['duplicate']} duplicate."
        ),
    )
    return redirect("references:import")


def _stored_bytes(stored: dict[str, Any]) -> bytes | None:
    """The stored upload, or None when there is none or it is not what was hashed."""
    try:
        data = base64.b64decode(stored["data"], validate=True)
    except (KeyError, TypeError, binascii.Error):
        return None
    return data if hashlib.sha256(data).hexdigest() == stored.get("sha256") else None
