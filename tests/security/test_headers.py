"""Security headers and settings: CSP, framing, sniffing, referrer, cookies, HTTPS, error pages.

`check --deploy` is already run by tests/test_deploy.py; these tests look at what the responses
actually carry. The test settings are the production settings with SSL redirect off (the test
client speaks plain HTTP); the production values themselves are read from a fresh process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.factories import PASSWORD, make_article, make_reference, publish_approved
from tests.security import html_problems
from tests.security.urls import LEAK

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def csp(response: Any) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.fixture
def published(author: Any, editor: Any, reviewer: Any) -> Any:
    article = make_article(author=author, citations=[make_reference()])
    return publish_approved(article, author=author, editor=editor, reviewers=[reviewer])


def pages(published: Any) -> list[str]:
    return [
        "/",
        published.get_absolute_url(),
        f"/articles/{published.slug}/history/",
        "/board/",
        "/search/?q=bone",
        "/accounts/login/",
        "/api/v1/articles/",
        "/api/v1/openapi.json",
        "/no-such-page/",
    ]


class TestHeaders:
    def test_every_page_has_a_strict_content_security_policy(
        self, client: Client, published: Any
    ) -> None:
        """Script only from our origin: no 'unsafe-inline', no 'unsafe-eval', no plugins, no framing."""
        for url in pages(published):
            policy = csp(client.get(url))
            assert policy, url
            assert policy["default-src"] == ["'self'"], url
            assert policy["script-src"] == ["'self'"], url
            assert not {"'unsafe-inline'", "'unsafe-eval'", "data:", "*"} & set(
                policy["script-src"]
            ), url
            assert "'unsafe-inline'" not in policy["style-src"], url
            assert policy["object-src"] == ["'none'"], url
            assert policy["frame-ancestors"] == ["'none'"], url
            assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"], url

    def test_the_workspace_and_the_admin_carry_the_policy_too(
        self, client: Client, editor: Any
    ) -> None:
        client.force_login(editor)
        for url in ("/workspace/", "/workspace/new/", "/admin/"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert csp(response)["script-src"] == ["'self'"], url

    def test_no_sniffing_no_framing_and_a_referrer_policy(
        self, client: Client, published: Any
    ) -> None:
        for url in pages(published):
            response = client.get(url)
            assert response["X-Content-Type-Options"] == "nosniff", url
            assert response["X-Frame-Options"] == "DENY", url
            assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", url
            assert response["Cross-Origin-Opener-Policy"] == "same-origin", url

    def test_pages_need_no_inline_script_or_style(
        self, client: Client, published: Any, editor: Any
    ) -> None:
        """What the policy would block is not there: no inline script, handler or style attribute."""
        for url in pages(published):
            assert html_problems(client.get(url).content.decode()) == [], url
        client.force_login(editor)
        for url in ("/workspace/", f"/workspace/articles/{published.slug}/", "/workspace/new/"):
            assert html_problems(client.get(url).content.decode()) == [], url


class TestCookies:
    def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(
        self, client: Client, editor: Any
    ) -> None:
        """Signing in sets both cookies Secure, HttpOnly and SameSite=Lax (production values)."""
        form = client.get("/accounts/login/")
        csrf = form.cookies[settings.CSRF_COOKIE_NAME]
        assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
        response = client.post("/accounts/login/", {"username": "editor", "password": PASSWORD})
        assert response.status_code == 302
        session = response.cookies[settings.SESSION_COOKIE_NAME]
        assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"

    def test_public_article_pages_set_no_cookie(self, client: Client, published: Any) -> None:
        """A reader's page carries no session or CSRF cookie (so a CDN may keep it)."""
        response = client.get(published.get_absolute_url() + "?audience=patient")
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert settings.CSRF_COOKIE_NAME not in response.cookies


