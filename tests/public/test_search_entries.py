"""The search entries follow what is live: publishing, a published revision, taking down,
retiring; the rebuild command and the migration's backfill make the same rows."""

from __future__ import annotations

import importlib
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from articles.audiences import audiences
from articles.models import Article
from public.models import SearchEntry
from public.search_index import search_entries_sync
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import (
    make_article,
    make_reference,
    publish_approved,
    publish_revision,
    role_groups_ensure,
)

on_postgres = connection.vendor == "postgresql"
postgres_only = pytest.mark.skipif(not on_postgres, reason="the vectors exist on PostgreSQL only")


def publish(author: Any, editor: Any, reviewer: Any, **fields: Any) -> Article:
    return publish_approved(
        make_article(author=author, **fields), author=author, editor=editor, reviewers=[reviewer]
    )


def entries(article: Article) -> dict[str, Any]:
    return {e.audience: e for e in SearchEntry.objects.filter(article=article)}


def matching(article: Article, audience: str, words: str) -> bool:
    """Whether the article's entry for `audience` matches `words` (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT document @@ websearch_to_tsquery('english', %s) FROM public_searchentry"
            " WHERE article_id = %s AND audience = %s",
            [words, article.pk, audience],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def vectors() -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT article_id, audience, published_at, head::text, document::text"
            " FROM public_searchentry ORDER BY article_id, audience"
        )
        return cursor.fetchall()


@pytest.mark.django_db
class TestKeptInStep:
    def test_publishing_writes_one_entry_per_audience(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        article = publish(author, editor, reviewer, title="Axolotl?")
        found = entries(article)
        assert set(found) == set(audiences())
        assert all(e.published_at == article.published_at for e in found.values())

    @postgres_only
    def test_each_audience_entry_holds_its_own_text_or_its_fallback(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        article = publish(
            author,
            editor,
            reviewer,
            title="Axolotl?",
            texts={"patient": "Gills are pink.", "clinician": "Neoteny persists."},
        )
        assert matching(article, "patient", "gills") and not matching(article, "patient", "neoteny")
        assert matching(article, "clinician", "neoteny")
        assert matching(article, "caregiver", "gills")  # the caregiver falls back to the patient
        assert matching(article, "student", "neoteny")  # the student, to the clinician
        assert all(matching(article, key, "axolotl") for key in audiences())

    def test_a_draft_edit_leaves_the_entries_alone_until_it_is_published(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        article = publish(author, editor, reviewer, title="Quokka?", summary="Old summary.")
        before = vectors() if on_postgres else None
        draft_update(
            article=article,
            user=author,
            base_version=article.version,
            fields={"summary": "Marsupial summary."},
            change_reason="Edit",
        )
        if on_postgres:
            assert vectors() == before
        article = Article.objects.get(pk=article.pk)
        revised = publish_revision(
            article, author=author, editor=editor, reviewer=reviewer, summary="Marsupial summary."
        )
        assert {e.published_at for e in entries(revised).values()} == {revised.published_at}
        if on_postgres:
            assert matching(revised, "patient", "marsupial")
            assert not matching(revised, "patient", "old")

    @pytest.mark.parametrize("action", ["unpublish", "retire"])
    def test_taking_an_article_off_the_site_removes_its_entries(
        self, author: Any, editor: Any, reviewer: Any, action: str
    ) -> None:
        article = publish(author, editor, reviewer)
        kept = publish(author, editor, reviewer)
        transition_apply(article=article, user=editor, action=action, note="Off.")
        assert entries(article) == {}
        assert set(entries(kept)) == set(audiences())

    def test_sync_of_an_unpublished_article_removes_stale_rows(self, author: Any) -> None:
        """A row left by a bulk write (which sends no signal) goes at the next sync."""
        article = make_article(author=author)
        SearchEntry.objects.create(
            article=article, audience="patient", published_at=article.created_at
        )
        search_entries_sync(article)
        assert entries(article) == {}


@pytest.mark.django_db
class TestRebuild:
    def test_rebuild_writes_what_publishing_wrote(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        for n in range(3):
            publish(author, editor, reviewer, title=f"Ibis {n}?")
        make_article(author=author)  # a draft: no entries
        before = vectors() if on_postgres else None
        count = SearchEntry.objects.count()
        SearchEntry.objects.all().delete()
        out = StringIO()
        call_command("search_index_rebuild", stdout=out)
        assert f"{count} search entries written" in out.getvalue()
        assert SearchEntry.objects.count() == 3 * len(audiences())
        if on_postgres:
            assert vectors() == before

    def test_rebuild_refuses_an_unknown_audience_by_name(self) -> None:
        with pytest.raises(CommandError, match="Unknown audience martian; configured: patient"):
            call_command("search_index_rebuild", audience=["martian"])

    @postgres_only
    def test_the_migration_backfill_writes_what_publishing_wrote(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """The backfill's frozen expressions (articles 0003) are today's."""
        ref = make_reference()
        markdown = f"## Wading\n\n- **Long** legs [@pmid:{ref.pmid}], see [this](https://x.org)."
        publish(
            author,
            editor,
            reviewer,
            title="Heron?",
            texts={"patient": markdown, "clinician": "Ardeidae."},
        )
        publish(author, editor, reviewer, title="Egret?")
        before = vectors()
        SearchEntry.objects.all().delete()
        migration = importlib.import_module("public.migrations.0001_search_entries")
        with connection.schema_editor() as editor_:
            migration.backfill(apps, editor_)
        assert vectors() == before


@pytest.fixture(scope="module", autouse=True)
def _role_groups_after_module(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The flush after a transactional test drops the role groups; put them back for the
    tests after this module."""
    yield
    with django_db_blocker.unblock():
        role_groups_ensure()


@pytest.mark.django_db(transaction=True)
@postgres_only
class TestRebuildOnCommittedRows:
    """Index builds and parallel connections need committed rows: no test-wide transaction."""

    @pytest.fixture(autouse=True)
    def _role_groups(self, transactional_db: Any) -> None:
        role_groups_ensure()

    def test_rebuild_indexes_an_audience_added_since_the_migration(
        self, settings: Any, author: Any, editor: Any, reviewer: Any
    ) -> None:
        publish(author, editor, reviewer, title="Stork?")
        clinician = next(a for a in settings.EDITORIAL_AUDIENCES if a["key"] == "clinician")
        nurse = {**clinician, "key": "nurse", "label": "Nurse", "fallback": ["clinician"]}
        settings.EDITORIAL_AUDIENCES = [*settings.EDITORIAL_AUDIENCES, nurse]
        call_command("search_index_rebuild", audience=["nurse"], stdout=StringIO())
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'search_entry_document_nurse'"
            )
            [(definition,)] = cursor.fetchall()
            cursor.execute("DROP INDEX search_entry_document_nurse, search_entry_head_nurse")
        assert "WHERE ((audience)::text = 'nurse'::text)" in definition
        assert matching(Article.objects.get(title="Stork?"), "nurse", "stork")

    def test_a_parallel_rebuild_writes_what_publishing_wrote(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        for n in range(2):
            publish(author, editor, reviewer, title=f"Crane {n}?")
        before = vectors()
        SearchEntry.objects.all().delete()
        out = StringIO()
        call_command("search_index_rebuild", jobs=2, stdout=out)
        assert f"{len(before)} search entries written" in out.getvalue()
        assert vectors() == before
