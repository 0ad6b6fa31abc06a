"""Versions and content hashes: one version per content change, none for anything else."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from articles import content
from articles.models import Article
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import make_article, make_reference, publish_approved

# The canonical serialisation is fixed: this content must hash to this value on every database.
KNOWN_CONTENT = {
    "title": "What is low ALP?",
    "summary": "A summary.",
    "texts": {"patient": "Hello [@pmid:30288020].", "clinician": "Für Ärzte."},
    "citation_keys": ["pmid:30288020"],
    "related_ids": [3, 1],
}
KNOWN_HASH = hashlib.sha256(
    b'{"citations":["pmid:30288020"],"format":"editorial-content/1","related":[1,3],'
    b'"summary":"A summary.","texts":{"clinician":"F\xc3\xbcr \xc3\x84rzte.",'
    b'"patient":"Hello [@pmid:30288020]."},"title":"What is low ALP?"}'
).hexdigest()


class TestCanonicalHash:
    def test_hash_is_sha256_of_the_documented_canonical_bytes(self) -> None:
        """The hash is SHA-256 over sorted-key, compact, UTF-8 JSON of the content."""
        assert content.content_hash(**KNOWN_CONTENT) == KNOWN_HASH

    def test_line_endings_trailing_spaces_and_unicode_forms_do_not_change_the_hash(self) -> None:
        """Text that reads the same hashes the same (CRLF, trailing blanks, NFD vs NFC)."""
        variant = dict(
            KNOWN_CONTENT,
            texts={
                "patient": "Hello [@pmid:30288020].  \r\n",
                "clinician": "Fu\u0308r A\u0308rzte.",
                "student": "   ",
            },
        )
        assert content.content_hash(**variant) == KNOWN_HASH

    def test_every_content_field_changes_the_hash(self) -> None:
        """Title, summary, any audience text, citations and related articles are all content."""
        changes = {
            "title": "Another title?",
            "summary": "Other.",
            "texts": {**KNOWN_CONTENT["texts"], "student": "New"},
            "citation_keys": ["pmid:1"],
            "related_ids": [1],
        }
        for field, value in changes.items():
            assert content.content_hash(**dict(KNOWN_CONTENT, **{field: value})) != KNOWN_HASH, (
                field
            )


@pytest.mark.django_db
class TestArticleVersions:
    def test_creating_an_article_makes_version_one_with_one_history_row(self, author: Any) -> None:
        """A new article is version 1, with its hash and exactly one frozen snapshot."""
        article = make_article(author=author)
        assert article.version == 1
        assert article.history.count() == 1
        assert article.content_hash == article.compute_content_hash()

    def test_saving_without_a_content_change_makes_no_version_and_no_history(
        self, author: Any
    ) -> None:
        """A no-op save keeps the version number and writes no history row."""
        article = make_article(author=author)
        article.save()
        Article.objects.get(pk=article.pk).save()
        article.refresh_from_db()
        assert article.version == 1
        assert article.history.count() == 1

    def test_a_content_change_makes_a_new_version_and_history_row(self, author: Any) -> None:
        """Changing one audience's text bumps the version and freezes the new content."""
        article = make_article(author=author)
        old_hash = article.content_hash
        article.texts = {**article.texts, "patient": "Changed text."}
        article.save()
        article.refresh_from_db()
        assert article.version == 2
        assert article.content_hash != old_hash
        snapshot = article.history.get(version=2)
        assert snapshot.texts["patient"] == "Changed text."
        assert snapshot.content_hash == article.content_hash

    def test_stored_hash_matches_a_recomputation_after_a_database_round_trip(
        self, author: Any
    ) -> None:
        """What the database gives back hashes to the stored value (same on SQLite and PostgreSQL)."""
        make_reference(pmid="30288020")
        article = make_article(
            author=author,
            title=KNOWN_CONTENT["title"],
            summary=KNOWN_CONTENT["summary"],
            texts=KNOWN_CONTENT["texts"],
        )
        reloaded = Article.objects.get(pk=article.pk)
        assert reloaded.citation_keys == ["pmid:30288020"]
        assert reloaded.compute_content_hash() == reloaded.content_hash
        assert reloaded.history.get(version=1).content_hash == reloaded.content_hash

    def test_database_round_trip_gives_the_known_hash(self, author: Any) -> None:
        """The fixed content saved and read back hashes to the documented constant."""
        related = [make_article(author=author).pk, make_article(author=author).pk]
        article = make_article(
            author=author,
            title=KNOWN_CONTENT["title"],
            summary=KNOWN_CONTENT["summary"],
            texts=KNOWN_CONTENT["texts"],
        )
        article.related_ids = list(reversed(related))
        article.save()
        reloaded = Article.objects.get(pk=article.pk)
        assert reloaded.content_hash == content.content_hash(
            **dict(KNOWN_CONTENT, related_ids=related)
        )

    def test_saved_content_hashes_to_the_same_literal_on_every_database(self, author: Any) -> None:
        """Stored through the ORM (JSON on SQLite, jsonb on PostgreSQL), the hash is this literal."""
        make_reference(pmid="30288020")
        article = make_article(
            author=author,
            title=KNOWN_CONTENT["title"],
            summary=KNOWN_CONTENT["summary"],
            texts=KNOWN_CONTENT["texts"],
        )
        reloaded = Article.objects.get(pk=article.pk)
        literal = "c1df88c68478a89901dcda46774599053c872c3719617220bd9ba6c8f0982889"
        assert reloaded.content_hash == literal
        assert reloaded.compute_content_hash() == literal
        assert reloaded.history.get(version=1).content_hash == literal

    def test_workflow_transitions_never_create_a_content_version(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Submitting, reviewing, approving and publishing leave version and history alone."""
        article = make_article(author=author, citations=[make_reference()])
        published = publish_approved(article, author=author, editor=editor, reviewers=[reviewer])
        assert published.version == 1
        assert published.history.count() == 1
        transition_apply(article=published, user=editor, action="unpublish", note="Taken down.")
        assert Article.objects.get(pk=article.pk).history.count() == 1

    def test_publishing_points_readers_at_the_frozen_version_not_the_draft(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """After publish, draft edits change the working copy but not what readers get."""
        article = make_article(author=author, citations=[make_reference()])
        published = publish_approved(article, author=author, editor=editor, reviewers=[reviewer])
        live_hash = published.live_version.content_hash
        draft_update(
            article=published,
            user=author,
            base_version=published.version,
            fields={"summary": "A new summary."},
            change_reason="Clarify.",
        )
        article = Article.objects.select_related("live_version").get(pk=article.pk)
        assert article.version == 2
        assert article.live_version.version == 1
        assert article.live_version.content_hash == live_hash
        assert article.live_version.summary == "A short summary."


def test_a_slug_differing_only_in_case_is_refused_as_taken(author: Any) -> None:
    """`Metformin` and `metformin` are one address: the second is refused on its field."""
    make_article(author=author, slug="metformin")
    with pytest.raises(ValidationError) as refused:
        make_article(author=author, slug="Metformin")
    assert [e.code for e in refused.value.error_dict["slug"]] == ["unique"]
    assert Article.objects.count() == 1


def test_the_database_refuses_a_slug_differing_only_in_case(author: Any) -> None:
    article = make_article(author=author, slug="insulin")
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(slug="insulin-2")
        Article(slug="INSULIN-2", title="Copy", texts={}).save()
