"""Content that existed before drafts did was live, so it stays live: published."""

from django.db import migrations


def publish_existing_content(apps, schema_editor):
    # One save per row, as everywhere else in the app (history is not tracked yet here).
    for model_name in ("Pathway", "Entry"):
        for obj in apps.get_model("pathways", model_name).objects.all():
            obj.status = "published"
            obj.save(update_fields=["status"])


class Migration(migrations.Migration):
    dependencies = [("pathways", "0003_history_status_review_dates")]

    operations = [migrations.RunPython(publish_existing_content, migrations.RunPython.noop)]
