"""URLs of the read and drafting APIs, included at /api/v1/."""

from django.urls import path, re_path

from api import drafting, read

app_name = "api"

urlpatterns = [
    path("openapi.json", drafting.openapi_document, name="openapi"),
    path("articles/", read.article_list, name="articles"),
    path("articles/<slug:slug>/", read.article_detail, name="article"),
    path("drafts/", drafting.drafts, name="drafts"),
    path("drafts/<slug:slug>/", drafting.draft, name="draft"),
    path("drafts/<slug:slug>/submit", drafting.draft_submit, name="draft_submit"),
    # Anything else under drafts (a signing action, say) is a JSON 404.
    re_path(r"^drafts(?:/.*)?$", drafting.not_found),
]
