"""Creates the "Publishers" group: staff in it approve content, publishing and unpublishing
pathways and entries (which editors cannot), and see everything editors see."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PUBLISHERS = "Publishers"
CONTENT_MODELS = [
    "ageband",
    "contextdocument",
    "documentsection",
    "entry",
    "intervention",
    "pathway",
    "readingnote",
    "service",
    "stage",
    "tag",
]
# Publishing is a change of status, made on the pathway's or entry's own page.
PUBLISHING = ["publish_pathway", "publish_entry", "change_pathway", "change_entry"]


def create_publishers_group(apps, schema_editor):
    # Permissions are normally created after all migrations; these are needed now.
    app_config = apps.get_app_config("pathways")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    publishers, _ = Group.objects.get_or_create(name=PUBLISHERS)
    codenames = [f"view_{model}" for model in CONTENT_MODELS] + PUBLISHING
    publishers.permissions.set(
        Permission.objects.filter(content_type__app_label="pathways", codename__in=codenames)
    )


def remove_publishers_group(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name=PUBLISHERS):
        group.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("pathways", "0004_existing_content_is_published"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_publishers_group, remove_publishers_group)]
