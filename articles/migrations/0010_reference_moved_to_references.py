"""Reference and its history now belong to the references app (state only; the tables stay)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0009_published_order_index"),
        ("references", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="historicalreference",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalreference",
                    name="superseded_by",
                ),
                migrations.RemoveConstraint(
                    model_name="reference",
                    name="reference_unique_doi",
                ),
                migrations.RemoveConstraint(
                    model_name="reference",
                    name="reference_unique_pmid",
                ),
                migrations.AlterField(
                    model_name="citationlink",
                    name="reference",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="citation_links",
                        to="references.reference",
                    ),
                ),
                migrations.DeleteModel(
                    name="HistoricalReference",
                ),
                migrations.DeleteModel(
                    name="Reference",
                ),
            ],
        ),
    ]
