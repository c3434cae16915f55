"""Writes one pathway, and everything it refers to, as a JSON file with natural keys."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from pathways.editing.transfer import export_rows
from pathways.models import Pathway, Status


class Command(BaseCommand):
    help = (
        "Export a pathway (reading notes, entries, interventions) with the stages, age bands, "
        "services, tags, related pathways and policy document it refers to, as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The pathway's slug, e.g. infant-mental-health.")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument(
            "--published-only",
            action="store_true",
            help="Leave drafts out, for a copy that goes beyond the editing team.",
        )

    def handle(self, *args, slug, output=None, published_only=False, **options):
        pathway = Pathway.objects.filter(slug=slug).first()
        if pathway is None:
            raise CommandError(f"There is no pathway with the slug {slug!r}.")
        if published_only and pathway.status != Status.PUBLISHED:
            raise CommandError(f"{pathway} is a draft: --published-only leaves nothing to export.")
        rows = export_rows(pathway, published_only=published_only)
        text = json.dumps(rows, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text)
            self.stderr.write(f"Wrote {len(rows)} rows of {pathway} to {output}.")
        else:
            self.stdout.write(text, ending="")
