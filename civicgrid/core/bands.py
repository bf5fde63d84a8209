"""The bands of how many people a matter touches, shared by cases and by the major
matters assessed for social-stability risk (civicgrid/risk): one scale, so that a dispute
and the decision it is about are counted alike."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeopleBand(models.TextChoices):
    UNDER_50 = "lt50", _("50人以下")
    FROM_50 = "50-100", _("50-100人")
    FROM_100 = "100-500", _("100-500人")
    OVER_500 = "gt500", _("500人以上")


# The smallest number of people in each band (for rules that compare a count with a band).
BAND_FLOOR = {PeopleBand.UNDER_50: 0, PeopleBand.FROM_50: 50, PeopleBand.FROM_100: 100,
              PeopleBand.OVER_500: 500}
