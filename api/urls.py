"""URLs of the read and drafting APIs, included at /api/v1/."""

from django.urls import re_path

from api import v1
from api.errors import not_found

app_name = "api"

urlpatterns = [
    *v1.urlpatterns(),
    # Anything else under drafts (a signing action, say) is a JSON 404.
    re_path(r"^drafts(?:/.*)?$", not_found),
]
