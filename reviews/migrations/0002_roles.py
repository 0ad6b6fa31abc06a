"""Create the editorial groups (Author, Editor, Medical reviewer) with their model permissions.

Workflow powers come from the transition table; these permissions govern the admin and reads.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Author": [
        "articles.view_article",
        "articles.add_article",
        "articles.change_article",
        "articles.view_reference",
        "articles.add_reference",
    ],
    "Editor": [
        "articles.view_article",
        "articles.add_article",
        "articles.change_article",
        "articles.view_reference",
        "articles.add_reference",
        "articles.change_reference",
        "articles.view_disclaimer",
        "articles.change_disclaimer",
        "articles.add_disclaimer",
        "articles.view_sitepage",
        "articles.add_sitepage",
        "articles.change_sitepage",
        "articles.view_rendition",
        "reviews.view_reviewerprofile",
        "reviews.add_reviewerprofile",
        "reviews.change_reviewerprofile",
        "reviews.view_articleworkflow",
        "reviews.view_assignment",
        "reviews.view_signoff",
        "reviews.view_auditevent",
    ],
    "Medical reviewer": [
        "articles.view_article",
        "articles.view_reference",
        "reviews.view_signoff",
        "reviews.view_assignment",
    ],
}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
