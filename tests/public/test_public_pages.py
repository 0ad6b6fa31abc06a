"""The public site: article page per audience, review status, 404 for drafts, JSON-LD, queries."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from articles.models import Article, Disclaimer, SitePage
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import (
    article_texts,
    make_article,
    make_reference,
    publish_approved,
    submit_and_review,
)

pytestmark = pytest.mark.django_db


def structured_data(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


@pytest.fixture
def published(author: Any, editor: Any, reviewer: Any) -> Article:
    refs = [make_reference(), make_reference()]
    texts = {
        "patient": f"## For you\n\nPatient words [@pmid:{refs[0].pmid}].",
        "caregiver": f"Caregiver words [@{refs[1].citekey}].",
        "student": f"Student words [@pmid:{refs[1].pmid}] and [@pmid:{refs[0].pmid}].",
        "clinician": f"Clinician words [@pmid:{refs[0].pmid}; @pmid:{refs[1].pmid}].",
    }
    for audience in texts:
        Disclaimer.objects.create(audience=audience, text=f"Disclaimer for the {audience} reader.")
    article = make_article(author=author, slug="low-alp", title="What is low ALP?", texts=texts)
    return publish_approved(article, author=author, editor=editor, reviewers=[reviewer])


class TestArticlePage:
    @pytest.mark.parametrize("audience", ["patient", "caregiver", "student", "clinician"])
    def test_each_audience_gets_its_own_text_and_disclaimer(
        self, client: Client, published: Article, audience: str
    ) -> None:
        """?audience=<key> renders that audience's text, its disclaimer and a canonical link."""
        response = client.get(f"/articles/low-alp/?audience={audience}")
        html = response.content.decode()
        assert response.status_code == 200
        assert f"{audience.capitalize()} words" in html
        assert f"Disclaimer for the {audience} reader." in html
        assert (
            f'<link rel="canonical" href="http://testserver/articles/low-alp/?audience={audience}">'
            in html
        )
        assert "There is no" not in html

    def test_citations_are_numbered_and_listed_with_the_bibliography(
        self, client: Client, published: Article
    ) -> None:
        """Markers become superscript links; the references section lists the sources in order."""
        html = client.get("/articles/low-alp/?audience=student").content.decode()
        assert re.findall(r'href="#ref-(\d)"', html) == ["1", "2"]
        assert html.count('<li id="ref-') == 2
        assert "[@" not in html

    def test_missing_audience_text_falls_back_and_says_so(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A caregiver reading an article with only patient and clinician text gets the patient text, with a notice."""
        article = make_article(author=author, slug="short", texts=article_texts())
        publish_approved(article, author=author, editor=editor, reviewers=[reviewer])
        html = client.get("/articles/short/?audience=caregiver").content.decode()
        assert "Text for the patient." in html
        assert "There is no caregiver version of this article yet" in html
        assert "written for patients" in html

    def test_cookie_chooses_the_audience_when_the_url_does_not(
        self, client: Client, published: Article
    ) -> None:
        """Without ?audience the remembered choice is used, and the response varies on the cookie."""
        client.cookies["audience"] = "clinician"
        response = client.get("/articles/low-alp/")
        assert "Clinician words" in response.content.decode()
        assert "Cookie" in response["Vary"]

    def test_choosing_an_audience_remembers_it_and_returns_to_the_page(
        self, client: Client, published: Article
    ) -> None:
        """The chooser link sets the cookie and redirects to the page's URL for that audience."""
        response = client.get("/audience/caregiver/?next=/articles/low-alp/")
        assert response.status_code == 302
        assert response["Location"] == "/articles/low-alp/?audience=caregiver"
        assert response.cookies["audience"].value == "caregiver"
        assert response.cookies["audience"]["samesite"] == "Lax"

    def test_chooser_never_redirects_off_site(self, client: Client) -> None:
        """An external `next` is replaced by the home page."""
        response = client.get("/audience/patient/?next=https://evil.example/")
        assert response["Location"] == "/?audience=patient"

    def test_chooser_links_work_without_javascript(
        self, client: Client, published: Article
    ) -> None:
        """The chooser is plain links to the audience endpoint, folded or not; no script needed."""
        for url in ("/articles/low-alp/", "/articles/low-alp/?audience=patient"):
            html = client.get(url).content.decode()
            for key in ("patient", "caregiver", "student", "clinician"):
                assert f'href="/audience/{key}/?next=/articles/low-alp/"' in html
            assert re.findall(r"<script[^>]*src=\"([^\"]+)\"", html) == ["/static/js/reader.js"]

    def test_unknown_audience_is_a_clear_400(self, client: Client, published: Article) -> None:
        """?audience=nonsense answers 400 naming the valid audiences, not a silent default."""
        response = client.get("/articles/low-alp/?audience=martian")
        assert response.status_code == 400
        assert "martian" in response.content.decode()
        assert "clinician" in response.content.decode()
        assert client.get("/audience/martian/").status_code == 400

    def test_approved_article_shows_reviewer_status_and_dates(
        self, client: Client, published: Article, reviewer: Any
    ) -> None:
        """An approved live version shows who reviewed it and when, Approved on the tracker, no banner."""
        html = client.get("/articles/low-alp/?audience=patient").content.decode()
        assert "Medically reviewed by" in html
        assert reviewer.reviewer_profile.signature_name in html
        assert 'aria-current="step"' in html
        assert re.search(r'is-current[^>]*aria-current="step">\s*Approved', html)
        assert "pending review" not in html
        assert "Last updated:" in html
        assert "Next review due:" in html
        assert f"Version {published.version}" in html
        assert published.content_hash[:12] in html
        assert 'name="robots"' not in html

    def test_pending_review_shows_caution_banner_tracker_step_and_noindex(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Published pending review: caution banner, Under Review highlighted, noindex, no reviewed-by line."""
        article = make_article(author=author, slug="pending", citations=[make_reference()])
        submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        transition_apply(
            article=article, user=editor, action="publish_pending_review", note="Early."
        )
        html = client.get("/articles/pending/?audience=patient").content.decode()
        assert "This content is pending review" in html
        assert re.search(r'is-current[^>]*aria-current="step">\s*Under Review', html)
        assert '<meta name="robots" content="noindex">' in html
        assert "Medically reviewed by" not in html

    def test_readers_keep_seeing_the_signed_version_while_a_new_draft_is_edited(
        self, client: Client, published: Article, author: Any
    ) -> None:
        """Editing after publication changes nothing on the public page until re-approved."""
        draft_update(
            article=published,
            user=author,
            base_version=published.version,
            fields={"texts": {**published.texts, "patient": "Unreviewed new words."}},
            change_reason="Rewrite",
        )
        html = client.get("/articles/low-alp/?audience=patient").content.decode()
        assert "Patient words" in html
        assert "Unreviewed new words" not in html
        assert "Medically reviewed by" in html

    def test_never_published_draft_answers_404(self, client: Client, author: Any) -> None:
        """A draft has no public page: 404, whatever the audience."""
        make_article(author=author, slug="secret-draft")
        assert client.get("/articles/secret-draft/").status_code == 404
        assert client.get("/articles/secret-draft/?audience=clinician").status_code == 404
        assert client.get("/articles/no-such-article/").status_code == 404

    def test_unpublished_article_answers_404(
        self, client: Client, published: Article, editor: Any
    ) -> None:
        """Unpublishing removes the page."""
        transition_apply(article=published, user=editor, action="unpublish", note="Withdrawn.")
        assert client.get("/articles/low-alp/").status_code == 404

    def test_related_questions_link_only_to_published_articles(
        self, client: Client, published: Article, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Related questions list published related articles and skip drafts."""
        other = make_article(
            author=author, slug="other", title="Is it genetic?", citations=[make_reference()]
        )
        publish_approved(other, author=author, editor=editor, reviewers=[reviewer])
        hidden = make_article(author=author, slug="hidden", title="Hidden draft?")
        article = draft_update(
            article=published,
            user=editor,
            base_version=published.version,
            fields={"related_ids": [other.pk, hidden.pk]},
            change_reason="Link",
        )
        article = publish_again(article, editor=editor, reviewer=reviewer)
        html = client.get("/articles/low-alp/?audience=patient").content.decode()
        assert "Related Questions" in html
        assert 'href="/articles/other/?audience=patient">Is it genetic?' in html
        assert "Hidden draft?" not in html


def publish_again(article: Article, *, editor: Any, reviewer: Any) -> Article:
    from tests.factories import approve

    approve(article, reviewer)
    transition_apply(article=article, user=editor, action="publish")
    return Article.objects.get(pk=article.pk)


class TestStructuredData:
    def test_json_ld_describes_a_reviewed_medical_web_page(
        self, client: Client, published: Article, reviewer: Any, author: Any
    ) -> None:
        """MedicalWebPage with lastReviewed, reviewedBy, author, dateModified, citations, audience."""
        data = structured_data(client.get("/articles/low-alp/?audience=clinician").content.decode())
        assert data["@type"] == "MedicalWebPage"
        assert data["name"] == "What is low ALP?"
        assert data["url"] == "http://testserver/articles/low-alp/?audience=clinician"
        assert data["medicalAudience"] == {"@type": "Clinician"}
        assert data["reviewedBy"][0]["name"] == reviewer.reviewer_profile.display_name
        assert data["reviewedBy"][0]["honorificSuffix"] == "MD"
        assert data["lastReviewed"]
        assert data["dateModified"]
        assert data["author"] == [{"@type": "Person", "name": author.get_full_name()}]
        assert len(data["citation"]) == 2
        assert {i["propertyID"] for c in data["citation"] for i in c["identifier"]} == {"PMID"}

    def test_caregiver_audience_is_a_medical_audience_with_a_type(
        self, client: Client, published: Article
    ) -> None:
        """Audiences without a schema.org type become MedicalAudience with audienceType."""
        data = structured_data(client.get("/articles/low-alp/?audience=caregiver").content.decode())
        assert data["medicalAudience"] == {"@type": "MedicalAudience", "audienceType": "Caregiver"}

    def test_pending_article_claims_no_review(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A page pending review has no lastReviewed or reviewedBy."""
        article = make_article(author=author, slug="pending", citations=[make_reference()])
        submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
        transition_apply(
            article=article, user=editor, action="publish_pending_review", note="Early."
        )
        data = structured_data(client.get("/articles/pending/").content.decode())
        assert "reviewedBy" not in data and "lastReviewed" not in data

    def test_json_ld_cannot_break_out_of_its_script_tag(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A title containing </script> stays inside the JSON string."""
        article = make_article(
            author=author,
            slug="evil",
            title="Is </script><script>alert(1)</script> bad?",
            citations=[make_reference()],
        )
        publish_approved(article, author=author, editor=editor, reviewers=[reviewer])
        html = client.get("/articles/evil/").content.decode()
        assert "<script>alert(1)" not in html
        assert structured_data(html)["name"].startswith("Is </script>")


class TestQueryCounts:
    @pytest.mark.parametrize("n_citations", [2, 20])
    def test_article_page_query_count_is_flat_in_citations(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        n_citations: int,
        django_assert_max_num_queries: Any,
    ) -> None:
        """The same budget serves 2 or 20 citations and 1 or 10 related articles, cold or warm cache."""
        refs = [make_reference() for _ in range(n_citations)]
        related = [
            publish_approved(
                make_article(author=author, citations=refs[:1]),
                author=author,
                editor=editor,
                reviewers=[reviewer],
            ).pk
            for _ in range(1 if n_citations == 2 else 10)
        ]
        texts = {
            key: " ".join(f"S [@pmid:{r.pmid}]." for r in refs)
            for key in ("patient", "caregiver", "student", "clinician")
        }
        article = make_article(author=author, slug="many", texts=texts, related_ids=related)
        publish_approved(article, author=author, editor=editor, reviewers=[reviewer])
        cache.clear()  # a fresh app server: renditions and disclaimers come from the database
        # 10 cold: one is the sources' live status (retracted, superseded), which the frozen
        # rendition cannot hold; warm, it is cached under the public-pages epoch.
        with django_assert_max_num_queries(10):
            assert client.get("/articles/many/?audience=clinician").status_code == 200
        with django_assert_max_num_queries(4):
            assert client.get("/articles/many/?audience=clinician").status_code == 200

    def test_home_page_query_count_is_flat(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        django_assert_max_num_queries: Any,
    ) -> None:
        """The home page lists published articles in a fixed number of queries."""
        for _ in range(5):
            publish_approved(
                make_article(author=author, citations=[make_reference()]),
                author=author,
                editor=editor,
                reviewers=[reviewer],
            )
        with django_assert_max_num_queries(2):
            assert client.get("/").status_code == 200


class TestOtherPages:
    def test_home_lists_published_articles_only(
        self, client: Client, published: Article, author: Any
    ) -> None:
        """Drafts never appear on the home page."""
        make_article(author=author, title="A draft question?")
        html = client.get("/").content.decode()
        assert 'href="/articles/low-alp/"' in html
        assert "A draft question?" not in html

    def test_editorial_policy_page_renders_markdown_safely(self, client: Client) -> None:
        """Site pages are Markdown, sanitised."""
        SitePage.objects.create(
            slug="editorial-policy",
            title="Editorial policy",
            body="## How we review\n\nCarefully. <script>alert(1)</script>",
        )
        html = client.get(reverse("public:page", args=["editorial-policy"])).content.decode()
        assert "<h2>How we review</h2>" in html
        assert "<script>alert" not in html

    def test_board_page_lists_members_with_credentials_and_conflicts(
        self, client: Client, reviewer: Any
    ) -> None:
        """The board page shows each member's name, credentials, specialty and declared conflicts."""
        profile = reviewer.reviewer_profile
        profile.conflicts_of_interest = "Speaker fees from a drug maker (2024)."
        profile.save()
        html = client.get("/board/").content.decode()
        assert f"{profile.display_name}, MD" in html
        assert "Endocrinology" in html
        assert "Speaker fees from a drug maker (2024)." in html
        assert f'id="{profile.slug}"' in html

    def test_missing_site_page_is_404(self, client: Client) -> None:
        """An unknown page slug answers 404 with the site's own page."""
        response = client.get("/pages/nope/")
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()


def test_references_keep_the_text_numbers_in_one_list_labelled_by_kind(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """Guidelines and research share one list in the text's order, each entry with its type."""
    research = make_reference(title="A trial")
    guideline = make_reference(kind="guideline", title="A guideline")
    texts = dict.fromkeys(
        ("patient", "clinician"),
        f"Trial [@pmid:{research.pmid}]. Guideline [@pmid:{guideline.pmid}].",
    )
    publish_approved(
        make_article(author=author, slug="grouped", texts=texts),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    html = client.get("/articles/grouped/?audience=patient").content.decode()
    assert '<li id="ref-1" value="1"><span class="ref-kind">Journal article</span>' in html
    assert '<li id="ref-2" value="2"><span class="ref-kind">Guideline</span>' in html
    assert html.index('id="ref-1"') < html.index('id="ref-2"')


def test_json_ld_names_the_aspects_the_sections_cover(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """Section headings about causes, symptoms and treatment become schema.org aspects."""
    ref = make_reference()
    body = f"## Other causes\n\nText [@pmid:{ref.pmid}].\n\n## Symptoms in adults\n\nText.\n\n## Treatment\n\nText."
    publish_approved(
        make_article(author=author, slug="aspects", texts={"patient": body, "clinician": body}),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    data = structured_data(client.get("/articles/aspects/?audience=patient").content.decode())
    assert data["aspect"] == ["Causes", "Symptoms", "Treatment"]


@pytest.mark.parametrize("body", ["See [@pmid:1].", "Odd [@not a key] bracket", "[@]"])
def test_a_citation_marker_in_a_site_page_is_shown_as_text_not_a_server_error(
    client: Client, body: str
) -> None:
    """Site pages cite nothing: a marker an editor typed is text, on the page and the board."""
    SitePage.objects.create(slug="about-the-board", title="About the board", body=body)
    SitePage.objects.create(slug="policy", title="Policy", body=f"Intro. {body}")
    for url in ("/pages/policy/", "/board/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "[@" in response.content.decode(), url
