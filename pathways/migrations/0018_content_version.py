"""The content version moves into the database (operations.caching): one row, changed in the
same transaction as the content, so a stalled or restarted Redis can no longer skip it."""

import secrets

from django.db import migrations, models


def first_version(apps, schema_editor):
    ContentVersion = apps.get_model("pathways", "ContentVersion")
    ContentVersion.objects.get_or_create(pk=1, defaults={"token": secrets.token_hex(8)})


class Migration(migrations.Migration):
    dependencies = [
        ("pathways", "0017_entry_numbers"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContentVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=32)),
            ],
            options={
                "default_permissions": (),
            },
        ),
        migrations.RunPython(first_version, migrations.RunPython.noop),
    ]
