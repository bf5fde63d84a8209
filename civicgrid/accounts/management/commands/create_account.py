import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.audit.context import acting_from


class Command(BaseCommand):
    help = (
        "Create an account with roles and jurisdiction (for the first administrator and "
        "auditor of a deployment; later accounts are created by administrators). The "
        "password is asked for twice and checked against the password policy."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="display name (姓名)")
        parser.add_argument("--role", action="append", required=True, choices=Role.values,
                            help="repeat for several roles")
        parser.add_argument("--area", action="append", default=[],
                            help="jurisdiction area code; repeat for several")

    def handle(self, *args, **options):
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ; nothing was created.")
        try:
            with acting_from("127.0.0.1"):
                user = user_create(
                    username=options["username"], password=password,
                    display_name=options["name"], roles=options["role"],
                    area_codes=options["area"], actor=None,
                )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages) + " Nothing was created.") from exc
        self.stdout.write(self.style.SUCCESS(
            f"Created {user.username} with roles {', '.join(options['role'])}."
        ))
