"""Writes a published pathway as its page text, the shape import_pathway_text reads."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pathways.editing.importing import page_text_of, write_text
from pathways.models import Pathway, Status


class Command(BaseCommand):
    help = (
        "Write a pathway's page text (what readers see: its published entries), as "
        "import_pathway_text reads it."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The pathway's slug, e.g. infant-mental-health.")
        parser.add_argument("--output", help="Write to this file instead of the screen.")

    def handle(self, *args, slug, output=None, **options):
        pathway = Pathway.objects.filter(slug=slug, status=Status.PUBLISHED).first()
        if pathway is None:
            raise CommandError(f"No published pathway “{slug}”.")
        text = write_text(page_text_of(pathway))
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"Cannot write {output}: {error.strerror}.") from error
        else:
            self.stdout.write(text, ending="")
