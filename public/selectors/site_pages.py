"""The site's own pages: the editorial board and the pages editors write (about, contact…)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from articles.models import SitePage
from reviews.models import ReviewerProfile


def board_members() -> QuerySet[ReviewerProfile]:
    """Reviewers on the editorial board, by the name they publish under."""
    return ReviewerProfile.objects.filter(on_board=True).order_by("display_name")


def site_page(*, slug: str) -> SitePage:
    """The page editors wrote under `slug`; Http404 when there is none."""
    page = site_page_or_none(slug=slug)
    if page is None:
        raise Http404("No such page.")
    return page


def site_page_or_none(*, slug: str) -> SitePage | None:
    """The page under `slug`, or None where a page may be missing (the board page's introduction)."""
    return SitePage.objects.filter(slug=slug).first()
