"""Pending changes (the two-person rule): the table, each version's link to the change it
went live through, and who may do what. Editors see pending changes; publishers also approve
or reject them, and edit interventions and reading notes (their edits wait for another
publisher)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

EDITORS = "Editors"
PUBLISHERS = "Publishers"
FOR_EDITORS = ["view_pendingchange"]
FOR_PUBLISHERS = [
    "view_pendingchange",
    "approve_pendingchange",
    *(
        f"{action}_{model}"
        for action in ("add", "change", "delete")
        for model in ("intervention", "readingnote")
    ),
]


def _permissions(apps, codenames):
    return apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="pathways", codename__in=codenames
    )


def give_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; these are needed now.
    app_config = apps.get_app_config("pathways")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    for name, codenames in ((EDITORS, FOR_EDITORS), (PUBLISHERS, FOR_PUBLISHERS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, codenames))


def take_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, codenames in ((EDITORS, FOR_EDITORS), (PUBLISHERS, FOR_PUBLISHERS)):
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*_permissions(apps, codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("pathways", "0010_seed_page_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PendingChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("object_id", models.PositiveIntegerField()),
                ("object_repr", models.CharField(max_length=300, verbose_name="content")),
                (
                    "kind",
                    models.CharField(
                        choices=[("change", "Change"), ("revert", "Revert")],
                        default="change",
                        max_length=10,
                    ),
                ),
                (
                    "base",
                    models.JSONField(help_text="The approved version the change was made from."),
                ),
                (
                    "proposed",
                    models.JSONField(help_text="The whole proposed version: fields and parts."),
                ),
                ("reason", models.CharField(blank=True, max_length=500)),
                ("proposed_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "decision",
                    models.CharField(
                        choices=[
                            ("pending", "Pending approval"),
                            ("approved", "Approved"),
                            ("rejected", "Rejected"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("comment", models.TextField(blank=True)),
                (
                    "content_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, to="contenttypes.contenttype"
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "proposed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-proposed_at", "-pk"],
                "permissions": [("approve_pendingchange", "Can approve or reject pending changes")],
            },
        ),
        migrations.AddField(
            model_name="historicalageband",
            name="approval",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="pathways.pendingchange",
            ),
        ),
        migrations.AddField(
            model_name="historicalcontextdocument",
            name="approval",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="pathways.pendingchange",
            ),
        ),
        migrations.AddField(
            model_name="historicaldocumentsection",
            name="approval",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="pathways.pendingchange",
            ),
        ),
        migrations.AddField(
            model_name="historicalentry",
            name="approval",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="pathways.pendingchange",
            ),
        ),
        migrations.AddField(
            model_name="historicalintervention",
            name="approval",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="pathways.pendingchange",
            ),
        ),
        migrations.AddField(
            model_name="historicalpathway",
            name="approval",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="pathways.pendingchange",
            ),
        ),
        migrations.AddField(
            model_name="historicalreadingnote",
            name="approval",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="pathways.pendingchange",
            ),
        ),
        migrations.AddField(
            model_name="historicalservice",
            name="approval",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="pathways.pendingchange",
            ),
        ),
        migrations.AddField(
            model_name="historicalstage",
            name="approval",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="pathways.pendingchange",
            ),
        ),
        migrations.AddField(
            model_name="historicaltag",
            name="approval",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="pathways.pendingchange",
            ),
        ),
        migrations.AddIndex(
            model_name="pendingchange",
            index=models.Index(
                fields=["content_type", "object_id", "decision"], name="pending_lookup"
            ),
        ),
        migrations.RunPython(give_permissions, take_permissions),
    ]
