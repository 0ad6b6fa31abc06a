"""The editorial workspace at /workspace/: dashboards, articles, edit, history, diff, actions, comments."""

from django.urls import path

from reviews.views import decisions, editing, pages, writing

app_name = "reviews"

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("new/", editing.article_create, name="create"),
    path("new/autosave/", writing.autosave_store, name="autosave_new"),
    path("new/autosave/discard/", writing.autosave_discard, name="autosave_discard_new"),
    path("preview/", editing.preview, name="preview"),
    path("related/", writing.related_search, name="related_search"),
    path("articles/<slug:slug>/", pages.article_detail, name="article"),
    path("articles/<slug:slug>/edit/", editing.article_edit, name="edit"),
    path("articles/<slug:slug>/autosave/", writing.autosave_store, name="autosave"),
    path(
        "articles/<slug:slug>/autosave/discard/",
        writing.autosave_discard,
        name="autosave_discard",
    ),
    path("articles/<slug:slug>/history/", pages.history, name="history"),
    path("articles/<slug:slug>/dossier/", pages.dossier, name="dossier"),
    path("articles/<slug:slug>/diff/", pages.diff, name="diff"),
    path("articles/<slug:slug>/versions/<int:version>/", pages.version_detail, name="version"),
    path("articles/<slug:slug>/versions/<int:version>/restore/", editing.revert, name="revert"),
    path("articles/<slug:slug>/actions/<slug:name>/", decisions.action, name="action"),
    path("articles/<slug:slug>/checks/<str:key>/waive/", decisions.waive_check, name="waive"),
    path("articles/<slug:slug>/approvals/", decisions.approvals_set, name="approvals"),
    path("articles/<slug:slug>/comments/", decisions.comment_create, name="comment"),
    path(
        "articles/<slug:slug>/comments/<int:comment_id>/reply/",
        decisions.comment_reply,
        name="reply",
    ),
    path(
        "articles/<slug:slug>/comments/<int:comment_id>/resolve/",
        decisions.comment_resolve,
        name="resolve",
    ),
]
