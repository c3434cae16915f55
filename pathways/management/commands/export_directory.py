"""Writes an area's directory of local services (drafts included) as CSV to standard output,
in the shape import_directory and the admin's import read."""

from django.core.management.base import BaseCommand, CommandError

from pathways.local.directory import write_directory
from pathways.local.models import Area


class Command(BaseCommand):
    help = "Write an area's directory of local services as CSV (UTF-8 with a byte order mark)."

    def add_arguments(self, parser):
        parser.add_argument("area", metavar="SLUG", help="The area's slug.")

    def handle(self, *args, area, **options):
        place = Area.objects.filter(slug=area).first()
        if place is None:
            raise CommandError(f"{area}: no area has that slug.")
        self.stdout.write(write_directory(place), ending="")
