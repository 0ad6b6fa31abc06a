"""A database made by the old layout (references in `articles`, API tokens in `reviews`) upgrades
cleanly: rows, history, links and the groups' permissions all follow the models to their new apps.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import ApiToken
from articles.models import CitationLink
from references.models import Reference

# The last migrations before the move, and the apps that did not exist yet.
OLD_LAYOUT = [
    ("articles", "0009_published_order_index"),
    ("reviews", "0007_login_lockouts"),
    ("references", None),
    ("accounts", None),
]


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


@pytest.fixture
def old_layout_database() -> Iterator[MigrationExecutor]:
    """The test database wound back to the old layout; wound forward again afterwards."""
    executor = _executor()
    executor.migrate(OLD_LAYOUT)
    yield _executor()
    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_an_old_layout_database_with_data_upgrades(
    old_layout_database: MigrationExecutor,
) -> None:
    """References, their history and citation links, API tokens and group permissions survive."""
    old = old_layout_database.loader.project_state(
        [(app, name) for app, name in OLD_LAYOUT if name]
    ).apps
    user_model = old.get_model("auth", "User")
    user = user_model.objects.create(username="pipeline")
    reference_model = old.get_model("articles", "Reference")
    historical_reference = old.get_model("articles", "HistoricalReference")
    ref = reference_model.objects.create(
        citekey="bowden-2018", title="Hypophosphatasia", year=2018, doi="10.1000/x", pmid="1"
    )
    historical_reference.objects.create(
        id=ref.pk,
        citekey=ref.citekey,
        title=ref.title,
        year=2018,
        doi=ref.doi,
        pmid=ref.pmid,
        kind="journal-article",
        authors=[],
        more_authors=False,
        editors=[],
        created_at=ref.created_at,
        updated_at=ref.updated_at,
        history_date=ref.updated_at,
        history_type="+",
    )
    article_model = old.get_model("articles", "Article")
    article = article_model.objects.create(slug="alp", title="ALP", texts={"patient": "x"})
    old.get_model("articles", "CitationLink").objects.create(article=article, reference=ref)
    old.get_model("reviews", "ApiToken").objects.create(
        user=user, name="pipeline", prefix="ed_abc", token_hash="f" * 64
    )
    content_type = old.get_model("contenttypes", "ContentType").objects.get(
        app_label="articles", model="reference"
    )
    old_permission = old.get_model("auth", "Permission").objects.get(
        content_type=content_type, codename="change_reference"
    )
    old.get_model("auth", "Group").objects.get_or_create(name="Librarians")[0].permissions.add(
        old_permission
    )

    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())

    moved = Reference.objects.get(citekey="bowden-2018")
    assert moved.pk == ref.pk and moved.doi == "10.1000/x"
    assert moved.history.count() == 1
    assert CitationLink.objects.get(article_id=article.pk).reference_id == ref.pk
    assert ApiToken.objects.get(prefix="ed_abc").user_id == user.pk
    librarians = Group.objects.get(name="Librarians")
    assert librarians.permissions.filter(
        content_type__app_label="references", codename="change_reference"
    ).exists()
    assert not Permission.objects.filter(
        content_type__app_label="articles", codename="change_reference"
    ).exists()
