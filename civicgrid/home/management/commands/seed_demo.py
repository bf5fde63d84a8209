from django.core.management.base import BaseCommand

from civicgrid.audit.context import acting_from
from civicgrid.home.demo import DEMO_PASSWORD, demo_logins, demo_seed
from civicgrid.home.demo_cases import demo_cases_seed
from civicgrid.home.demo_warnings import demo_warnings_seed


class Command(BaseCommand):
    help = "Load the demo district (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")
        parser.add_argument("--cases", type=int, default=400,
                            help="How many demo cases to create (0: none).")

    def handle(self, *args, **options):
        with acting_from("127.0.0.1"):
            created = demo_seed(seed=options["seed"])
            cases = demo_cases_seed(seed=options["seed"], count=options["cases"]) \
                if options["cases"] else 0
            # Weekly checks and area statuses (after the cases, which the statuses read).
            checks = demo_warnings_seed(seed=options["seed"])
        if created:
            self.stdout.write(self.style.SUCCESS("Demo district 崇川区 (320602) loaded."))
        else:
            self.stdout.write("Demo district already present; nothing added.")
        if cases:
            self.stdout.write(self.style.SUCCESS(f"{cases} demo cases created."))
        if checks:
            self.stdout.write(self.style.SUCCESS(f"{checks} demo weekly checks created."))
        if options["quiet"]:
            return
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in demo_logins():
            self.stdout.write(f"  {login.username:<11} {login.role} · {login.where}")
