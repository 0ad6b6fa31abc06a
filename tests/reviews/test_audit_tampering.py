"""Tampering by someone with database access but without the audit key or the checkpoint files:
a forged approval, a truncated chain and an edited sign-off are never shown as a review, and
`verify_audit` reports each of them."""

from __future__ import annotations

import hashlib
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client, override_settings

from articles.models import Article
from reviews.models import AuditEvent, Meaning, SignOff
from reviews.records import chain_head
from reviews.services.transitions import transition_apply
from tests.factories import (
    make_article,
    make_reference,
    publish_approved,
    submit_and_review,
    triggers_bypassed,
)


def published_pending(author: Any, editor: Any, reviewer: Any) -> Article:
    article = make_article(author=author, slug="pending", citations=[make_reference()])
    submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
    transition_apply(article=article, user=editor, action="publish_pending_review", note="Early.")
    return Article.objects.select_related("live_version").get(pk=article.pk)


def forged_approval(article: Article, reviewer: Any) -> SignOff:
    live = article.live_version
    return SignOff(
        article=article,
        version=live.version,
        content_hash=live.content_hash,
        cycle=article.workflow.cycle,
        reviewer=reviewer,
        printed_name="Dr Forged",
        credentials="MD",
        meaning=Meaning.APPROVED,
        statement="I approve.",
    )


def forge_with_a_guessed_key(article: Article, reviewer: Any) -> None:
    """A process with database access but not the audit key writes through the model."""
    with override_settings(EDITORIAL_AUDIT_KEY="a-guess-at-the-key"):
        forged_approval(article, reviewer).save()


def forge_with_an_unkeyed_hash(article: Article, reviewer: Any) -> None:
    """An INSERT of a row hashed as the chain used to be: plain SHA-256, linked to the head."""
    row = forged_approval(article, reviewer)
    row.chain_previous = chain_head(SignOff, article.pk)
    row.chain_key_id = "k1"
    row.chain_hash = hashlib.sha256(row.chain_content()).hexdigest()
    SignOff.objects.bulk_create([row])  # one INSERT, none of the model's own saving


def reader_views(client: Client, slug: str) -> dict[str, str]:
    return {
        "article page": client.get(f"/articles/{slug}/?audience=patient").content.decode(),
        "history page": client.get(f"/articles/{slug}/history/").content.decode(),
        "read API": client.get(f"/api/v1/articles/{slug}/?audience=patient").content.decode(),
        "feed": client.get("/feed/").content.decode(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("forge", [forge_with_a_guessed_key, forge_with_an_unkeyed_hash])
def test_a_forged_approval_is_never_shown_as_a_review_and_fails_verification(
    forge: Any, client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """Forged approval + live_pending_review=false: every reader view keeps the caution state."""
    article = published_pending(author, editor, reviewer)
    forge(article, reviewer)
    with triggers_bypassed():
        Article.objects.filter(pk=article.pk).update(live_pending_review=False)

    views = reader_views(client, "pending")
    for name, body in views.items():
        assert "Dr Forged" not in body, name
    assert "Medically reviewed by" not in views["article page"]
    assert "This content is pending review" in views["article page"]
    err = StringIO()
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_audit", stderr=err)
    assert "written without the audit key" in err.getvalue()


@pytest.mark.django_db
def test_deleting_the_newest_sign_off_and_audit_event_fails_verification(
    django_capture_on_commit_callbacks: Any, author: Any, editor: Any, reviewer: Any
) -> None:
    """The shortened chains still link; the heads checkpointed outside the database are missing."""
    with django_capture_on_commit_callbacks(execute=True):
        article = publish_approved(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
    call_command("verify_audit", stdout=StringIO())
    newest_signoff = SignOff.objects.filter(article=article).latest("pk")
    newest_event = AuditEvent.objects.filter(article=article).latest("pk")
    with triggers_bypassed(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SignOff._meta.db_table} WHERE id = %s", [newest_signoff.pk])
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [newest_event.pk])

    err = StringIO()
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_audit", "--all", stderr=err)
    assert f"SignOff {newest_signoff.pk} (article {article.pk}): the checkpointed" in err.getvalue()
    assert f"AuditEvent {newest_event.pk} (article {article.pk}): the checkpointed" in (
        err.getvalue()
    )


@pytest.mark.django_db
def test_a_sign_off_edited_in_place_is_not_listed_on_the_public_history_page(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """The history page names a reviewer only from a sign-off that still verifies."""
    article = publish_approved(
        make_article(author=author, slug="edited", citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    signoff = SignOff.objects.get(article=article)
    assert signoff.printed_name in client.get("/articles/edited/history/").content.decode()
    with triggers_bypassed(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SignOff._meta.db_table} SET printed_name = %s WHERE id = %s",
            ["Dr Impostor", signoff.pk],
        )
    with pytest.raises(CommandError):
        call_command("verify_audit", stderr=StringIO())  # also re-renders cached pages

    html = client.get("/articles/edited/history/").content.decode()
    assert "Dr Impostor" not in html and "Medically reviewed by" not in html


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL triggers")
def test_postgresql_refuses_raw_updates_and_deletes_of_append_only_rows(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """Append-only holds below the ORM: raw SQL UPDATE and DELETE raise, for every such table."""
    article = publish_approved(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    for model in (SignOff, AuditEvent):
        pk = model.objects.filter(article=article).latest("pk").pk
        for sql in (
            f"UPDATE {model._meta.db_table} SET note = 'changed' WHERE id = %s",
            f"DELETE FROM {model._meta.db_table} WHERE id = %s",
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql, [pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE '%%_append_only'"
        )
        guarded = {row[0] for row in cursor.fetchall()}
    assert guarded == {
        "reviews_signoff",
        "reviews_auditevent",
        "reviews_reviewcomment",
        "reviews_commentresolution",
        "reviews_checkwaiver",
    }
