"""Content types (and so permissions and admin log entries) follow the models that moved here.

Without this, an upgraded database would keep `articles.reference` permissions that no model has,
and post_migrate would create new ones that no group holds.
"""

from django.db import migrations

MOVED = ("reference", "historicalreference")


def forwards(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="references", model__in=MOVED).delete()
    content_type.objects.filter(app_label="articles", model__in=MOVED).update(
        app_label="references"
    )


def backwards(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="references", model__in=MOVED).update(
        app_label="articles"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("references", "0001_initial"),
        ("articles", "0010_reference_moved_to_references"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
