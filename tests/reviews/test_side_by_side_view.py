"""The workspace diff page: side by side by default, the Markdown diff kept, links that land on it."""

from __future__ import annotations

import re
from typing import Any

import html5lib
import pytest
from django.core import mail
from django.test import override_settings

from articles.models import Article
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import (
    PASSWORD,
    logged_in,
    make_article,
    make_reference,
    publish_approved,
    submit_and_review,
)

pytestmark = pytest.mark.django_db

TEXT = (
    "## Treatment\n\nTake 15 mg daily [@{key}].\n\n- Do not drive.\n- Rest.\n\n"
    "| Test | Value |\n|---|---|\n| ALP | 35 U/L |"
)
AUDIENCES = ("patient", "caregiver", "student", "clinician")


def dose_change(author: Any) -> Article:
    """Four audiences; version 2 raises the patient dose, drops a negation and changes a lab
    value for clinicians, and leaves caregiver and student texts alone."""
    reference = make_reference()
    texts = dict.fromkeys(AUDIENCES, TEXT.format(key=reference.citekey))
    article = make_article(author=author, texts=texts)
    changed = {
        **texts,
        "patient": texts["patient"].replace("15 mg", "30 mg").replace("Do not drive", "Drive"),
        "clinician": texts["clinician"].replace("35 U/L", "40 U/L"),
    }
    draft_update(
        article=article,
        user=author,
        base_version=1,
        fields={"texts": changed},
        change_reason="Dose raised.",
    )
    return Article.objects.get(pk=article.pk)


def sections(html: str) -> list[str]:
    return re.findall(r'<section class="diff-side" data-audience="([^"]+)"', html)


class TestTheDiffPage:
    def test_changed_audiences_are_side_by_side_and_unchanged_ones_listed(
        self, author: Any
    ) -> None:
        """One section per changed text with "Version 1" | "Version 2"; the rest named once."""
        article = dose_change(author)
        response = logged_in(author).get(f"/workspace/articles/{article.slug}/diff/?from=1&to=2")
        html = response.content.decode()
        assert response.status_code == 200
        assert sections(html) == ["patient", "clinician"]
        assert html.count('<th scope="col">Version 1</th><th scope="col">Version 2</th>') == 2
        assert "Unchanged: Caregiver, Student." in html
        # Rendered, not Markdown: a heading and a table, no ## or pipes.
        assert "<h3>Treatment</h3>" in html and "## Treatment" not in html.split("<details")[0]
        assert 'data-clinical="dose"' in html and 'data-clinical="negation"' in html

    def test_each_section_and_the_page_top_count_clinical_changes(self, author: Any) -> None:
        """Patient: a dose and a negation; clinician: a number; the page sums all three."""
        article = dose_change(author)
        html = (
            logged_in(author)
            .get(f"/workspace/articles/{article.slug}/diff/?from=1&to=2")
            .content.decode()
        )
        assert "<strong>3 clinical changes: 1 dose, 1 negation, 1 number</strong>" in html
        patient, clinician = html.split('data-audience="patient"')[1].split(
            'data-audience="clinician"'
        )
        assert "2 clinical changes: 1 dose, 1 negation" in patient
        assert "1 clinical change: 1 number" in clinician.split("</h2>")[0]

    def test_the_markdown_diff_stays_available_below(self, author: Any) -> None:
        """The source diff is still there, folded under "Source (Markdown) changes"."""
        article = dose_change(author)
        html = (
            logged_in(author)
            .get(f"/workspace/articles/{article.slug}/diff/?from=1&to=2")
            .content.decode()
        )
        source = html.split('<details class="diff-source">')[1]
        assert "<summary>Source (Markdown) changes</summary>" in source
        assert '<div class="diff">## Treatment' in source and "diff-clinical" in source

    def test_the_page_is_well_formed_html(self, author: Any) -> None:
        """Cells holding headings, lists and tables still parse strictly as HTML5."""
        article = dose_change(author)
        html = (
            logged_in(author)
            .get(f"/workspace/articles/{article.slug}/diff/?from=1&to=2")
            .content.decode()
        )
        html5lib.HTMLParser(strict=True).parse(html)

    def test_a_change_to_fields_only_shows_no_text_sections(self, author: Any) -> None:
        """A summary edit: the field diff as before, every text listed as unchanged."""
        article = make_article(author=author)
        draft_update(
            article=article,
            user=author,
            base_version=1,
            fields={"summary": "A new summary."},
            change_reason="Summary.",
        )
        html = (
            logged_in(author)
            .get(f"/workspace/articles/{article.slug}/diff/?from=1&to=2")
            .content.decode()
        )
        assert sections(html) == []
        assert "The texts did not change." in html
        assert "Unchanged: Patient, Clinician." in html
        assert "<h2>Summary</h2>" in html


