"""Entry.number: the name links, problem reports, the CSV, the API and FHIR give an entry, so
a reorder no longer makes an old link point at another rationale. Existing entries are
numbered by the position they hold now: a link made before (`#entry-20`) and the entry's new
name agree until the entry moves."""

from django.db import migrations, models

HELP = (
    "The entry's reference number in its pathway: given when it is created and kept when it "
    "moves, so links to it keep pointing at it."
)


def number_by_position(apps, schema_editor):
    Entry = apps.get_model("pathways", "Entry")
    HistoricalEntry = apps.get_model("pathways", "HistoricalEntry")
    numbers = {}
    for entry in Entry.objects.all():
        entry.number = entry.position
        entry.save(update_fields=["number"])
        numbers[entry.pk] = entry.number
    # Past versions carry the number of their entry; those of a deleted entry, the
    # position it last had.
    for record in HistoricalEntry.objects.all():
        record.number = numbers.get(record.id, record.position)
        record.save(update_fields=["number"])


class Migration(migrations.Migration):
    dependencies = [("pathways", "0016_search_repeats_published")]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="number",
            field=models.PositiveIntegerField(blank=True, null=True, help_text=HELP),
        ),
        migrations.AddField(
            model_name="historicalentry",
            name="number",
            field=models.PositiveIntegerField(blank=True, null=True, help_text=HELP),
        ),
        migrations.RunPython(number_by_position, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="entry",
            name="number",
            field=models.PositiveIntegerField(blank=True, help_text=HELP),
        ),
        migrations.AlterField(
            model_name="historicalentry",
            name="number",
            field=models.PositiveIntegerField(blank=True, help_text=HELP),
        ),
        migrations.AddConstraint(
            model_name="entry",
            constraint=models.UniqueConstraint(
                fields=("pathway", "number"), name="unique_entry_number"
            ),
        ),
    ]
