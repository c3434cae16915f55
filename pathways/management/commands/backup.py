"""Writes all pathway content to backups/<UTC timestamp>.json with natural keys: `make backup`.

Natural keys (slugs, positions) instead of row ids make the file load the same on any
database, including an empty one. Accounts are not content and are not in it.
"""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from pathways.models import content_models

BACKUP_DIR = Path(settings.BASE_DIR) / "backups"


def dump_content(path: Path) -> None:
    """Writes the pathway content to `path`, the same bytes for the same content. History and
    problem reports refer to people and rows by id: they belong in a database-level backup
    (pg_dump), not in this portable, natural-key one."""
    call_command(
        "dumpdata",
        *(model._meta.label for model in content_models()),
        natural_foreign=True,
        natural_primary=True,
        indent=2,
        output=str(path),
        verbosity=0,
    )


class Command(BaseCommand):
    help = "Back up the pathway content to backups/<timestamp>.json (or --output FILE)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="Where to write the backup instead.")

    def handle(self, *args, output=None, **options):
        path = Path(output) if output else BACKUP_DIR / f"{timezone.now():%Y%m%dT%H%M%SZ}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        dump_content(path)
        self.stdout.write(f"Backed up the pathway content to {path}")
