"""Reads a file written by export_pathway: checks every row, then keeps all of them or none."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pathways.editing.transfer import FileError, import_rows, parse_rows


class Command(BaseCommand):
    help = (
        "Import a pathway file written by export_pathway. Every row is checked first; if any "
        "is invalid nothing is written and each bad row is named. Importing the same file "
        "twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON file to import.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; write nothing."
        )

    def handle(self, *args, file, dry_run=False, **options):
        path = Path(file)
        try:
            rows = parse_rows(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{file} is not a JSON file: {error}.") from error
        except FileError as error:
            raise CommandError(f"{file}: {error}. Nothing was imported.") from error
        report = import_rows(rows, source=path.name, dry_run=dry_run)
        if report.errors:
            for error in report.errors:
                self.stderr.write(error)
            count = len(report.errors)
            raise CommandError(
                f"{count} invalid row{'s' if count != 1 else ''} in {file}: nothing was imported."
            )
        for note in report.notes:
            self.stdout.write(note)
        summary = (
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.deleted_parts} parts removed"
        )
        if dry_run:
            self.stdout.write(f"Dry run: {file} is valid ({summary}). Nothing was written.")
        else:
            self.stdout.write(f"Imported {file}: {summary}.")
