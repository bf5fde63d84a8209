"""Load the demo district (idempotent), saying what it does stage by stage."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand

from civicgrid.accounts.models import User
from civicgrid.areas.demo_roads import build_demo_roads
from civicgrid.areas.models import Area, Road, RoadImportMode
from civicgrid.areas.services import roads_import
from civicgrid.audit.context import acting_from
from civicgrid.cases.models import RoutingRule
from civicgrid.home.demo import DEMO_PASSWORD, demo_logins, demo_seed
from civicgrid.home.demo_cases import demo_cases_seed
from civicgrid.home.demo_registry import (
    POPULATED_PER_GRID,
    demo_people_seed,
    demo_places_seed,
)
from civicgrid.home.demo_risk import demo_risk_seed
from civicgrid.home.demo_survey import demo_survey_seed
from civicgrid.home.demo_warnings import demo_warnings_seed
from civicgrid.units.models import Unit

STAGES = 7


class Command(BaseCommand):
    help = ("Load the demo district (idempotent): areas, units and people, buildings and rooms, "
            "registered residents, households, rentals and organisations, then cases played "
            "through the workflow, then weekly checks and area statuses. Prints each stage "
            "with its counts and time, and the demo logins.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--quiet", action="store_true",
                            help="Print nothing (no progress, no logins).")
        parser.add_argument("--cases", type=int, default=400,
                            help="How many demo cases to create (0: none).")
        parser.add_argument("--residents", type=int, default=POPULATED_PER_GRID,
                            help="In how many residential buildings of each grid to register "
                                 "residents (0: organisations and dormitories only).")

    def _demo_roads(self) -> int:
        """The demo district's road network for the local base map (civicgrid/areas/
        demo_roads.py), unless roads were imported already."""
        if Road.objects.exists():
            return 0
        content = json.dumps(build_demo_roads(), ensure_ascii=False).encode()
        result = roads_import(content=content, file_name="demo-roads.geojson",
                              mode=RoadImportMode.REPLACE, actor=None)
        if not result.ok:
            raise RuntimeError("demo roads are invalid: " + "; ".join(result.errors))
        return len(result.roads)

    def handle(self, *args, **options):
        self.quiet = options["quiet"]
        started = time.monotonic()
        with acting_from("127.0.0.1"):
            self._stage(1, "District 崇川区 (320602): areas, units, people, routing rules")
            t = time.monotonic()
            created = demo_seed(seed=options["seed"])
            self._done(t, self._district_counts() if created else "already present, nothing added")

            self._stage(2, "Buildings and rooms of every grid (一标三实), roads of the map")
            t = time.monotonic()
            buildings, rooms = demo_places_seed(seed=options["seed"])
            roads = self._demo_roads()
            self._done(t, f"{buildings} buildings with {rooms} rooms, {roads} roads" if buildings
                       else "already present, nothing added")

            self._stage(3, "People, households, rentals and organisations (一标三实)")
            t = time.monotonic()
            people = demo_people_seed(seed=options["seed"], per_grid=options["residents"])
            self._done(t, ", ".join(f"{n} {what}" for what, n in people.items()) if people
                       else "already present, nothing added")

            self._stage(4, f"Cases played through the workflow ({options['cases']})")
            t = time.monotonic()
            cases = 0
            if options["cases"]:
                def progress(done: int, total: int) -> None:
                    self._say(f"      {done}/{total} cases  {time.monotonic() - t:.1f} s")

                cases = demo_cases_seed(seed=options["seed"], count=options["cases"],
                                        progress=progress)
            self._done(t, f"{cases} demo cases created" if cases
                       else "none added (the database has cases, or --cases 0)")

            # Weekly checks and area statuses (after the cases, which the statuses read).
            self._stage(5, "Weekly checks and area statuses")
            t = time.monotonic()
            checks = demo_warnings_seed(seed=options["seed"])
            self._done(t, f"{checks} demo weekly checks created" if checks
                       else "checks already present; today's statuses computed")

            # Major matters, their assessments and hearings (after the cases, some of
            # which are tagged with a matter, and the statuses, which the follow-up adds to).
            self._stage(6, "Major matters: risk assessments, hearings, decisions")
            t = time.monotonic()
            matters = demo_risk_seed(seed=options["seed"])
            self._done(t, f"{matters} major matters at every stage" if matters
                       else "already present, nothing added")

            # Safety-perception surveys (after the registry, whose dwellings are the frame).
            self._stage(7, "Safety surveys: two finished rounds and one in fieldwork")
            t = time.monotonic()
            rounds = demo_survey_seed(seed=options["seed"])
            self._done(t, f"{rounds} survey rounds" if rounds
                       else "already present, nothing added")
        self._say(self.style.SUCCESS(
            f"Demo district ready in {time.monotonic() - started:.1f} s."))
        if self.quiet:
            return
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in demo_logins():
            self.stdout.write(f"  {login.username:<11} {login.role} · {login.where}")

    def _say(self, text: str) -> None:
        if not self.quiet:
            self.stdout.write(text)
            self.stdout.flush()

    def _stage(self, number: int, title: str) -> None:
        self._say(f"[{number}/{STAGES}] {title} …")

    def _done(self, started: float, what: str) -> None:
        self._say(self.style.SUCCESS(f"      {what}  {time.monotonic() - started:.1f} s"))

    @staticmethod
    def _district_counts() -> str:
        return (f"{Area.objects.count()} areas, {Unit.objects.count()} units, "
                f"{User.objects.count()} users, {RoutingRule.objects.count()} routing rules")