class TestHttps:
    @override_settings(SECURE_SSL_REDIRECT=True)
    def test_plain_http_is_redirected_to_https(self, client: Client) -> None:
        response = client.get("/board/?x=1")
        assert response.status_code == 301
        assert response["Location"] == "https://testserver/board/?x=1"

    def test_https_answers_carry_hsts_and_plain_http_does_not(self, client: Client) -> None:
        """HSTS for a year, subdomains included, preload; never sent over plain HTTP."""
        secure = client.get("/board/", secure=True)
        assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert "Strict-Transport-Security" not in client.get("/board/")

    def test_production_settings_from_a_clean_environment(self) -> None:
        """With only the keys, the checkpoint directory and a host set, debug is off and every HTTPS and cookie setting is on."""
        names = [
            "DEBUG",
            "SECURE_SSL_REDIRECT",
            "SECURE_PROXY_SSL_HEADER",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SECURE_HSTS_PRELOAD",
            "SESSION_COOKIE_SECURE",
            "SESSION_COOKIE_HTTPONLY",
            "SESSION_COOKIE_SAMESITE",
            "CSRF_COOKIE_SECURE",
            "CSRF_COOKIE_HTTPONLY",
            "CSRF_COOKIE_SAMESITE",
            "X_FRAME_OPTIONS",
            "SECURE_CONTENT_TYPE_NOSNIFF",
            "SECURE_REFERRER_POLICY",
        ]
        script = (
            "import json, editorial.settings as s; "
            f"print(json.dumps({{n: getattr(s, n, None) for n in {names!r}}}))"
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_URL", "EDITORIAL_"))
        }
        env.update(
            DJANGO_SECRET_KEY="p" * 50,
            DJANGO_ALLOWED_HOSTS="health.example.org",
            EDITORIAL_AUDIT_KEY="a" * 50,
            EDITORIAL_AUDIT_CHECKPOINT_DIR="/var/lib/editorial/audit-checkpoints",
        )
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        values = json.loads(result.stdout)
        assert values == {
            "DEBUG": False,
            "SECURE_SSL_REDIRECT": True,
            "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
            "SECURE_HSTS_SECONDS": 31536000,
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
            "SECURE_HSTS_PRELOAD": True,
            "SESSION_COOKIE_SECURE": True,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "CSRF_COOKIE_SECURE": True,
            "CSRF_COOKIE_HTTPONLY": True,
            "CSRF_COOKIE_SAMESITE": "Lax",
            "X_FRAME_OPTIONS": "DENY",
            "SECURE_CONTENT_TYPE_NOSNIFF": True,
            "SECURE_REFERRER_POLICY": "strict-origin-when-cross-origin",
        }


class TestErrorPages:
    LEAKS = (
        "Traceback",
        "RuntimeError",
        "DatabaseError",
        "secret_table",
        "leaked-marker",
        "SELECT",
        "auth_user",
        "/work/",
        ".py",
        "settings",
        "SECRET_KEY",
        "DATABASES",
        "Django",
        "Exception",
    )

    @pytest.fixture(autouse=True)
    def _failing_views(self, settings: Any) -> None:
        settings.ROOT_URLCONF = "tests.security.urls"

    def assert_leaks_nothing(self, response: Any) -> None:
        body = response.content.decode()
        for leak in (*self.LEAKS, settings.SECRET_KEY, str(settings.DATABASES["default"]["NAME"])):
            assert leak not in body, leak

    @pytest.mark.parametrize(
        "url", ["/test-crash/", "/test-database-crash/", "/api/v1/test-crash/"]
    )
    def test_a_crash_is_a_plain_500_page_that_leaks_nothing(self, url: str) -> None:
        """No traceback, no SQL, no settings, no paths; the page still carries the security headers."""
        client = Client(raise_request_exception=False)
        response = client.get(url)
        assert response.status_code == 500
        assert "Something went wrong" in response.content.decode()
        self.assert_leaks_nothing(response)
        assert LEAK not in response.content.decode()
        assert csp(response)["script-src"] == ["'self'"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"

    def test_the_500_page_stands_alone(self) -> None:
        """500.html uses no template tag, context or database: it renders whatever broke."""
        template = (ROOT / "templates" / "500.html").read_text()
        assert "{%" not in template and "{{" not in template

    @pytest.mark.parametrize(
        "url", ["/no-such-page/", "/<script>window.__xss=1</script>/", "/articles/%00/"]
    )
    def test_a_missing_page_is_our_404_and_echoes_nothing(self, client: Client, url: str) -> None:
        response = client.get(url)
        assert response.status_code == 404
        body = response.content.decode()
        assert "Page not found" in body
        assert "URLconf" not in body and "Using the" not in body
        assert "window.__xss" not in body
        assert html_problems(body) == []
        self.assert_leaks_nothing(response)
