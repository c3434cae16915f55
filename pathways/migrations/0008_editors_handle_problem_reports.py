"""Editors work through readers' problem reports: they may view them, change their status
and delete spam. Reports come only from the public form, so nobody is given "add"."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
CODENAMES = ["view_problemreport", "change_problemreport", "delete_problemreport"]


def give_editors_problem_reports(apps, schema_editor):
    # Permissions are normally created after all migrations; these are needed now.
    app_config = apps.get_app_config("pathways")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="pathways", codename__in=CODENAMES)
    )


def take_problem_reports_from_editors(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for editors in Group.objects.filter(name=EDITORS):
        editors.permissions.remove(
            *Permission.objects.filter(content_type__app_label="pathways", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [("pathways", "0007_problem_reports")]

    operations = [
        migrations.RunPython(give_editors_problem_reports, take_problem_reports_from_editors)
    ]
