"""Cached public pages follow every write, bulk deletes and the admin's "Delete selected" included.

These used to be `save()`/`delete()` overrides, which a queryset's `delete()` never calls: after a
bulk delete, readers kept the deleted glossary entry, topic or disclaimer for up to an hour.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from articles.models import Disclaimer, GlossaryTerm, Topic
from reviews.services.topics import article_topics_set
from tests.factories import make_article, make_reference, publish_approved, publish_revision

URL = "/articles/enzymes/?audience=patient"


@pytest.fixture
def published(author: Any, editor: Any, reviewer: Any) -> Any:
    ref = make_reference()
    texts = {
        "patient": f"An enzyme helps bones grow [@pmid:{ref.pmid}].",
        "clinician": f"Alkaline phosphatase is a tissue-nonspecific isoenzyme [@pmid:{ref.pmid}].",
    }
    article = make_article(author=author, slug="enzymes", texts=texts, citations=[ref])
    return publish_approved(article, author=author, editor=editor, reviewers=[reviewer])


def page(client: Client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
class TestBulkDeletesRefreshPublicPages:
    def test_the_admins_delete_selected_drops_a_glossary_entry_from_the_next_publication(
        self,
        client: Client,
        author: Any,
        editor: Any,
        reviewer: Any,
        published: Any,
        django_capture_on_commit_callbacks: Callable[..., Any],
    ) -> None:
        """The admin's bulk action reaches the glossary cache: the live page keeps the glossary
        it was published with, and the next reviewed version renders without the deleted entry."""
        with django_capture_on_commit_callbacks(execute=True):
            term = GlossaryTerm.objects.create(
                term="enzyme", slug="enzyme", definition="A protein that does a chemical job."
            )
        with django_capture_on_commit_callbacks(execute=True):
            published = publish_revision(
                published, author=author, editor=editor, reviewer=reviewer, summary="With terms."
            )
        assert "A protein that does a chemical job." in page(client)

        editor.is_staff = True
        editor.save()
        editor.user_permissions.add(
            *Permission.objects.filter(codename__in=["view_glossaryterm", "delete_glossaryterm"])
        )
        admin = Client()
        admin.force_login(editor)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(
                "/admin/articles/glossaryterm/",
                {"action": "delete_selected", "_selected_action": [term.pk], "post": "yes"},
            )
        assert response.status_code == 302
        assert not GlossaryTerm.objects.exists()
        assert "A protein that does a chemical job." in page(client)  # frozen with the version
        with django_capture_on_commit_callbacks(execute=True):
            publish_revision(
                published, author=author, editor=editor, reviewer=reviewer, summary="Revised."
            )
        assert "A protein that does a chemical job." not in page(client)

    def test_a_bulk_deleted_topic_leaves_the_page(
        self,
        client: Client,
        author: Any,
        published: Any,
        django_capture_on_commit_callbacks: Callable[..., Any],
    ) -> None:
        topic = Topic.objects.create(name="Bone health", slug="bone-health")
        with django_capture_on_commit_callbacks(execute=True):
            article_topics_set(article=published, user=author, topics=[topic])
        assert "Bone health" in page(client)
        with django_capture_on_commit_callbacks(execute=True):
            Topic.objects.filter(pk=topic.pk).delete()
        assert "Bone health" not in page(client)

    def test_a_bulk_deleted_disclaimer_leaves_the_page(
        self,
        client: Client,
        published: Any,
        django_capture_on_commit_callbacks: Callable[..., Any],
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            Disclaimer.objects.create(audience="patient", text="Talk to your own doctor.")
        assert "Talk to your own doctor." in page(client)
        with django_capture_on_commit_callbacks(execute=True):
            Disclaimer.objects.filter(audience="patient").delete()
        assert "Talk to your own doctor." not in page(client)
