"""The edit form's JSON helpers: autosave (and discarding it), and the related-articles search.

They answer in JSON, errors too ({"error": "...", "reasons": [...]}), because a script reads
them: a refusal is shown in the form's status line, never as a page. The statuses are those of
`reviews.refusals.refusal_for`, with the payload's own: 400 for a malformed one, 413 for too
large, 401 when the session has ended (a redirect to the sign-in page would read as success).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from reviews.refusals import refusal_for
from reviews.selectors import drafting, roles
from reviews.services import autosave
from reviews.views.common import article_or_404

View = Callable[..., HttpResponse]


def _error(status: int, reasons: list[str]) -> JsonResponse:
    response = JsonResponse({"error": " ".join(reasons), "reasons": reasons}, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def json_answers(view: View) -> View:
    """Answer the view's refusals in JSON with their status (the one mapping, plus 400/413)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return _error(401, ["You are signed out. Sign in again to keep saving."])
        try:
            return view(request, *args, **kwargs)
        except autosave.AutosaveTooLarge as error:
            return _error(413, error.messages)
        except Http404 as error:
            return _error(404, [str(error) or "Not found."])
        except PermissionDenied as error:
            return _error(403, [str(error) or "You may not do this."])
        except ValidationError as error:
            # A payload the page's script built wrongly: not a form the person can correct.
            return _error(400, error.messages)
        except Exception as error:
            refusal = refusal_for(error)
            if refusal is None:
                raise
            return _error(refusal.status, refusal.reasons)

    return wrapped


def _payload(request: HttpRequest, *, limit: int) -> dict[str, Any]:
    """The JSON object posted, refused before it is read when it says it is too large."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise autosave.AutosaveTooLarge(
            f"The autosave is {length:,} bytes; at most {limit:,} are accepted."
        )
    try:
        data = json.loads(request.body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError(f"The autosave is not valid JSON: {error}.") from None
    if not isinstance(data, dict) or "fields" not in data:
        raise ValidationError('Send a JSON object: {"base_version": N, "fields": {...}}.')
    extra = sorted(set(data) - {"base_version", "fields"})
    if extra:
        raise ValidationError(f"Unknown key(s) in the autosave: {', '.join(extra[:5])}.")
    return data


@require_POST
@json_answers
def autosave_store(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Keep the edit form's state (POST, JSON, CSRF token in X-CSRFToken); makes no version."""
    article = article_or_404(request, slug) if slug else None
    data = _payload(request, limit=autosave.max_autosave_bytes())
    kept = autosave.autosave_store(
        user=request.user,
        article=article,
        data=data["fields"],
        base_version=data.get("base_version"),
    )
    shown = timezone.localtime(kept.saved_at).strftime("%H:%M")
    response = JsonResponse(
        {
            "saved_at": kept.saved_at.isoformat(),
            "base_version": kept.base_version,
            "message": f"Saved as draft at {shown} (not a new version).",
        }
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def autosave_discard(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Forget the unsaved changes and show the form with the saved version (a plain form post)."""
    if not request.user.is_authenticated:
        return redirect("login")
    article = article_or_404(request, slug) if slug else None
    autosave.autosave_discard(user=request.user, article=article)
    messages.info(request, "Unsaved changes discarded: the form shows the saved version.")
    if article is None:
        return redirect("reviews:create")
    return redirect("reviews:edit", slug=article.slug)


@require_GET
@json_answers
def related_search(request: HttpRequest) -> HttpResponse:
    """Articles the user may name as related whose title or address holds `q` (top 20)."""
    if not roles.can_create_articles(user=request.user):
        raise PermissionDenied("Only authors and editors choose related articles.")
    query = request.GET.get("q", "").strip()
    if len(query) < drafting.MIN_SEARCH_CHARS:
        raise ValidationError(f"Type at least {drafting.MIN_SEARCH_CHARS} characters to search.")
    if len(query) > drafting.MAX_SEARCH_CHARS:
        raise ValidationError(f"Search with at most {drafting.MAX_SEARCH_CHARS} characters.")
    exclude = request.GET.get("exclude", "")
    results = drafting.related_search(
        user=request.user,
        query=query,
        exclude_pk=int(exclude) if exclude.isdigit() and len(exclude) < 19 else None,
    )
    response = JsonResponse({"results": results})
    response["Cache-Control"] = "private, no-store"
    return response
