"""The reader's first screen: one chooser, a true trust line, ordered references, header, icon."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from articles.models import Article
from reviews.services.transitions import transition_apply
from tests.factories import (
    logged_in,
    make_article,
    make_reference,
    publish_approved,
    submit_and_review,
)

pytestmark = pytest.mark.django_db

CHOOSERS = re.compile(r'<nav class="audience-chooser')


@pytest.fixture
def mixed(author: Any, editor: Any, reviewer: Any) -> Article:
    """Research cited first, guidelines 4th and 5th, more research last: the order 4, 5, 1, 2, 3, 6
    the grouped list used to show."""
    research = [make_reference(title=f"Trial {i}") for i in range(4)]
    guidelines = [make_reference(kind="guideline", title=f"Guideline {i}") for i in range(2)]
    cited = [*research[:3], *guidelines, research[3]]
    body = " ".join(f"Claim {i} [@pmid:{ref.pmid}]." for i, ref in enumerate(cited))
    body += f" Again [@pmid:{research[0].pmid}]."
    texts = dict.fromkeys(("patient", "clinician"), body)
    article = make_article(author=author, slug="mixed", title="Mixed sources?", texts=texts)
    return publish_approved(article, author=author, editor=editor, reviewers=[reviewer])


def reference_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li id="ref-(\d+)" value="\1">', html)]


class TestAudienceChooser:
    def test_a_first_visit_shows_one_chooser_asking_who_the_reader_is(
        self, client: Client, mixed: Article
    ) -> None:
        """No audience in the URL or cookie: one block with the question, not two."""
        html = client.get("/articles/mixed/").content.decode()
        assert len(CHOOSERS.findall(html)) == 1
        assert html.count("Which best describes you?") == 1
        assert "Reading as:" not in html

    @pytest.mark.parametrize("how", ["url", "cookie"])
    def test_a_chosen_audience_folds_the_chooser_to_one_reading_as_line(
        self, client: Client, mixed: Article, how: str
    ) -> None:
        """With ?audience= or a remembered choice: "Reading as: Clinician · change", no question."""
        if how == "cookie":
            client.cookies["audience"] = "clinician"
            html = client.get("/articles/mixed/").content.decode()
        else:
            html = client.get("/articles/mixed/?audience=clinician").content.decode()
        assert len(CHOOSERS.findall(html)) == 1
        assert "Which best describes you?" not in html
        assert re.search(
            r"<summary>Reading as: <strong>Clinician</strong> · <span[^>]*>change</span></summary>",
            html,
        )
        assert 'href="/audience/patient/?next=/articles/mixed/"' in html

    def test_an_unknown_cookie_value_is_not_a_remembered_choice(
        self, client: Client, mixed: Article
    ) -> None:
        """A stale cookie naming no configured audience still gets the question."""
        client.cookies["audience"] = "martian"
        html = client.get("/articles/mixed/").content.decode()
        assert "Which best describes you?" in html


class TestReferences:
    def test_reference_numbers_ascend_in_one_list(self, client: Client, mixed: Article) -> None:
        """Numbers by first citation, in order, each entry labelled with its kind."""
        html = client.get("/articles/mixed/?audience=patient").content.decode()
        assert reference_numbers(html) == [1, 2, 3, 4, 5, 6]
        assert html.count('<span class="ref-kind">Guideline</span>') == 2
        assert html.count('<ol class="reference-list">') == 1

    def test_each_reference_links_back_to_its_first_citation(
        self, client: Client, mixed: Article
    ) -> None:
        """Reference n links to #cite-n-1, an anchor the text has; the citation links to #ref-n."""
        html = client.get("/articles/mixed/?audience=patient").content.decode()
        for number in range(1, 7):
            assert f'href="#cite-{number}-1"' in html
            assert f'id="cite-{number}-1"' in html
            assert f'<a href="#ref-{number}" id="cite-{number}-1"' in html
        assert 'id="cite-1-2"' in html and 'href="#cite-1-2"' not in html


class TestTrustLine:
    def test_the_version_hash_is_in_the_details_not_the_byline(
        self, client: Client, mixed: Article
    ) -> None:
        """The hash is kept, inside "About this version", away from the top of the page."""
        html = client.get("/articles/mixed/?audience=patient").content.decode()
        short = mixed.content_hash[:12]
        start = html.index('<details class="about-version">')
        end = html.index("</details>", start)
        assert short in html[start:end]
        assert short not in html[:start] and short not in html[end:]

    def test_a_pending_article_does_not_claim_every_article_is_reviewed(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """The caution is the trust line; no "every article is reviewed" promise sits above it."""
        article = make_article(author=author, slug="pending", citations=[make_reference()])
        submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        transition_apply(
            article=article, user=editor, action="publish_pending_review", note="Early."
        )
        html = client.get("/articles/pending/?audience=patient").content.decode()
        assert "has not been approved yet" in html
        assert "every article is reviewed" not in html.lower()
        assert re.search(r'<div class="trust-line caution"', html)


class TestHeader:
    def test_anonymous_readers_get_a_sign_in_link_and_the_same_header(
        self, client: Client, mixed: Article
    ) -> None:
        """Every anonymous reader gets the same header with Sign in (it is shared-cached)."""
        first = client.get("/articles/mixed/?audience=patient").content.decode()
        assert '<a class="sign-in" href="/accounts/login/">Sign in</a>' in first
        assert client.get("/accounts/login/").status_code == 200
        other = Client()
        other.cookies["audience"] = "student"
        assert other.get("/articles/mixed/?audience=patient").content.decode() == first

    def test_signed_in_staff_see_workspace_instead_of_sign_in(
        self, mixed: Article, editor: Any
    ) -> None:
        html = logged_in(editor).get("/articles/mixed/?audience=patient").content.decode()
        assert "Sign in</a>" not in html
        assert ">Workspace</a>" in html

    def test_the_favicon_link_resolves(self, client: Client) -> None:
        """base.html links an SVG icon that whitenoise serves."""
        html = client.get("/").content.decode()
        match = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
        assert match, "no favicon link"
        response = client.get(match.group(1))
        assert response.status_code == 200
        assert b"<svg" in b"".join(response.streaming_content)  # type: ignore[attr-defined]
