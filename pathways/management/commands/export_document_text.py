"""Writes a policy document as its page text, the shape import_document_text reads."""

from django.core.management.base import BaseCommand, CommandError

from pathways.editing.document_importing import document_text_of
from pathways.editing.document_text import DocumentTextError, write_document_text
from pathways.models import ContextDocument


class Command(BaseCommand):
    help = "Write a policy document as its page text (to standard output, or --output FILE)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The document's address name.")
        parser.add_argument("--output", help="The file to write; standard output by default.")

    def handle(self, *args, slug, output=None, **options):
        document = ContextDocument.objects.filter(slug=slug).first()
        if document is None:
            raise CommandError(f"No document has the slug “{slug}”.")
        try:
            text = write_document_text(document_text_of(document))
        except DocumentTextError as error:
            raise CommandError(f"“{document}” cannot be written as text: {error}.") from None
        if output:
            with open(output, "w", encoding="utf-8", newline="\n") as file:
                file.write(text)
        else:
            self.stdout.write(text, ending="")