class TestLinksLandOnIt:
    def test_the_history_compare_form_lands_on_the_side_by_side_view(self, author: Any) -> None:
        """The history page's form submits to the diff, whose default is side by side."""
        article = dose_change(author)
        client = logged_in(author)
        history = client.get(f"/workspace/articles/{article.slug}/history/").content.decode()
        action = re.search(r'<form method="get" action="([^"]+)"', history)
        assert action is not None
        html = client.get(f"{action.group(1)}?from=1&to=2").content.decode()
        assert sections(html) == ["patient", "clinician"]

    def test_the_article_pages_link_since_publication_lands_on_it(
        self, author: Any, editor: Any, reviewer: Any, reviewer2: Any
    ) -> None:
        """ "What changed since the published version" opens the side-by-side view."""
        reference = make_reference()
        texts = dict.fromkeys(("patient", "clinician"), TEXT.format(key=reference.citekey))
        article = publish_approved(
            make_article(author=author, texts=texts),
            author=author,
            editor=editor,
            reviewers=[reviewer, reviewer2],  # the text gives a dose: two approvals
        )
        draft_update(
            article=article,
            user=author,
            base_version=article.version,
            fields={"texts": {**texts, "patient": texts["patient"].replace("15", "20")}},
            change_reason="Dose.",
        )
        client = logged_in(editor)
        page = client.get(f"/workspace/articles/{article.slug}/").content.decode()
        link = re.search(r'<a href="([^"]+/diff/[^"]+)">What changed since the published', page)
        assert link is not None
        html = client.get(link.group(1).replace("&amp;", "&")).content.decode()
        assert sections(html) == ["patient"]
        assert "1 clinical change: 1 dose" in html

    @override_settings(SITE_URL="https://health.example.org")
    def test_the_new_round_mail_links_to_it(
        self,
        author: Any,
        editor: Any,
        reviewer: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        """The reviewer's "new version ready" mail opens the side-by-side view of the change."""
        reference = make_reference()
        texts = dict.fromkeys(("patient", "clinician"), TEXT.format(key=reference.citekey))
        article = submit_and_review(
            make_article(author=author, texts=texts),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        transition_apply(
            article=article,
            user=reviewer,
            action="request_changes",
            password=PASSWORD,
            note="Check the dose.",
            params={"content_hash": article.content_hash},
        )
        draft_update(
            article=article,
            user=author,
            base_version=article.version,
            fields={"texts": {**texts, "patient": texts["patient"].replace("15", "10")}},
            change_reason="Dose checked.",
        )
        article.refresh_from_db()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            transition_apply(article=article, user=author, action="submit")
        body = next(m.body for m in mail.outbox if m.to == [reviewer.email])
        url = re.search(r"https://health\.example\.org(/workspace/\S+/diff/\S+)", body)
        assert url is not None
        html = logged_in(reviewer).get(url.group(1)).content.decode()
        assert sections(html) == ["patient"]
        assert 'data-clinical="dose"' in html
