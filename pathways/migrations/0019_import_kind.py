"""Imports of page text (issue 24): the kind IMPORT, and a pending import waiting beside a
pathway's other pending change (one of each at a time)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("pathways", "0018_content_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="pendingchange",
            name="one_pending_change_per_object",
        ),
        migrations.AlterField(
            model_name="pendingchange",
            name="kind",
            field=models.CharField(
                choices=[
                    ("change", "Change"),
                    ("revert", "Revert"),
                    ("create", "New"),
                    ("delete", "Deletion"),
                    ("publish", "Publishing"),
                    ("unpublish", "Unpublishing"),
                    ("import", "Import"),
                ],
                default="change",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="pendingchange",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("decision", "pending"), models.Q(("kind", "import"), _negated=True)
                ),
                fields=("content_type", "object_id"),
                name="one_pending_change_per_object",
            ),
        ),
        migrations.AddConstraint(
            model_name="pendingchange",
            constraint=models.UniqueConstraint(
                condition=models.Q(("decision", "pending"), ("kind", "import")),
                fields=("content_type", "object_id"),
                name="one_pending_import_per_object",
            ),
        ),
    ]
