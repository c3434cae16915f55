"""Reads a pathway's page text (seed 000's shape) into a pathway: as an operator's bootstrap
(--publish, into a database without it) or as a pending import for another publisher."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pathways.editing.importing import (
    bootstrap,
    decode_text,
    describe_error,
    entry_changes,
    page_text_of,
    propose_import,
    proposed_links,
    read_text,
)
from pathways.editing.page_text import PageText, PageTextError
from pathways.models import Pathway


class Command(BaseCommand):
    help = (
        "Import a pathway from its page text. With --publish, into a database with no "
        "published pathway of that slug (an operator's bootstrap, recorded as such); with "
        "--by USERNAME, as a pending import another publisher approves."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The page text (UTF-8), e.g. tests/data/000_….txt.")
        parser.add_argument("--slug", required=True, help="The pathway's slug.")
        parser.add_argument("--publish", action="store_true", help="Bootstrap it, live now.")
        parser.add_argument("--by", help="The staff member proposing the import.")
        parser.add_argument("--dry-run", action="store_true", help="Report; write nothing.")

    def handle(self, *args, file, slug, publish=False, by=None, dry_run=False, **options):
        if publish == bool(by) and not dry_run:
            raise CommandError("Give --publish (an operator's bootstrap) or --by USERNAME.")
        path = Path(file)
        try:
            text = decode_text(path.read_bytes())
            page = read_text(text)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except PageTextError as error:
            self.refuse(file, error)
        for stray in page.stray:
            self.stdout.write(f"Line {stray.line}: reported, not imported: {stray.text}")
        links = proposed_links(page)
        for i in links:
            target = page.entries[page.entries[i].repeats]
            self.stdout.write(
                f"Line {page.entries[i].line}: “as above” linked to “{target.rationale}” "
                f"({target.band}, line {target.line})"
            )
        if dry_run:
            self.report(page, slug)
            return
        try:
            with transaction.atomic():
                if publish:
                    pathway = bootstrap(page, slug, source=path.name, links=links)
                    self.stdout.write(f"Published “{pathway}” ({len(page.entries)} entries).")
                else:
                    change = propose_import(
                        page, slug, user=self.staff(by), text=text, links=links, file_name=path.name
                    )
                    self.stdout.write(
                        f"Waiting for approval: {change}. Nothing is live until another "
                        "publisher approves it."
                    )
        except (PageTextError, ValidationError) as error:
            self.refuse(file, error)

    def refuse(self, file, error) -> None:
        for line, what in describe_error(error):
            self.stderr.write(f"{file}, line {line}: {what}" if line else f"{file}: {what}")
        raise CommandError(f"{file} cannot be imported: nothing was saved.")

    def staff(self, username: str):
        user = get_user_model().objects.filter(username=username, is_staff=True).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active staff member “{username}”.")
        return user

    def report(self, page: PageText, slug: str) -> None:
        live = Pathway.objects.filter(slug=slug).first()
        before = page_text_of(live) if live else PageText(title="")
        changes = entry_changes(before, page)
        for change in changes:
            self.stdout.write(f"{change.what}: {change.rationale}")
        self.stdout.write(
            f"Dry run: {len(page.entries)} entries, {len(changes)} to add, change, move or "
            "remove. Nothing was written."
        )
