"""Admin for articles: the list (state, audiences, what is overdue) and the edit form.

Edits go through the workflow's services (draft_create, draft_update, version_revert), as in the
workspace. The list is scoped like every article admin page (`scoping.ArticleScopedAdmin`), and
its columns and filters read the article row, its workflow (joined) and one EXISTS over the open
assignments: the same number of queries for 10 articles or 10,000.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from articles.audiences import audience_keys, audiences
from articles.forms import ArticleContentForm, text_field_name
from articles.models import Article
from reviews.admin.process import ReadOnlyAdmin
from reviews.admin.scoping import ArticleScopedAdmin
from reviews.models import Autosave
from reviews.selectors.signing import open_assignments
from reviews.services.content import draft_create, draft_update, version_revert
from reviews.services.errors import EditConflict, WorkflowError
from reviews.services.topics import article_topics_set


class CoverageFilter(admin.SimpleListFilter):
    """Which audiences have a text: a required one missing, all present, or one audience."""

    title = "audience texts"
    parameter_name = "coverage"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        choices = [
            ("missing_required", "Missing a required audience"),
            ("complete", "Every audience has a text"),
        ]
        for audience in audiences().values():
            choices += [
                (f"has_{audience.key}", f"Has a {audience.label.lower()} text"),
                (f"no_{audience.key}", f"No {audience.label.lower()} text"),
            ]
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> QuerySet[Article]:
        # Empty texts are dropped when an article is saved, so "has a key" is "has a text".
        value = self.value() or ""
        if value == "missing_required":
            missing = Q(pk__in=[])
            for key in settings.EDITORIAL_REQUIRED_AUDIENCES:
                missing |= ~Q(texts__has_key=key)
            return queryset.filter(missing)
        if value == "complete":
            return queryset.filter(texts__has_keys=audience_keys())
        kind, _, key = value.partition("_")
        if key in audiences() and kind in ("has", "no"):
            present = Q(texts__has_key=key)
            return queryset.filter(present if kind == "has" else ~present)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    """Late work: a published article past its re-review date, or a review past its due date."""

    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("any", "Anything overdue"),
            ("rereview", "Re-review date passed"),
            ("review", "A review past its due date"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> QuerySet[Article]:
        today = timezone.localdate()
        rereview = Q(workflow__next_review_due__lt=today, live_version__isnull=False)
        review = Q(Exists(late_reviews(today=today)))
        chosen = {"any": rereview | review, "rereview": rereview, "review": review}
        condition = chosen.get(self.value() or "")
        return queryset if condition is None else queryset.filter(condition)


def late_reviews(*, today: Any) -> QuerySet[Any]:
    """The article's open reviews (the dashboard's definition) past their due date."""
    return open_assignments().filter(article_id=OuterRef("pk"), due_on__lt=today)


@admin.register(Article)
class ArticleAdmin(ArticleScopedAdmin, SimpleHistoryAdmin):
    article_path = ""

    form = ArticleContentForm
    list_display = [
        "title",
        "slug",
        "state",
        "version",
        "audience_texts",
        "overdue",
        "is_public",
        "live_pending_review",
        "updated_at",
    ]
    list_filter = [("workflow__state", admin.ChoicesFieldListFilter), CoverageFilter, OverdueFilter]
    list_select_related = ["workflow"]
    search_fields = ["title", "slug"]
    readonly_fields = ["version", "content_hash", "citation_keys", "live_version", "published_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        # One EXISTS in the list's query, so the "overdue" column costs no query per row.
        return (
            super()
            .get_queryset(request)
            .annotate(review_late=Exists(late_reviews(today=timezone.localdate())))
        )

    @admin.display(description="State", ordering="workflow__state")
    def state(self, obj: Article) -> str:
        workflow = getattr(obj, "workflow", None)
        return workflow.get_state_display() if workflow else "—"

    @admin.display(description="Audience texts")
    def audience_texts(self, obj: Article) -> str:
        present = [a.label for a in audiences().values() if a.key in (obj.texts or {})]
        missing = [
            audiences()[key].label
            for key in settings.EDITORIAL_REQUIRED_AUDIENCES
            if key in audiences() and key not in (obj.texts or {})
        ]
        shown = ", ".join(present) or "none"
        return f"{shown} (missing required: {', '.join(missing)})" if missing else shown

    @admin.display(description="Overdue")
    def overdue(self, obj: Article) -> str:
        workflow = getattr(obj, "workflow", None)
        late = []
        due = workflow.next_review_due if workflow else None
        if obj.live_version_id and due and due < timezone.localdate():
            late.append(f"re-review due {due:%d %b %Y}")
        if getattr(obj, "review_late", False):
            late.append("a review is past its due date")
        return "; ".join(late) or "—"

    def get_fieldsets(self, request: HttpRequest, obj: Article | None = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            # View only: every field is shown read-only, so show the model's own fields (the
            # form's per-audience and per-change fields exist only on an editable form).
            return [
                (None, {"fields": ["slug", "title", "summary", "sources", "texts"]}),
                ("Version", {"fields": self.readonly_fields}),
            ]
        text_fields = [text_field_name(key) for key in audience_keys()]
        return [
            (None, {"fields": ["slug", "title", "summary", "sources", "related", "topics"]}),
            ("Texts", {"fields": text_fields}),
            ("This change", {"fields": ["change_reason", "change_weight", "base_version"]}),
            ("Version", {"fields": self.readonly_fields}),
        ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"picker_user": request.user})

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                draft_update(
                    article=obj,
                    user=request.user,
                    base_version=data["base_version"]
                    if data["base_version"] is not None
                    else obj.version,
                    fields=form.content_fields(),
                    change_reason=data["change_reason"],
                    change_weight=data["change_weight"],
                )
                obj.refresh_from_db()
            else:
                created = draft_create(
                    user=request.user,
                    slug=data["slug"],
                    change_reason=data["change_reason"],
                    **form.content_fields(),
                )
                obj.pk = created.pk
            article_topics_set(article=obj, user=request.user, topics=data["topics"])
        except (EditConflict, WorkflowError) as error:
            raise PermissionDenied(str(error)) from error

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Authors are set by the services; the form carries no many-to-many field of the model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        return False

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """An old version, and its "Revert" button, which restores it through version_revert.

        simple-history's own revert saves the posted form over the article; here the content is
        the stored version's, restored by the workflow's service: its permission checks, a new
        version that needs new signatures, the "revert" audit event and authorship following
        the text. The posted form is not read.
        """
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        article = get_object_or_404(self.get_queryset(request), pk=int_or_none(object_id))
        version = (
            article.history.filter(history_id=int_or_none(version_id))
            .values_list("version", flat=True)
            .first()
        )
        if version is None:
            raise Http404("No such version of this article.")
        try:
            reverted = version_revert(
                article=article,
                user=request.user,
                to_version=version,
                base_version=article.version,
            )
        except (EditConflict, WorkflowError) as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(request.path)
        messages.success(
            request,
            f"Version {version} restored as version {reverted.version}; it must be reviewed again.",
        )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))


def int_or_none(value: str) -> int | None:
    """A URL's id as a number, or None (which matches nothing) when it is not one."""
    return int(value) if value.isdigit() and len(value) < 19 else None


@admin.register(Autosave)
class AutosaveAdmin(ReadOnlyAdmin):
    """Unsaved form states: each person sees their own; superusers every one, for support."""

    list_display = ["user", "article", "base_version", "saved_at"]
    list_select_related = ["user", "article"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Autosave]:
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)
