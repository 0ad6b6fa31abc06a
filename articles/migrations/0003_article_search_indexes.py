"""GIN indexes for the public search, on PostgreSQL only (nothing to do on SQLite).

Search (articles.search) matches `search_document(audience)` against the live version, which is a
row of the history table. One expression index per audience on that table, over exactly the same
expression, lets PostgreSQL find the matching versions by index and join them to the articles
whose live version they are. The expression is frozen here, as it was when this migration was
written; tests/articles/test_search.py checks, on PostgreSQL, that the planner can still use the
index for every configured audience. When the search expression, the audiences or their fallback
order change, that test fails: write a new migration that replaces these indexes.

Every version of every article is indexed (a history row cannot know whether it is live); the
history table is small next to what GIN handles, and writers pay once per saved version.
"""

from django.db import migrations

CONFIG = "english"
# articles.search.PLAIN_TEXT_RULES when this was written.
PLAIN_TEXT_RULES = (
    ("[\x02\x03]", ""),
    ("[ \t]*\\[(@[^\\[\\]\\n]+?)\\]", ""),
    (r"!?\[([^]\n]*)\]\([^)\n]*\)", r"\1"),
    (r"(^|\n)[ \t]*(#{1,6}|>|[-+*]|[0-9]+[.)])[ \t]+", r"\1"),
    (r"[*_`~]+", ""),
    (r"\|", " "),
    (r":?-{3,}:?", ""),
)
# Each audience's text and fallback order (settings.EDITORIAL_AUDIENCES) when this was written.
AUDIENCE_TEXTS = {
    "patient": ("patient", "caregiver", "student", "clinician"),
    "caregiver": ("caregiver", "patient", "student", "clinician"),
    "student": ("student", "clinician", "patient", "caregiver"),
    "clinician": ("clinician", "student", "patient", "caregiver"),
}
TABLE = "articles_historicalarticle"


def index_name(audience: str) -> str:
    return f"article_search_{audience}"


def document_sql(keys: tuple[str, ...], quote) -> str:
    text = "COALESCE(" + ", ".join(f"(texts ->> {quote(key)})" for key in keys) + ", '')"
    for pattern, replacement in PLAIN_TEXT_RULES:
        text = f"regexp_replace({text}, {quote(pattern)}, {quote(replacement)}, 'g')"
    config = f"{quote(CONFIG)}::regconfig"
    return (
        f"((setweight(to_tsvector({config}, COALESCE(title, '')), 'A')"
        f" || setweight(to_tsvector({config}, COALESCE(summary, '')), 'B'))"
        f" || setweight(to_tsvector({config}, COALESCE({text}, '')), 'C'))"
    )


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for audience, keys in AUDIENCE_TEXTS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index_name(audience)} ON {TABLE} "
            f"USING gin (({document_sql(keys, schema_editor.quote_value)}))"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for audience in AUDIENCE_TEXTS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index_name(audience)}")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_problem_reports"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
