"""The reference library moves here from the articles app: state only, the tables keep their names
(articles_reference, articles_historicalreference) and every row."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("articles", "0009_published_order_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Reference",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "citekey",
                            models.SlugField(
                                help_text="Short key cited as [@citekey], e.g. bowden-2018.",
                                max_length=80,
                                unique=True,
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("journal-article", "Journal article"),
                                    ("guideline", "Guideline"),
                                    ("systematic-review", "Systematic review"),
                                    ("book", "Book"),
                                    ("chapter", "Book chapter"),
                                    ("web-page", "Web page"),
                                ],
                                default="journal-article",
                                max_length=20,
                            ),
                        ),
                        (
                            "authors",
                            models.JSONField(
                                blank=True,
                                default=list,
                                help_text='List of {"family": "Bowden", "initials": "SA"} or {"literal": "Organisation"}.',
                            ),
                        ),
                        (
                            "more_authors",
                            models.BooleanField(
                                default=False,
                                help_text="Only the first authors are listed: “et al.” follows them.",
                            ),
                        ),
                        ("title", models.TextField()),
                        (
                            "journal",
                            models.CharField(
                                blank=True, help_text="NLM abbreviation.", max_length=200
                            ),
                        ),
                        (
                            "container_title",
                            models.CharField(
                                blank=True,
                                help_text="Book title, for a chapter; site name for a page.",
                                max_length=300,
                            ),
                        ),
                        ("editors", models.JSONField(blank=True, default=list)),
                        ("year", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("volume", models.CharField(blank=True, max_length=30)),
                        ("issue", models.CharField(blank=True, max_length=30)),
                        ("pages", models.CharField(blank=True, max_length=50)),
                        (
                            "publisher",
                            models.CharField(
                                blank=True, help_text="Publisher or issuing body.", max_length=200
                            ),
                        ),
                        (
                            "place",
                            models.CharField(
                                blank=True, help_text="Place of publication.", max_length=100
                            ),
                        ),
                        ("edition", models.CharField(blank=True, max_length=30)),
                        ("url", models.URLField(blank=True, max_length=500)),
                        ("accessed_on", models.DateField(blank=True, null=True)),
                        ("doi", models.CharField(blank=True, max_length=200, verbose_name="DOI")),
                        ("pmid", models.CharField(blank=True, max_length=12, verbose_name="PMID")),
                        (
                            "pmcid",
                            models.CharField(blank=True, max_length=16, verbose_name="PMCID"),
                        ),
                        ("retracted_on", models.DateField(blank=True, null=True)),
                        ("retraction_notice_url", models.URLField(blank=True, max_length=500)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "superseded_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="supersedes",
                                to="references.reference",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "articles_reference",
                        "ordering": ["citekey"],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalReference",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "citekey",
                            models.SlugField(
                                help_text="Short key cited as [@citekey], e.g. bowden-2018.",
                                max_length=80,
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("journal-article", "Journal article"),
                                    ("guideline", "Guideline"),
                                    ("systematic-review", "Systematic review"),
                                    ("book", "Book"),
                                    ("chapter", "Book chapter"),
                                    ("web-page", "Web page"),
                                ],
                                default="journal-article",
                                max_length=20,
                            ),
                        ),
                        (
                            "authors",
                            models.JSONField(
                                blank=True,
                                default=list,
                                help_text='List of {"family": "Bowden", "initials": "SA"} or {"literal": "Organisation"}.',
                            ),
                        ),
                        (
                            "more_authors",
                            models.BooleanField(
                                default=False,
                                help_text="Only the first authors are listed: “et al.” follows them.",
                            ),
                        ),
                        ("title", models.TextField()),
                        (
                            "journal",
                            models.CharField(
                                blank=True, help_text="NLM abbreviation.", max_length=200
                            ),
                        ),
                        (
                            "container_title",
                            models.CharField(
                                blank=True,
                                help_text="Book title, for a chapter; site name for a page.",
                                max_length=300,
                            ),
                        ),
                        ("editors", models.JSONField(blank=True, default=list)),
                        ("year", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("volume", models.CharField(blank=True, max_length=30)),
                        ("issue", models.CharField(blank=True, max_length=30)),
                        ("pages", models.CharField(blank=True, max_length=50)),
                        (
                            "publisher",
                            models.CharField(
                                blank=True, help_text="Publisher or issuing body.", max_length=200
                            ),
                        ),
                        (
                            "place",
                            models.CharField(
                                blank=True, help_text="Place of publication.", max_length=100
                            ),
                        ),
                        ("edition", models.CharField(blank=True, max_length=30)),
                        ("url", models.URLField(blank=True, max_length=500)),
                        ("accessed_on", models.DateField(blank=True, null=True)),
                        ("doi", models.CharField(blank=True, max_length=200, verbose_name="DOI")),
                        ("pmid", models.CharField(blank=True, max_length=12, verbose_name="PMID")),
                        (
                            "pmcid",
                            models.CharField(blank=True, max_length=16, verbose_name="PMCID"),
                        ),
                        ("retracted_on", models.DateField(blank=True, null=True)),
                        ("retraction_notice_url", models.URLField(blank=True, max_length=500)),
                        ("created_at", models.DateTimeField(blank=True, editable=False)),
                        ("updated_at", models.DateTimeField(blank=True, editable=False)),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "superseded_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="references.reference",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical reference",
                        "verbose_name_plural": "historical references",
                        "db_table": "articles_historicalreference",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.AddConstraint(
                    model_name="reference",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("doi", ""), _negated=True),
                        fields=("doi",),
                        name="reference_unique_doi",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="reference",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("pmid", ""), _negated=True),
                        fields=("pmid",),
                        name="reference_unique_pmid",
                    ),
                ),
            ],
        ),
    ]
