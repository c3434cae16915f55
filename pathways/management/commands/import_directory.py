"""Reads an area's directory file (CSV, as export_directory and the admin's download write it)
and proposes what it changes: one pending change per service, each waiting for a publisher of
the area. The proposer (`--by`) is held to their areas, as in the admin."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from pathways.local.directory import (
    DirectoryError,
    directory_changes,
    propose_directory,
    read_directory,
)
from pathways.local.models import Area
from pathways.local.scoping import may_touch

EDITING = ("pathways.add_localservice", "pathways.change_localservice")


class Command(BaseCommand):
    help = (
        "Import an area's directory of local services from a CSV file: each service it adds, "
        "changes or removes waits as a pending change for a publisher of the area."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8), e.g. from export_directory.")
        parser.add_argument("--area", required=True, metavar="SLUG", help="The area's slug.")
        parser.add_argument(
            "--by", required=True, metavar="USERNAME", help="The staff member proposing it."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and check the file; propose nothing."
        )

    def handle(self, *args, file, area, by, dry_run=False, **options):
        place = Area.objects.filter(slug=area).first()
        if place is None:
            raise CommandError(f"--area {area}: no area has that slug.")
        user = self.staff_member(by, place)
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            rows = read_directory(data, place)
            if dry_run:
                for change in directory_changes(place, rows):
                    self.stdout.write(f"{change.what}: {change.name} ({change.slug})")
                self.stdout.write("Dry run: nothing was proposed.")
                return
            changes = propose_directory(place, rows, user)
        except DirectoryError as error:
            count = len(error.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} in {file}: nothing was proposed.\n"
                + "\n".join(error.messages)
            ) from None
        for change in changes:
            self.stdout.write(
                f"{change.get_kind_display()} “{change.object_repr}”: pending change {change.pk}."
            )
        self.stdout.write(
            f"{len(changes)} change(s) wait for a publisher of {place}. Nothing is live until then."
        )

    def staff_member(self, username: str, area: Area):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or not user.is_staff:
            raise CommandError(f"--by {username}: no active staff member has that name.")
        try:
            if not may_touch(user, area.pk):
                raise PermissionDenied(f"{area} is not yours to edit")
            if not all(user.has_perm(perm) for perm in EDITING):
                raise PermissionDenied("you may not edit local services")
        except PermissionDenied as error:
            raise CommandError(f"--by {username}: {error}. Nothing was proposed.") from None
        return user
