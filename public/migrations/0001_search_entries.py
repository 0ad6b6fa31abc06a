"""Search entries: the live version's search vectors, one row per published article and audience.

Backfilled here from the live versions with the expressions of articles migration 0003 (frozen
there: the plain-text rules and each audience's fallback order as they were); the GIN indexes
come after the rows, which is faster than growing them row by row. The per-audience expression
indexes over every version that 0003 made are dropped: nothing reads them any more, and every
saved version paid for them (reversing this migration builds them again).
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models
from django.db.models.functions import Coalesce

import public.models

v0003 = importlib.import_module("articles.migrations.0003_article_search_indexes")
TABLE = "public_searchentry"
# One GIN index per audience and vector, partial on the audience: a search reads one audience,
# and PostgreSQL then needs no second index to drop the other audiences' rows.
GIN_COLUMNS = ("document", "head")


def gin_index_name(column: str, audience: str) -> str:
    return f"search_entry_{column}_{audience}"


def head_sql(quote) -> str:
    config = f"{quote(v0003.CONFIG)}::regconfig"
    return (
        f"(setweight(to_tsvector({config}, COALESCE(title, '')), 'A')"
        f" || setweight(to_tsvector({config}, COALESCE(summary, '')), 'B'))"
    )


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        Article = apps.get_model("articles", "Article")
        SearchEntry = apps.get_model("public", "SearchEntry")
        live = Article.objects.filter(live_version__isnull=False).values_list(
            "pk", Coalesce("published_at", "live_version__history_date")
        )
        SearchEntry.objects.bulk_create(
            [
                SearchEntry(article_id=pk, audience=key, published_at=at)
                for pk, at in live
                for key in v0003.AUDIENCE_TEXTS
            ],
            batch_size=500,
        )
        return
    quote = schema_editor.quote_value
    for audience, keys in v0003.AUDIENCE_TEXTS.items():
        schema_editor.execute(
            f"INSERT INTO {TABLE} (article_id, audience, published_at, head, document)"
            f" SELECT article_id, {quote(audience)}, published_at, {head_sql(quote)},"
            f" {v0003.document_sql(keys, quote)}"
            " FROM (SELECT a.id AS article_id, COALESCE(a.published_at, v.history_date) AS published_at,"
            " v.title, v.summary, v.texts"
            " FROM articles_article a JOIN articles_historicalarticle v"
            " ON v.history_id = a.live_version_id) live"
        )


def create_gin_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_value
    for audience in v0003.AUDIENCE_TEXTS:
        for column in GIN_COLUMNS:
            schema_editor.execute(
                f"CREATE INDEX {gin_index_name(column, audience)} ON {TABLE}"
                f" USING gin ({column}) WHERE audience = {quote(audience)}"
            )
    schema_editor.execute(f"ANALYZE {TABLE}")


def drop_gin_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for audience in v0003.AUDIENCE_TEXTS:
        for column in GIN_COLUMNS:
            schema_editor.execute(f"DROP INDEX IF EXISTS {gin_index_name(column, audience)}")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("articles", "0012_article_slug_unique_ignoring_case"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("audience", models.CharField(max_length=32)),
                ("published_at", models.DateTimeField()),
                ("head", public.models.TsVectorField(null=True)),
                ("document", public.models.TsVectorField(null=True)),
                (
                    "article",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="search_entries",
                        to="articles.article",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        models.F("audience"),
                        models.OrderBy(models.F("published_at"), descending=True),
                        models.OrderBy(models.F("article"), descending=True),
                        name="search_entry_recent",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("article", "audience"), name="search_entry_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_gin_indexes, drop_gin_indexes, elidable=False),
        migrations.RunPython(v0003.drop_indexes, v0003.create_indexes, elidable=False),
    ]
