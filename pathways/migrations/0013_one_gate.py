"""One gate for every change: pending changes of every kind (new content, deletion, publishing,
unpublishing), several proposers, withdrawal, and one pending change per object."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SUPERSEDED = (
    "Closed when each object came to have one pending change: the newer change to the same "
    "content, still pending, replaces it."
)


def one_change_per_object(apps, schema_editor):
    """Every proposer becomes one of `proposers`; where a release before this one left several
    pending changes on one object, the newest stays pending and the older are withdrawn with
    a note (kept, not deleted)."""
    PendingChange = apps.get_model("pathways", "PendingChange")
    newest = {}
    for change in PendingChange.objects.order_by("-proposed_at", "-pk"):
        change.proposers.add(change.proposed_by_id)
        if change.decision != "pending":
            continue
        key = (change.content_type_id, change.object_id)
        if key in newest:
            change.decision = "withdrawn"
            change.comment = SUPERSEDED
            change.decided_at = newest[key].proposed_at
            change.save(update_fields=["decision", "comment", "decided_at"])
        else:
            newest[key] = change


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("pathways", "0012_search_glossary_repeats"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="pendingchange",
            name="proposers",
            field=models.ManyToManyField(
                blank=True,
                help_text="Everyone who wrote part of it: none of them may approve it.",
                related_name="proposed_changes",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="pendingchange",
            name="decision",
            field=models.CharField(
                choices=[
                    ("pending", "Pending approval"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("withdrawn", "Withdrawn"),
                ],
                default="pending",
                max_length=10,
            ),
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
                ],
                default="change",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="pendingchange",
            name="object_id",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Empty for new content, which exists once approved.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="pendingchange",
            name="proposed_by",
            field=models.ForeignKey(
                blank=True,
                help_text="Who proposed it first; empty when publishing content nobody changed since it was loaded or last approved.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(one_change_per_object, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="pendingchange",
            constraint=models.UniqueConstraint(
                condition=models.Q(("decision", "pending")),
                fields=("content_type", "object_id"),
                name="one_pending_change_per_object",
            ),
        ),
    ]
