"""Loads a backup written by `backup` into a database without pathway content:
`make restore FILE=backups/<timestamp>.json`.

Into a database that already has content it refuses, unless told to --replace it: loading on
top would keep entries deleted since the backup and so not be a restore.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pathways.history import ContentHistory, record_version
from pathways.models import content_models

# Outside the two-person rule, as loading fixtures is: history says so, with no person.
RESTORE_REASON = "Restored by an operator from a backup ({file})"


def has_content() -> bool:
    return any(model.objects.exists() for model in content_models())


def delete_content(reason: str = "") -> None:
    """Deletes every piece of pathway content, the content that refers to others first:
    entries protect their stages, age bands, services and tags."""
    # One by one, so each deletion is recorded in the content's history like an editor's.
    for model in reversed(content_models()):
        for obj in model.objects.all():
            obj._change_reason = reason
            obj.delete()


class Command(BaseCommand):
    help = "Restore the pathway content from a backup made by `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file, e.g. backups/20250101T120000Z.json")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the content already in the database first (all in one transaction).",
        )

    def handle(self, *args, file, replace=False, **options):
        # One transaction: a backup that fails to load leaves the database as it was.
        with transaction.atomic():
            if has_content():
                if not replace:
                    raise CommandError(
                        "This database already has pathway content. Restore into an empty "
                        "database, or add --replace (make restore ... REPLACE=1) to replace it."
                    )
                delete_content(f"Deleted by an operator's restore from a backup ({file})")
            call_command("loaddata", file, verbosity=0)
            for model in ContentHistory.registry:
                for obj in model.objects.all():
                    obj._change_reason = RESTORE_REASON.format(file=file)
                    record_version(obj, created=True)
        self.stdout.write(f"Restored the pathway content from {file}")
