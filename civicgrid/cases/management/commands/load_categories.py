from django.core.management.base import BaseCommand
from django.db import transaction

from civicgrid.audit.context import acting_from
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases.loader import load_categories
from civicgrid.cases.models import Category, CategoryAttribute
from civicgrid.core.refcache import REFERENCE, revision_bump
from civicgrid.units.models import Specialty


class Command(BaseCommand):
    help = "Create the built-in case categories that are missing (--update: reset all)."

    def add_arguments(self, parser):
        parser.add_argument("--update", action="store_true",
                            help="Overwrite built-in categories with the shipped values.")

    def handle(self, *args, **options):
        with acting_from("127.0.0.1"), transaction.atomic():
            changed = load_categories(Category=Category, CategoryAttribute=CategoryAttribute,
                                      Specialty=Specialty, update=options["update"])
            revision_bump(REFERENCE)  # (the loader writes in bulk: no signals)
            audit_record(actor=None, username="system", event_type=AuditEventType.CATEGORY_LOADED,
                         details={"changed": changed, "update": options["update"]})
        self.stdout.write(self.style.SUCCESS(f"{changed} categories created or updated."))
