"""Public pages: home, article, audience choice, editorial pages, the advisory board."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from articles import services
from articles.audiences import Audience, audiences, default_audience
from articles.forms import ProblemReportForm
from articles.rendering import render_page_markdown
from public import selectors
from public.page_cache import public_pages_epoch, shared_page_get, shared_page_set
from public.structured_data import medical_web_page
from reviews.refusals import kept_input

AUDIENCE_COOKIE_MAX_AGE = 60 * 60 * 24 * 365


def audience_from_request(request: HttpRequest) -> tuple[Audience, bool]:
    """The audience to show, and whether it came from the URL (else the cookie or the default)."""
    configured = audiences()
    key = request.GET.get("audience")
    if key in configured:
        return configured[key], True
    # The answer now depends on the cookie: PublicCacheMiddleware keeps it out of shared caches.
    request.audience_from_cookie = True  # type: ignore[attr-defined]
    cookie = request.COOKIES.get(settings.EDITORIAL_AUDIENCE_COOKIE)
    return configured.get(cookie, default_audience()), False


def _remembered_audience(request: HttpRequest) -> bool:
    """Whether the reader's cookie holds an audience they chose earlier."""
    return request.COOKIES.get(settings.EDITORIAL_AUDIENCE_COOKIE) in audiences()


def bad_audience(request: HttpRequest, requested: str) -> HttpResponse:
    """400: an audience key that is not configured, with the ones that are."""
    return render(
        request,
        "articles/bad_audience.html",
        {"requested": requested, "audiences": audiences().values()},
        status=400,
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    page = selectors.published_article_page(page_number=request.GET.get("page"))
    return render(request, "articles/home.html", {"page_obj": page})


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    audience, from_url = audience_from_request(request)
    if "audience" in request.GET and not from_url:
        return bad_audience(request, request.GET["audience"])
    shared_key = _shared_page_key(request, slug=slug, audience=audience) if from_url else None
    if shared_key and (body := shared_page_get(shared_key)) is not None:
        return HttpResponse(body, content_type="text/html; charset=utf-8")
    page = selectors.article_page(slug=slug, audience=audience)
    canonical = request.build_absolute_uri(
        f"{page.article.get_absolute_url()}?audience={audience.key}"
    )
    response = render(
        request,
        "articles/detail.html",
        {
            "page": page,
            "audiences": audiences().values(),
            # Chosen in the URL or remembered: the chooser folds to "Reading as". The shared
            # cache holds only ?audience= pages, which are chosen for every reader alike.
            "audience_chosen": from_url or _remembered_audience(request),
            "canonical_url": canonical,
            "structured_data": medical_web_page(page, url=canonical),
        },
    )
    if not from_url:
        # The cookie chose the audience: only this URL depends on it; ?audience=<key> does not.
        patch_vary_headers(response, ["Cookie"])
    if shared_key:
        shared_page_set(shared_key, response.content)
    return response


def _shared_page_key(request: HttpRequest, *, slug: str, audience: Audience) -> str | None:
    """The cache key of the page anonymous readers share, or None when this request may be
    personal (signed in, a session, pending messages) or carries other parameters."""
    if not settings.EDITORIAL_SHARED_PAGE_CACHE:
        return None
    if set(request.GET) != {"audience"} or request.COOKIES.keys() & {
        settings.SESSION_COOKIE_NAME,
        "messages",
    }:
        return None
    if request.user.is_authenticated:
        return None
    return f"page:{public_pages_epoch()}:{request.get_host()}:{slug}:{audience.key}"


@require_GET
def choose_audience(request: HttpRequest, key: str) -> HttpResponse:
    """Remember the reader's audience in a cookie, then go back to the page with it in the URL."""
    if key not in audiences():
        return bad_audience(request, key)
    target = request.GET.get("next") or reverse("public:home")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("public:home")
    path, _, fragment = target.partition("#")
    path = path.split("?", 1)[0]
    response = HttpResponseRedirect(f"{path}?audience={key}" + (f"#{fragment}" if fragment else ""))
    response.set_cookie(
        settings.EDITORIAL_AUDIENCE_COOKIE,
        key,
        max_age=AUDIENCE_COOKIE_MAX_AGE,
        samesite="Lax",
        secure=request.is_secure(),
        # A reading preference, not a secret: the first-visit prompt's script reads it.
        httponly=False,
    )
    return response


@require_GET
def site_page(request: HttpRequest, slug: str) -> HttpResponse:
    page = selectors.site_page(slug=slug)
    body = render_page_markdown(page.body)
    return render(request, "articles/site_page.html", {"page": page, "body": body})


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    intro = selectors.site_page_or_none(slug="about-the-board")
    return render(
        request,
        "articles/board.html",
        {
            "members": selectors.board_members(),
            "intro": render_page_markdown(intro.body) if intro else "",
        },
    )


@require_http_methods(["GET", "POST"])
def report_problem(request: HttpRequest, slug: str) -> HttpResponse:
    """A reader reports a problem with the version they read (kept off the article page, so that
    page carries no CSRF cookie and stays cacheable)."""
    article = selectors.published_article(slug=slug)
    audience, _ = audience_from_request(request)
    version = _int(
        request.POST.get("version") or request.GET.get("version"), article.live_version.version
    )
    if not 1 <= version <= article.live_version.version:
        version = article.live_version.version
    form = ProblemReportForm(
        request.POST or None, initial={"started": ProblemReportForm.signed_start()}
    )
    status = 200
    if request.method == "POST":
        # Too many reports (429) comes back like an invalid form: the reader's words are kept.
        with kept_input(form) as attempt:
            if form.is_valid():
                services.problem_report_create(
                    article=article,
                    version=version,
                    audience=audience.key,
                    kind=form.cleaned_data["kind"],
                    message=form.cleaned_data["message"],
                    email=form.cleaned_data["email"],
                    address=request.META.get("REMOTE_ADDR", ""),
                )
                return render(
                    request,
                    "articles/report_thanks.html",
                    {"article": article, "audience": audience},
                )
        # An invalid form is a 400 here, as it always was for this public form.
        status = attempt.status if attempt.refused else 400
    return render(
        request,
        "articles/report.html",
        {"article": article, "form": form, "version": version, "audience": audience},
        status=status,
    )


def _int(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


@require_GET
def public_history(request: HttpRequest, slug: str) -> HttpResponse:
    """Every published version of the article: when, how much changed, who reviewed it."""
    article = selectors.published_article(slug=slug)
    page_number = request.GET.get("page")
    return render(
        request,
        "articles/history.html",
        {
            "article": article,
            "history": selectors.LazyHistory(article=article, page_number=page_number),
            "page_key": str(page_number),
            "epoch": public_pages_epoch(),
        },
    )


@require_GET
def topic(request: HttpRequest, slug: str) -> HttpResponse:
    found, page = selectors.topic_page(slug=slug, page_number=request.GET.get("page"))
    return render(request, "articles/topic.html", {"topic": found, "page_obj": page})


@require_GET
def topics(request: HttpRequest) -> HttpResponse:
    return render(request, "articles/topics.html", {"topics": selectors.topics_with_articles()})
