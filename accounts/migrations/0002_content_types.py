"""Content types (and so permissions and admin log entries) follow the models that moved here.

Without this, an upgraded database would keep `reviews.apitoken` permissions that no model has,
and post_migrate would create new ones that no group holds.
"""

from django.db import migrations

MOVED = ("apitoken",)


def forwards(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="accounts", model__in=MOVED).delete()
    content_type.objects.filter(app_label="reviews", model__in=MOVED).update(app_label="accounts")


def backwards(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="accounts", model__in=MOVED).update(app_label="reviews")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("reviews", "0008_apitoken_moved_to_accounts"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
