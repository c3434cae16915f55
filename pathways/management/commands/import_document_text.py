"""Reads a policy document's page text (seed 004's shape) into the database: as a pending
change another publisher approves (`--by USERNAME`), or, into a database without a document
of that slug, as an operator's bootstrap (`--publish`)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from pathways.editing.document_importing import (
    bootstrap_document,
    check_document,
    propose_document,
)
from pathways.editing.document_text import DocumentTextError, describe, read_document_text
from pathways.errors import error_text
from pathways.models import ContextDocument


class Command(BaseCommand):
    help = (
        "Import a policy document from its page text. With --publish it is written directly, "
        "as an operator's bootstrap, into a database without a document of that slug; with "
        "--by USERNAME it waits as a pending change for another publisher's approval."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The text file (UTF-8), e.g. the page copied.")
        parser.add_argument("--slug", required=True, help="The document's address name.")
        how = parser.add_mutually_exclusive_group()
        how.add_argument(
            "--publish",
            action="store_true",
            help="Write it live now: only into a database with no document of that slug.",
        )
        how.add_argument("--by", metavar="USERNAME", help="The staff member proposing it.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and check the text; write nothing."
        )

    def handle(self, *args, file, slug, publish=False, by=None, dry_run=False, **options):
        try:
            validate_slug(slug)
        except ValidationError as error:
            raise CommandError(f"--slug {slug!r}: {error_text(error)}") from None
        text = self.read(file)
        proposer = None if publish or dry_run else self.staff_member(by)
        live = ContextDocument.objects.filter(slug=slug).first()
        if publish and live is not None:
            raise CommandError(
                f"A document “{slug}” exists already: --publish only writes into a database "
                "without it. Import it with --by USERNAME to propose a change. Nothing was "
                "written."
            )
        try:
            if dry_run:
                check_document(text, slug, live)
                self.stdout.write(
                    f"Dry run: {file} holds “{text.title}” with {len(text.sections)} sections. "
                    "Nothing was written."
                )
            elif publish:
                document = bootstrap_document(text, slug, source=Path(file).name)
                self.stdout.write(f"Published “{document}” at {document.get_absolute_url()}.")
            else:
                change = propose_document(text, slug, user=proposer)
                self.stdout.write(
                    f"“{change.object_repr}” waits for approval by another publisher (pending "
                    f"change {change.pk}). Nothing is live until then."
                )
        except ValidationError as error:
            raise CommandError(f"{error_text(error)} Nothing was written.") from None

    def read(self, file: str):
        try:
            raw = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            return read_document_text(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text. Nothing was written.") from None
        except DocumentTextError as error:
            for line, what in error.problems:
                self.stderr.write(f"{file}: {describe(line, what)}")
            count = len(error.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} in {file}: nothing was written."
            ) from None

    def staff_member(self, username: str | None):
        if not username:
            raise CommandError(
                "Say who proposes the import with --by USERNAME (a staff member), or use "
                "--publish to bootstrap an empty database."
            )
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or not user.is_staff:
            raise CommandError(f"--by {username}: no active staff member has that name.")
        return user
