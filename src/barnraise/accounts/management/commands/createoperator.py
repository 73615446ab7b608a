import getpass
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from barnraise.accounts import operators
from barnraise.accounts.services import operator_create
from barnraise.errors import DomainError


class Command(BaseCommand):
    help = "Create an operator (staff member) in the support, finance and/or admin groups."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="Operator")
        parser.add_argument(
            "--group",
            action="append",
            choices=operators.GROUPS,
            dest="groups",
            help="Repeat for several groups. Default: support.",
        )
        parser.add_argument("--password", help="Prompted for when absent and stdin is a TTY.")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if password is None:
            password = getpass.getpass("Password: ")
        try:
            user = operator_create(
                email=options["email"],
                name=options["name"],
                password=password,
                groups=options["groups"] or [operators.SUPPORT],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.details or ''}".strip()) from exc
        groups = ", ".join(g.name for g in user.groups.order_by("name"))
        self.stdout.write(self.style.SUCCESS(f"Operator {user.email} is in: {groups}"))
