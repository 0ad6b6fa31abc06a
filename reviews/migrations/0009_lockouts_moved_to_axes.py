"""Sign-in lockouts move to django-axes: the hand-written tables go, editors unlock in axes' admin.

Axes keeps its own tables (access attempts, access log). Rows of the old tables are dropped with
them, so any lock in force when this runs is lifted. Their content types and permissions go too
(as for the API tokens that moved to accounts), so no group holds a permission on a model that no
longer exists. The Editor group may view axes' access attempts and delete them, which is how a
lock is lifted early.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OLD_MODELS = ("loginfailure", "loginlockout")
EDITOR_LOCK_PERMISSIONS = ("view_accessattempt", "delete_accessattempt")


def forwards(apps, schema_editor):
    apps.get_model("contenttypes", "ContentType").objects.filter(
        app_label="reviews", model__in=OLD_MODELS
    ).delete()
    # Permissions are made after migrations; axes' are needed now.
    app_config = apps.get_app_config("axes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    editor, _ = apps.get_model("auth", "Group").objects.get_or_create(name="Editor")
    editor.permissions.add(
        *apps.get_model("auth", "Permission").objects.filter(
            content_type__app_label="axes", codename__in=EDITOR_LOCK_PERMISSIONS
        )
    )


def backwards(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="Editor").first()
    if group is not None:
        group.permissions.remove(
            *group.permissions.filter(
                content_type__app_label="axes", codename__in=EDITOR_LOCK_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0008_apitoken_moved_to_accounts"),
        ("axes", "0010_accessattemptexpiration"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.DeleteModel(name="LoginFailure"),
        migrations.DeleteModel(name="LoginLockout"),
        migrations.RunPython(forwards, backwards),
    ]
