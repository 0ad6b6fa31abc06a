"""Audit chains keyed with EDITORIAL_AUDIT_KEY, and append-only enforced by PostgreSQL too.

Existing rows are re-linked under the current key, chain by chain, as far as their old unkeyed
SHA-256 chain still verifies: from a chain's first broken row on, rows are left as they were, so
`verify_audit` keeps reporting them (re-linking them would launder the tampering). Run
`verify_audit` before upgrading to see what that leaves. The triggers come after the re-linking,
which is the last UPDATE these tables ever take.
"""

import hashlib

from django.conf import settings
from django.db import migrations, models

from reviews.records import GENESIS, chain_content, chain_mac

# The fields each chain covered when these rows were written (frozen: the models may change).
CHAIN_FIELDS = {
    "SignOff": (
        "article_id",
        "version",
        "content_hash",
        "cycle",
        "reviewer_id",
        "printed_name",
        "credentials",
        "meaning",
        "statement",
        "note",
        "signed_at",
    ),
    "AuditEvent": (
        "article_id",
        "actor_id",
        "action",
        "from_state",
        "to_state",
        "version",
        "content_hash",
        "note",
        "created_at",
    ),
}

APPEND_ONLY_TABLES = [
    "reviews_signoff",
    "reviews_auditevent",
    "reviews_reviewcomment",
    "reviews_commentresolution",
    "reviews_checkwaiver",
]


def relink_under_key(apps, schema_editor):
    key_id = settings.EDITORIAL_AUDIT_KEY_ID
    for name, fields in CHAIN_FIELDS.items():
        model = apps.get_model("reviews", name)
        old_previous: dict[int, str] = {}
        new_previous: dict[int, str] = {}
        broken: set[int] = set()
        for row in model.objects.order_by("article_id", "pk").iterator():
            article = row.article_id
            values = {field: getattr(row, field) for field in fields}
            intact = (
                article not in broken
                and row.chain_previous == old_previous.get(article, GENESIS)
                and row.chain_hash
                == hashlib.sha256(chain_content(values, row.chain_previous)).hexdigest()
            )
            if not intact:
                broken.add(article)
                continue
            old_previous[article] = row.chain_hash
            linked_to = new_previous.get(article, GENESIS)
            mac = chain_mac(chain_content(values, linked_to), key_id=key_id)
            model.objects.filter(pk=row.pk).update(
                chain_previous=linked_to, chain_hash=mac, chain_key_id=key_id
            )
            new_previous[article] = mac


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite (development, tests): the ORM's refusal is the only one
    schema_editor.execute(
        """
        CREATE OR REPLACE FUNCTION editorial_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% on %: rows are append-only', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END
        $$
        """,
        params=None,  # no placeholders: the '%' are RAISE's own
    )
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION editorial_refuse_change()"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS editorial_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0009_lockouts_moved_to_axes"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain_key_id",
            field=models.CharField(default="", editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="signoff",
            name="chain_key_id",
            field=models.CharField(default="", editable=False, max_length=32),
        ),
        migrations.RunPython(relink_under_key, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
