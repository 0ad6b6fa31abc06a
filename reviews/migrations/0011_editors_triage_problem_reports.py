"""The Editor group may list readers' problem reports in the admin and change their status.

Without these permissions the admin hid the reports from the people meant to triage them. The
admin still refuses adding a report or editing what the reader wrote (articles' ProblemReport
admin: every field but the status is read-only).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_REPORT_PERMISSIONS = ("view_problemreport", "change_problemreport")


def forwards(apps, schema_editor):
    # Permissions are made after migrations; on a new database they are needed now.
    app_config = apps.get_app_config("articles")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    editor, _ = apps.get_model("auth", "Group").objects.get_or_create(name="Editor")
    editor.permissions.add(
        *apps.get_model("auth", "Permission").objects.filter(
            content_type__app_label="articles", codename__in=EDITOR_REPORT_PERMISSIONS
        )
    )


def backwards(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="Editor").first()
    if group is not None:
        group.permissions.remove(
            *group.permissions.filter(
                content_type__app_label="articles", codename__in=EDITOR_REPORT_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0010_audit_key_and_append_only_triggers"),
        ("articles", "0010_reference_moved_to_references"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
