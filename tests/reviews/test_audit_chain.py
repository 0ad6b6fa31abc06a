"""Tamper evidence: audit events and sign-offs form hash chains that reveal any change by hand."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from articles.models import Article
from reviews.models import AuditEvent, SignOff
from reviews.records import GENESIS
from tests.factories import make_article, make_reference, publish_approved, triggers_bypassed


def published(author: Any, editor: Any, reviewer: Any, slug: str = "alp") -> Article:
    return publish_approved(
        make_article(author=author, slug=slug, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class TestChain:
    def test_each_row_links_to_the_previous_row_of_its_article(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """The first row points at the genesis hash; each next one at the row before it."""
        article = published(author, editor, reviewer)
        events = list(AuditEvent.objects.filter(article=article).order_by("pk"))
        assert events[0].chain_previous == GENESIS
        assert all(
            b.chain_previous == a.chain_hash for a, b in zip(events, events[1:], strict=False)
        )
        assert all(e.verify() for e in events)
        assert "every chain is intact" in verify()

    def test_a_row_altered_in_the_database_is_caught(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """An UPDATE behind the application's back is reported as the first broken link, exit non-zero."""
        article = published(author, editor, reviewer)
        target = AuditEvent.objects.filter(article=article, action="publish").get()
        with triggers_bypassed(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {AuditEvent._meta.db_table} SET note = %s WHERE id = %s",
                ["backdated", target.pk],
            )
        err = StringIO()
        with pytest.raises(CommandError, match="does not verify"):
            call_command("verify_audit", stderr=err)
        assert (
            f"AuditEvent {target.pk} (article {article.pk}): its content no longer matches its hash"
            in err.getvalue()
        )

    def test_a_deleted_row_is_caught(self, author: Any, editor: Any, reviewer: Any) -> None:
        """Removing an event breaks the link of the row after it."""
        article = published(author, editor, reviewer)
        events = list(AuditEvent.objects.filter(article=article).order_by("pk"))
        with triggers_bypassed(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [events[1].pk])
        err = StringIO()
        with pytest.raises(CommandError):
            call_command("verify_audit", stderr=err)
        assert (
            f"AuditEvent {events[2].pk}" in err.getvalue() and "does not follow" in err.getvalue()
        )

    def test_an_altered_sign_off_is_not_shown_to_readers(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A sign-off whose record was changed by hand no longer vouches for the page."""
        article = published(author, editor, reviewer)
        assert (
            "Medically reviewed by"
            in client.get("/articles/alp/?audience=patient").content.decode()
        )
        signoff = SignOff.objects.get(article=article)
        with triggers_bypassed(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {SignOff._meta.db_table} SET printed_name = %s WHERE id = %s",
                ["Dr Impostor", signoff.pk],
            )
        # A change behind the application's back moves no cache epoch; verify_audit finds it and
        # has every cached public page rendered again.
        with pytest.raises(CommandError):
            call_command("verify_audit", stderr=StringIO())
        html = client.get("/articles/alp/?audience=patient").content.decode()
        assert "Dr Impostor" not in html and "Medically reviewed by" not in html
        client.force_login(editor)
        assert (
            "no longer matches its hash" in client.get("/workspace/articles/alp/").content.decode()
        )

    def test_every_shown_sign_off_names_the_version_shown(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """The reviewed-by line appears only for sign-offs bound to the live version's number and hash."""
        published(author, editor, reviewer)
        html = client.get("/articles/alp/?audience=patient").content.decode()
        assert "Medically reviewed by" in html


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_keeps_history_sign_offs_and_the_chain(
    tmp_path: Path, author: Any, editor: Any, reviewer: Any
) -> None:
    """dumpdata, an empty database, loaddata: every version, sign-off and event is back and verifies."""
    article = published(author, editor, reviewer)
    counts = (article.history.count(), SignOff.objects.count(), AuditEvent.objects.count())
    backup = tmp_path / "backup.json"
    # Primary keys are kept (no --natural-primary): the chains hash the ids of actors and articles.
    call_command(
        "dumpdata",
        "--natural-foreign",
        "-e",
        "contenttypes",
        "-e",
        "auth.permission",
        "-e",
        "sessions",
        "-e",
        "admin.logentry",
        "-o",
        str(backup),
    )
    assert json.loads(backup.read_text())
    call_command("flush", "--no-input")
    assert not Article.objects.exists()
    call_command("loaddata", str(backup))
    restored = Article.objects.get(slug="alp")
    assert (restored.history.count(), SignOff.objects.count(), AuditEvent.objects.count()) == counts
    assert "every chain is intact" in verify()
    assert all(s.verify() for s in SignOff.objects.all())
    assert restored.live_version.content_hash == restored.content_hash
    html = Client().get("/articles/alp/?audience=patient").content.decode()
    assert "Medically reviewed by" in html
