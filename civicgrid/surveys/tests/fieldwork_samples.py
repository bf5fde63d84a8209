"""What the permission-matrix test needs for the interviewer's pages and the web link,
on top of the survey samples (civicgrid/surveys/tests/samples.py: street A's round in
fieldwork, its units given to grid A1's worker).

The interviewer's pages are personal: a unit is "in scope" only for the interviewer it is
assigned to (a unit of someone else's call sheet answers 404, like a missing one, even to
the staff of its area). The registered in-scope SampleUnit belongs to the grid worker, so
for another role that interviews (a supervisor) the matrix needs a unit of *that* user's
sheet: `own_unit(world, user)`. The web link's page is reached by a token, which exists
only as a keyed hash: `web_token(world)` gives the in-scope unit a known one.
"""

from __future__ import annotations

from typing import Any

from civicgrid.core.crypto import keyed_hash
from civicgrid.core.scope import get_scope, user_can
from civicgrid.surveys.models import SampleUnit, UnitStatus
from civicgrid.surveys.services.fieldwork import WEB_TOKEN_PURPOSE
from civicgrid.testing import SAMPLES

WEB_TOKEN = "matrix-sample-web-link"  # noqa: S105  (a test link's token, not a secret)


def _registered_unit(world: Any) -> SampleUnit:
    unit: SampleUnit = SAMPLES[SampleUnit][0](world)
    return unit


def own_unit(world: Any, user: Any) -> SampleUnit:
    """An open unit of the in-scope round on `user`'s call sheet: the registered sample
    when it is theirs; otherwise another released unit of the same round given to them —
    if they may interview and their area covers it (else the registered one, which they
    must not see)."""
    sample = _registered_unit(world)
    if sample.interviewer_id == user.pk or not user_can(user, SampleUnit, "change") or \
            not get_scope(user).covers_code(sample.area_code):
        return sample
    theirs = SampleUnit.objects.filter(round_id=sample.round_id, interviewer=user,
                                       released=True).exclude(status=UnitStatus.DONE).first()
    if theirs is not None:
        return theirs
    other = (SampleUnit.objects.filter(round_id=sample.round_id, released=True)
             .exclude(pk=sample.pk).exclude(status=UnitStatus.DONE).order_by("id").first())
    assert other is not None, "the sample round needs a second released unit"
    SampleUnit.objects.filter(pk=other.pk).update(interviewer=user)
    other.refresh_from_db()
    return other


def web_token(world: Any) -> str:
    """The token of a web link to the in-scope sample unit (set afresh, idempotent)."""
    unit = _registered_unit(world)
    SampleUnit.objects.filter(pk=unit.pk).update(
        web_token_hash=keyed_hash(WEB_TOKEN, WEB_TOKEN_PURPOSE))
    return WEB_TOKEN
