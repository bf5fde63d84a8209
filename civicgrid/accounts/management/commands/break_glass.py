import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civicgrid.accounts.models import CredentialAction, User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import break_glass_apply
from civicgrid.audit.context import acting_from

ACTIONS = {
    "set-password": (CredentialAction.SET_PASSWORD, None),
    "reset-totp": (CredentialAction.RESET_TOTP, None),
    "activate": (CredentialAction.SET_ACTIVE, True),
    "deactivate": (CredentialAction.SET_ACTIVE, False),
    "set-roles": (CredentialAction.SET_ROLES, None),
}


class Command(BaseCommand):
    help = (
        "Emergency change to a privileged account without a second administrator "
        "(三员分立 break-glass), e.g. the only administrator lost their phone. Run on the "
        "server only; needs --reason; writes a high-severity auth.break_glass audit entry "
        "naming the operating-system user, then the change's own entry. A password reset "
        "prints a one-time password. Refuses to run without a terminal unless --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--action", required=True, choices=sorted(ACTIONS))
        parser.add_argument("--role", action="append", default=[], choices=Role.values,
                            help="with --action set-roles: the roles the account will hold "
                                 "(repeat; none removes every role)")
        parser.add_argument("--reason", required=True,
                            help="why (recorded in the audit log); e.g. a ticket number")
        parser.add_argument("--yes", action="store_true",
                            help="do not ask for confirmation (needed without a terminal)")

    def handle(self, *args, **options):
        username = options["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account {username!r}; nothing was changed.")
        if not options["reason"].strip():
            raise CommandError("--reason must say why; nothing was changed.")
        if options["role"] and options["action"] != "set-roles":
            raise CommandError("--role goes with --action set-roles; nothing was changed.")
        action, active = ACTIONS[options["action"]]
        self.stderr.write(self.style.WARNING(
            f"BREAK-GLASS: {options['action']} on {username}. This bypasses the two-person "
            "rule and is recorded in the audit log as a high-severity event."))
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError(
                    "Refusing to run without a terminal: pass --yes to confirm; nothing was "
                    "changed.")
            typed = input(f"Type the account name ({username}) to confirm: ")
            if typed.strip() != username:
                raise CommandError("Not confirmed; nothing was changed.")
        try:
            operator = getpass.getuser()
        except (KeyError, OSError):
            operator = "unknown"
        try:
            with acting_from("127.0.0.1"):
                password = break_glass_apply(
                    user=user, action=action, reason=options["reason"], operator=operator,
                    roles=options["role"], active=active)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages) + " Nothing was changed.") from exc
        self.stdout.write(self.style.SUCCESS(f"Done: {options['action']} on {username}."))
        if password is not None:
            self.stdout.write(f"One-time password (hand it over in person): {password}")
