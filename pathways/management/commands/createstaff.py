"""Makes an editor's or a publisher's account: staff in the Editors or Publishers group, never a
superuser (a superuser holds every right, so one person could both make and approve a change
through the rights alone, and manage accounts too); or a local editor's or publisher's, scoped
to one or more areas (--area, repeated) and in no national group: a person is national or
scoped, never both."""

import getpass
import os
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pathways.local.models import Area, AreaMembership
from pathways.publishing import Status

ROLES = {"editor": "Editors", "publisher": "Publishers"}
LOCAL_ROLES = {"local_editor": "editor", "local_publisher": "publisher"}


class Command(BaseCommand):
    help = (
        "Make a staff account in the Editors group (--editor NAME) or the Publishers group "
        "(--publisher NAME), or a local editor's or publisher's scoped to areas "
        "(--local-editor NAME or --local-publisher NAME, with --area SLUG once per area). The "
        "password is asked for, or read from --password-from-env VAR."
    )

    def add_arguments(self, parser):
        role = parser.add_mutually_exclusive_group(required=True)
        role.add_argument("--editor", metavar="NAME", help="an editor's username")
        role.add_argument("--publisher", metavar="NAME", help="a publisher's username")
        role.add_argument(
            "--local-editor", metavar="NAME", help="a local editor's username (with --area)"
        )
        role.add_argument(
            "--local-publisher", metavar="NAME", help="a local publisher's username (with --area)"
        )
        parser.add_argument(
            "--area",
            metavar="SLUG",
            action="append",
            dest="areas",
            default=[],
            help="an area the local editor or publisher works in (repeat for several)",
        )
        parser.add_argument("--email", default="", help="their email address (optional)")
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="read the password from this environment variable (for scripts)",
        )

    def handle(self, *args, **options):
        local = next((name for name in LOCAL_ROLES if options[name]), None)
        if local is not None:
            return self._local(options[local], LOCAL_ROLES[local], options)
        if options["areas"]:
            raise CommandError(
                "--area is for --local-editor and --local-publisher: editors and publishers "
                "are national, and a person is national or scoped to areas, never both."
            )
        role = "editor" if options["editor"] else "publisher"
        username = options[role]
        User = get_user_model()
        group = Group.objects.filter(name=ROLES[role]).first()
        if group is None:
            raise CommandError(f"There is no {ROLES[role]} group: run `manage.py migrate` first.")
        if User.objects.filter(username=username).exists():
            raise CommandError(
                f"There is already an account named {username!r}: change its groups in the "
                "admin (Authentication and authorization > Users) instead."
            )
        user = self._new_user(username, options)
        with transaction.atomic():
            user.save()
            user.groups.add(group)
        self.stdout.write(f"Made {role} {username!r} (staff in the {ROLES[role]} group).")

    def _local(self, username: str, role: str, options) -> None:
        """A local editor or publisher of the areas named: a new account, or more areas for
        an existing local one; never a national person's (in Editors or Publishers)."""
        areas = _areas(options["areas"])
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None and (
            user.is_superuser or user.groups.filter(name__in=ROLES.values()).exists()
        ):
            raise CommandError(
                f"{username!r} is national staff (a superuser, or in the Editors or Publishers "
                "group): a person is national or scoped to areas, never both. Make another "
                "account for their local work."
            )
        made = user is None
        if made:
            user = self._new_user(username, options)
        with transaction.atomic():
            user.save()
            for area in areas:
                AreaMembership.objects.update_or_create(
                    user=user, area=area, defaults={"role": role}
                )
        names = ", ".join(area.name for area in areas)
        verb = "Made" if made else "Gave"
        self.stdout.write(f"{verb} local {role} {username!r} (staff scoped to {names}).")

    def _new_user(self, username: str, options):
        """A staff account, checked and with its password set, not yet saved."""
        user = get_user_model()(username=username, email=options["email"], is_staff=True)
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as error:
            raise CommandError(_said(error)) from None
        password = self._password(options["password_from_env"])
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(_said(error)) from None
        user.set_password(password)
        return user

    def _password(self, variable: str | None) -> str:
        if variable:
            password = os.environ.get(variable)
            if not password:
                raise CommandError(f"The environment variable {variable} is not set or empty.")
            return password
        if not sys.stdin.isatty():
            raise CommandError("Not at a terminal: give the password with --password-from-env.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return password


def _areas(slugs: list[str]) -> list[Area]:
    """The areas named, each published; every slug that is not one is named at once."""
    if not slugs:
        raise CommandError("Name the areas with --area SLUG (once per area).")
    found = {area.slug: area for area in Area.objects.filter(slug__in=slugs)}
    unknown = [slug for slug in slugs if slug not in found]
    drafts = [slug for slug in slugs if slug in found and found[slug].status != Status.PUBLISHED]
    problems = []
    if unknown:
        known = ", ".join(Area.objects.values_list("slug", flat=True)) or "none yet"
        problems.append(f"No area is called {', '.join(map(repr, unknown))} (areas: {known}).")
    if drafts:
        problems.append(
            f"Not published yet: {', '.join(map(repr, drafts))}. A national publisher "
            "publishes an area before it is given local staff."
        )
    if problems:
        raise CommandError(" ".join(problems))
    return list(dict.fromkeys(found[slug] for slug in slugs))


def _said(error: ValidationError) -> str:
    return " ".join(error.messages)
