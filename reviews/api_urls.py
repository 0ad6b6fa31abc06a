"""URLs of the drafting API, included at /api/v1/ (see reviews.api and reviews.openapi)."""

from django.urls import path, re_path

from . import api

app_name = "drafting_api"

urlpatterns = [
    path("openapi.json", api.openapi_document, name="openapi"),
    path("drafts/", api.drafts, name="drafts"),
    path("drafts/<slug:slug>/", api.draft, name="draft"),
    path("drafts/<slug:slug>/submit", api.draft_submit, name="draft_submit"),
    # Anything else under drafts (a signing action, say) is a JSON 404. Deliberately not a
    # catch-all for the whole of /api/v1/: it would shadow API routes included after this file.
    re_path(r"^drafts(?:/.*)?$", api.not_found),
]
