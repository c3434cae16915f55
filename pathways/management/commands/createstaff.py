"""Makes an editor's or a publisher's account: staff in the Editors or Publishers group, never a
superuser (a superuser holds every right, so one person could both make and approve a change
through the rights alone, and manage accounts too)."""

import getpass
import os
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

ROLES = {"editor": "Editors", "publisher": "Publishers"}


class Command(BaseCommand):
    help = (
        "Make a staff account in the Editors group (--editor NAME) or the Publishers group "
        "(--publisher NAME). The password is asked for, or read from --password-from-env VAR."
    )

    def add_arguments(self, parser):
        role = parser.add_mutually_exclusive_group(required=True)
        role.add_argument("--editor", metavar="NAME", help="an editor's username")
        role.add_argument("--publisher", metavar="NAME", help="a publisher's username")
        parser.add_argument("--email", default="", help="their email address (optional)")
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="read the password from this environment variable (for scripts)",
        )

    def handle(self, *args, **options):
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
        user = User(username=username, email=options["email"], is_staff=True)
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
        with transaction.atomic():
            user.save()
            user.groups.add(group)
        self.stdout.write(f"Made {role} {username!r} (staff in the {ROLES[role]} group).")

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


def _said(error: ValidationError) -> str:
    return " ".join(error.messages)
