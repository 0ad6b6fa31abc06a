from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.article_create, name="create"),
    path("preview/", views.preview, name="preview"),
    path("articles/<slug:slug>/", views.article_detail, name="article"),
    path("articles/<slug:slug>/edit/", views.article_edit, name="edit"),
    path("articles/<slug:slug>/history/", views.history, name="history"),
    path("articles/<slug:slug>/dossier/", views.dossier, name="dossier"),
    path("articles/<slug:slug>/diff/", views.diff, name="diff"),
    path("articles/<slug:slug>/versions/<int:version>/", views.version_detail, name="version"),
    path("articles/<slug:slug>/versions/<int:version>/restore/", views.revert, name="revert"),
    path("articles/<slug:slug>/actions/<slug:name>/", views.action, name="action"),
    path("articles/<slug:slug>/checks/<str:key>/waive/", views.waive_check, name="waive"),
    path("articles/<slug:slug>/comments/", views.comment_create, name="comment"),
    path(
        "articles/<slug:slug>/comments/<int:comment_id>/reply/", views.comment_reply, name="reply"
    ),
    path(
        "articles/<slug:slug>/comments/<int:comment_id>/resolve/",
        views.comment_resolve,
        name="resolve",
    ),
]
