"""`manage.py seed_demo` says what it does (stage by stage, with counts and times) unless
--quiet, and `make run` serves on the port it is given."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from civicgrid.areas.models import Area, Level
from civicgrid.surveys.models import Contact, Round, SampleUnit


def test_seed_demo_prints_each_stage_with_counts_and_time(db):
    out = StringIO()
    call_command("seed_demo", "--cases", "50", "--residents", "0", stdout=out)
    text = out.getvalue()
    assert re.search(r"^\[1/7\] District .*\n\s+\d+ areas, \d+ units, \d+ users, 70 routing "
                     r"rules  \d+\.\d s$", text, re.M), text
    assert re.search(r"^\[2/7\] Buildings and rooms .*\n\s+\d+ buildings with \d+ rooms, "
                     r"[1-9]\d* roads  \d+\.\d s$", text, re.M), text
    assert re.search(r"^\[3/7\] People, .*\n\s+\d+ people, \d+ households, \d+ rentals, \d+ "
                     r"organisations  \d+\.\d s$", text, re.M), text
    assert re.search(r"^\[4/7\] Cases .*\(50\)", text, re.M)
    assert re.search(r"^\s+50/50 cases  \d+\.\d s$", text, re.M)
    assert re.search(r"^\s+50 demo cases created  \d+\.\d s$", text, re.M)
    assert re.search(r"^\[5/7\] Weekly checks .*\n\s+\d+ demo weekly checks created  "
                     r"\d+\.\d s$", text, re.M), text
    assert re.search(r"^\[6/7\] Major matters.*\n\s+6 major matters at every stage  "
                     r"\d+\.\d s$", text, re.M), text
    assert re.search(r"^\[7/7\] Safety surveys.*\n\s+3 survey rounds  \d+\.\d s$", text,
                     re.M), text
    assert re.search(r"^Demo district ready in \d+\.\d s\.$", text, re.M)
    assert "Civicgrid-Demo-2026" in text
    assert Area.objects.filter(level=Level.STREET, code__startswith="320602").exists()
    # the surveys' story: two finished rounds (the second from the first's design) with an
    # index, their contacts gone; the current half in fieldwork with grid1's call sheet
    rounds = list(Round.objects.order_by("year", "half"))
    assert [(r.year, r.half, r.status) for r in rounds] == [
        (2025, 2, "closed"), (2026, 1, "closed"), (2026, 2, "fieldwork")]
    assert rounds[1].previous == rounds[0] and rounds[2].previous == rounds[1]
    assert all(r.index_value is not None and r.results["responses"] > 100
               for r in rounds[:2])
    assert not Contact.objects.filter(round__in=rounds[:2]).exists()
    assert SampleUnit.objects.filter(round=rounds[2], interviewer__username="grid1",
                                     status="pending").exists()
    assert SampleUnit.objects.filter(round=rounds[2], interviewer__username="supervisor",
                                     status="working").count() == 2


def test_seed_demo_quiet_prints_nothing(db):
    out = StringIO()
    call_command("seed_demo", "--quiet", "--cases", "0", "--residents", "0", stdout=out)
    assert out.getvalue() == ""
    assert Area.objects.filter(code="320602").exists()


MAKEFILE = Path(settings.BASE_DIR) / "Makefile"


def _run_recipe() -> list[str]:
    text = MAKEFILE.read_text()
    recipe = text.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in recipe.splitlines()[1:]]


def test_make_run_takes_a_port_default_8000():
    text = MAKEFILE.read_text()
    assert re.search(r"^PORT \?= 8000$", text, re.M)
    recipe = _run_recipe()
    assert recipe[-1] == "$(UV) run python manage.py runserver 127.0.0.1:$(PORT)"
    assert 'echo "civicgrid on http://127.0.0.1:$(PORT)"' in recipe[-2]
    assert not any("8000" in line for line in recipe)
