"""Glossary: inline plain-language definitions in the lay renderings, not in the clinician's."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from articles.glossary import Glossary, Term, annotate
from articles.models import Article, GlossaryTerm
from articles.rendering import render_markdown
from reviews.selectors.workspace import evidence_changes_since_publication
from tests.factories import make_article, make_reference, publish_approved, publish_revision

ENZYME = Term(
    term="enzyme",
    slug="enzyme",
    definition="A protein that does a chemical job.",
    forms=("enzyme", "enzymes"),
)
GLOSSARY = Glossary(terms=(ENZYME,), fingerprint="test")


def render(text: str) -> str:
    return annotate(render_markdown(text, references={}).html, GLOSSARY)


class TestAnnotate:
    def test_first_use_gets_an_accessible_inline_definition(self) -> None:
        """The first use links to the entry and is described by a tooltip; later uses are plain."""
        html = render("An enzyme helps. Another enzyme too.")
        assert html.count('class="glossary-term"') == 1
        assert (
            '<a class="glossary-term" href="#glossary-enzyme" aria-describedby="gloss-enzyme">enzyme</a>'
            in html
        )
        assert (
            '<span class="glossary-tip" role="tooltip" id="gloss-enzyme">A protein that does a chemical job.</span>'
            in html
        )
        assert (
            '<dt id="glossary-enzyme">enzyme</dt><dd>A protein that does a chemical job.</dd>'
            in html
        )

    def test_other_forms_and_case_match_and_keep_the_writers_spelling(self) -> None:
        """'Enzymes' at a sentence start matches, and is shown as written."""
        assert ">Enzymes</a>" in render("Enzymes help.")

    def test_headings_links_and_code_are_left_alone(self) -> None:
        """No definition inside a heading, a link or code; the first use in running text gets it."""
        html = render(
            "## The enzyme\n\n[enzyme page](https://example.org) and `enzyme` then an enzyme."
        )
        assert "<h2>The enzyme</h2>" in html
        assert html.count("glossary-term") == 1
        assert html.index("glossary-term") > html.index("</code>")

    def test_part_of_a_word_does_not_match(self) -> None:
        """'coenzyme' is not 'enzyme'."""
        assert "glossary" not in render("A coenzyme helps.")

    def test_definitions_are_escaped(self) -> None:
        """A hostile definition is shown as text."""
        hostile = Glossary(
            terms=(
                Term(
                    term="enzyme",
                    slug="enzyme",
                    definition="<script>alert(1)</script>",
                    forms=("enzyme",),
                ),
            ),
            fingerprint="x",
        )
        html = annotate(render_markdown("An enzyme.", references={}).html, hostile)
        assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.django_db
class TestOnThePage:
    def test_patient_and_caregiver_get_definitions_and_the_clinician_does_not(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """The lay renderings annotate terms; the clinician rendering is untouched."""
        GlossaryTerm.objects.create(
            term="enzyme", slug="enzyme", definition="A protein that does a job."
        )
        texts = dict.fromkeys(
            ("patient", "caregiver", "clinician"), "The enzyme is low [@pmid:{pmid}]."
        )
        reference = make_reference()
        texts = {k: v.format(pmid=reference.pmid) for k, v in texts.items()}
        publish_approved(
            make_article(author=author, slug="alp", texts=texts),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        for audience in ("patient", "caregiver"):
            assert (
                "A protein that does a job."
                in client.get(f"/articles/alp/?audience={audience}").content.decode()
            )
        assert "glossary" not in client.get("/articles/alp/?audience=clinician").content.decode()

    def test_editing_a_definition_does_not_change_a_live_page_until_it_is_published_again(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        """The live rendition is pinned at publication; the next reviewed version picks them up."""
        with django_capture_on_commit_callbacks(execute=True):
            term = GlossaryTerm.objects.create(
                term="enzyme", slug="enzyme", definition="Old words."
            )
        article = publish_approved(
            make_article(
                author=author, slug="alp", texts={"patient": "An enzyme.", "clinician": "x"}
            ),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        assert "Old words." in client.get("/articles/alp/?audience=patient").content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            term.definition = "New words."
            term.save()
        cache.clear()  # not even a cold cache re-renders it
        html = client.get("/articles/alp/?audience=patient").content.decode()
        assert "Old words." in html and "New words." not in html
        changes = evidence_changes_since_publication(article=Article.objects.get(pk=article.pk))
        assert changes == ["Glossary term “enzyme” edited"]
        with django_capture_on_commit_callbacks(execute=True):
            publish_revision(
                article, author=author, editor=editor, reviewer=reviewer, summary="Revised."
            )
        html = client.get("/articles/alp/?audience=patient").content.decode()
        assert "New words." in html and "Old words." not in html

    def test_editing_a_cited_reference_does_not_change_a_live_page(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        """Reference metadata is frozen with the live rendition, even when the glossary moves."""
        cited = make_reference(title="The original title")
        article = publish_approved(
            make_article(author=author, citations=[cited]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        with django_capture_on_commit_callbacks(execute=True):
            cited.title = "A rewritten title"
            cited.save()
            GlossaryTerm.objects.create(term="study", slug="study", definition="Research.")
        cache.clear()
        html = client.get(f"/articles/{article.slug}/?audience=patient").content.decode()
        assert "The original title" in html and "A rewritten title" not in html
        changes = evidence_changes_since_publication(article=Article.objects.get(pk=article.pk))
        assert f"Reference {cited.citekey} edited" in changes
