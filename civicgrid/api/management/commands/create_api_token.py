from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civicgrid.api.services import api_token_create
from civicgrid.units.models import Unit


class Command(BaseCommand):
    help = "Create an API token for a unit and print it (shown once, never stored)."

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="unit id or code")
        parser.add_argument("--actions", default="cases:read",
                            help="comma-separated: cases:read,cases:create,cases:act,open311")
        parser.add_argument("--name", default="", help="what the token is for")
        parser.add_argument("--rate-limit", type=int, default=120, help="requests per minute")

    def handle(self, *args, **options):
        ref = options["unit"]
        unit = Unit.objects.filter(code=ref).first() or (
            Unit.objects.filter(pk=int(ref)).first() if ref.isdigit() else None)
        if unit is None:
            raise CommandError(f"No unit {ref!r}.")
        actions = [a.strip() for a in options["actions"].split(",") if a.strip()]
        try:
            token, plain = api_token_create(
                name=options["name"] or f"{unit.code} API", unit=unit, actions=actions,
                actor=None, rate_limit_per_minute=options["rate_limit"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(f"Token {token.prefix} for {unit.code} ({', '.join(token.actions)}); "
                          "it is shown once:")
        self.stdout.write(plain)
