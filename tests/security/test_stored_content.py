"""Whatever is stored, every page answers without a server error and runs no script.

Forms, the API and the services refuse much of what is below (NUL, bidi controls, unknown
citation markers, oversized text); but rows also arrive through the ORM, imports, migrations
and older versions of those rules. So this stores hostile-but-storable values straight through
the ORM in every field readers or editors see, then asks for every public page, workspace page
(as each role), admin list and change page, the feed, the sitemap, the read API and the drafting
API: none may answer 500, and no HTML page may hold anything able to run script
(tests.security.html_problems).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import models
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts.roles import Role
from accounts.tokens import api_token_issue
from articles.models import (
    Article,
    Disclaimer,
    GlossaryTerm,
    ProblemReport,
    Rendition,
    SitePage,
    Topic,
)
from references.models import Reference
from reviews.models import ReviewComment, ReviewerProfile
from tests.factories import make_article, make_reference, make_user, publish_approved
from tests.security import PAYLOADS, html_problems

pytestmark = pytest.mark.django_db

# What a stored field may hold however it got there: markup, markers of every shape, numbers
# too big for any integer, bidirectional and other control characters (no NUL: no database
# column takes it), a very long word, and javascript: links in Markdown.
MARKERS = "[@pmid:999999999999999999999999999] [@doi:] [@] [@nosuch] [@@x] [@pmid:] [@doi:10.1/x]"
NUMBERS = "1e309 -0 99999999999999999999999999999999 ١٢٣"
CONTROLS = "\u202e\u2066\u200f\u061c\x01\x07\x08\x0b\x0c\x1b\x7f\u2028\u2029\ufeff\ufffe"
LINKS = "[click](javascript:window.__xss=1) ![i](javascript:window.__xss=1) <javascript:x>"
LONG_WORD = "a" * 20_000
TEXT = "\n\n".join([*PAYLOADS, MARKERS, NUMBERS, CONTROLS, LINKS, LONG_WORD])
LINE = f"<script>window.__xss=1</script>{CONTROLS}[@doi:][@x]{NUMBERS}"
JS_URL = "javascript:window.__xss=1//"


def line(max_length: int) -> str:
    return LINE[:max_length]


class World:
    """One article of each kind, everything around it hostile, and a signed-in client per role."""

    def __init__(self) -> None:
        self.author = make_user(Role.AUTHOR, is_staff=True)
        self.editor = make_user(Role.EDITOR, is_staff=True)
        self.reviewer = make_user(Role.REVIEWER, is_staff=True)
        self.admin = make_user(is_staff=True, is_superuser=True)
        reference = make_reference()
        self.published = publish_approved(
            make_article(author=self.author, slug="live", citations=[reference]),
            author=self.author,
            editor=self.editor,
            reviewers=[self.reviewer],
        )
        self.draft = make_article(author=self.author, slug="draft", citations=[reference])
        self.topic = Topic.objects.create(name=line(100), slug="topic", description=TEXT)
        self.published.topics.add(self.topic)
        self._store_hostile(reference)
        cache.clear()
        self.clients = {"reader": Client()}
        for name in ("author", "editor", "reviewer", "admin"):
            client = Client(raise_request_exception=False)
            client.force_login(getattr(self, name))
            self.clients[name] = client
        self.tokens = {
            name: api_token_issue(user=getattr(self, name), name="t").secret
            for name in ("author", "editor", "reviewer")
        }

    def _store_hostile(self, reference: Reference) -> None:
        texts = {"patient": TEXT, "clinician": TEXT}
        content = {"title": line(300), "summary": TEXT, "texts": texts}
        for article in (self.published, self.draft):
            Article.objects.filter(pk=article.pk).update(**content)
            article.history.update(**content, history_change_reason=TEXT)
        # The live page renders again from the stored text, not from what publication rendered.
        Rendition.objects.all().delete()
        Reference.objects.filter(pk=reference.pk).update(
            title=TEXT,
            journal=line(200),
            container_title=line(200),
            publisher=line(200),
            place=line(100),
            volume=line(30),
            issue=line(30),
            pages=line(50),
            url=JS_URL,
            retraction_notice_url=JS_URL,
            doi=line(200),
            authors=[{"family": LINE, "given": LINE}, {"literal": TEXT}],
        )
        ReviewerProfile.objects.filter(user=self.reviewer).update(
            display_name=line(120),
            credentials=line(120),
            specialty=line(120),
            bio=TEXT,
            conflicts_of_interest=TEXT,
        )
        for slug in ("about-the-board", "editorial-policy", "hostile-page"):
            SitePage.objects.update_or_create(
                slug=slug, defaults={"title": line(200), "body": TEXT}
            )
        GlossaryTerm.objects.create(term="aaaa", slug="aaaa", definition=TEXT)
        GlossaryTerm.objects.create(term=line(80), slug="hostile-term", definition=TEXT)
        for audience in ("patient", "clinician"):
            Disclaimer.objects.update_or_create(audience=audience, defaults={"text": TEXT})
        comment = ReviewComment.objects.create(
            article=self.published,
            cycle=self.published.workflow.cycle,
            version=self.published.version,
            audience="patient",
            quote=TEXT,
            body=TEXT,
            author=self.reviewer,
        )
        ReviewComment.objects.create(
            article=self.published,
            cycle=comment.cycle,
            version=comment.version,
            audience="",
            quote="",
            body=TEXT,
            author=self.author,
            parent=comment,
        )
        ProblemReport.objects.create(
            article=self.published, version=1, audience="patient", kind="error", message=TEXT
        )
        type(self.author).objects.filter(pk=self.author.pk).update(
            first_name=line(150), last_name=line(150)
        )


@pytest.fixture
def world(db: Any) -> World:
    return World()


# The admin's own scripts, which html_problems (written for our pages) does not know.
# simple-history's history list styles one paragraph itself ("<p style=…>").
ADMIN_SCRIPTS = (
    "unexpected script: src='/static/",
    "unexpected script: src='/admin/jsi18n/'",
    "<p style=…>: style attribute",
)


def assert_answers(response: Any, where: str) -> None:
    """No 500; and an HTML answer holds nothing able to run script."""
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if response["Content-Type"].startswith("text/html") and response.status_code == 200:
        problems = html_problems(response.content.decode())
        if where.split()[-1].startswith("/admin/"):
            problems = [p for p in problems if not p.startswith(ADMIN_SCRIPTS)]
        assert not problems, f"{where}: {problems}"


def test_public_pages_feed_sitemap_and_read_api_answer_for_hostile_content(world: World) -> None:
    reader = world.clients["reader"]
    urls = [
        "/",
        "/?page=2",
        "/articles/live/history/",
        "/board/",
        "/topics/",
        "/topics/topic/",
        "/search/?q=aaaa",
        f"/search/?q={LINE}",
        "/pages/hostile-page/",
        "/pages/editorial-policy/",
        "/feed/",
        "/sitemap.xml",
        "/api/v1/articles/",
    ]
    for audience in ("patient", "clinician", "student", "caregiver"):
        urls += [
            f"/articles/live/?audience={audience}",
            f"/api/v1/articles/live/?audience={audience}",
        ]
    for url in urls:
        assert_answers(reader.get(url), url)


def test_workspace_pages_answer_for_hostile_content_as_each_role(world: World) -> None:
    for role in ("author", "editor", "reviewer"):
        client = world.clients[role]
        urls = ["/workspace/", "/workspace/new/"]
        for slug in ("live", "draft"):
            base = f"/workspace/articles/{slug}/"
            urls += [
                base,
                f"{base}edit/",
                f"{base}history/",
                f"{base}dossier/",
                f"{base}diff/?from=1&to=2",
                f"{base}versions/1/",
                f"{base}versions/2/",
            ]
        for url in urls:
            assert_answers(client.get(url), f"{role} {url}")


def test_the_drafting_api_answers_for_hostile_content(world: World) -> None:
    for role, secret in world.tokens.items():
        for slug in ("live", "draft"):
            response = Client().get(
                f"/api/v1/drafts/{slug}/", headers={"authorization": f"Bearer {secret}"}
            )
            assert response.status_code < 500, (role, slug, response.status_code)


def admin_urls() -> list[str]:
    """Every registered model's list, and the change and history pages of its first rows."""
    urls = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        queryset: models.QuerySet[Any] = model_admin.model._default_manager.order_by("-pk")
        for pk in queryset.values_list("pk", flat=True)[:3]:
            for page in ("change", "history"):
                try:
                    urls.append(reverse("admin:{}_{}_{}".format(*info, page), args=[pk]))
                except NoReverseMatch:
                    continue
    return urls


def test_admin_pages_answer_for_hostile_content_as_each_role(world: World) -> None:
    urls = admin_urls()
    for record in world.published.history.all()[:2]:
        urls.append(f"/admin/articles/article/{world.published.pk}/history/{record.history_id}/")
    for role in ("admin", "editor", "author", "reviewer"):
        for url in urls:
            assert_answers(world.clients[role].get(url), f"{role} {url}")
