"""Root URLs: the public site, the editorial workspace, sign-in, the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.sitemaps.views import index as sitemap_index
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control

from accounts.admin import use_lockout_form_in_admin
from accounts.views import LoginView, SecondFactorView
from api.errors import not_found as api_not_found
from public.finding import robots_txt
from public.sitemaps import SITEMAPS

# The admin's sign-in page names a lockout as ours does.
use_lockout_form_in_admin(admin.site)

handler500 = "editorial.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/verify/", SecondFactorView.as_view(), name="verify_second_factor"),
    path("workspace/", include("reviews.urls")),
    # An index of paged sections, so the site can pass the protocol's 50,000 URLs a file.
    path(
        "sitemap.xml",
        cache_control(public=True, max_age=300)(sitemap_index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<slug:section>.xml",
        cache_control(public=True, max_age=300)(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("references/", include("references.urls")),
    path("", include("public.urls")),
    # Last: any other path under /api/ is a JSON 404, after every API route above (the read API's
    # routes come in through public.urls).
    re_path(r"^api/", api_not_found),
]
