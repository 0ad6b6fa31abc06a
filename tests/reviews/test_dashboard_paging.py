"""Paging one list of a dashboard keeps the rest of the page's choices (the state tab)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.factories import logged_in, make_article

pytestmark = pytest.mark.django_db


def test_the_next_page_of_the_editorial_queue_keeps_the_chosen_state(
    author: Any, editor: Any
) -> None:
    for n in range(21):
        make_article(author=author, slug=f"draft-{n}", title=f"Draft {n}")
    page = logged_in(editor).get("/workspace/", {"state": "draft"}).content.decode()
    nexts = [html.unescape(href) for href in re.findall(r'rel="next" href="([^"]+)"', page)]
    assert "?state=draft&queue=2" in nexts, nexts
