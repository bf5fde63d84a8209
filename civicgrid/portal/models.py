"""The resident's own rating of a case, given once through the portal."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ResidentRating(models.Model):
    """One per case (the DB refuses a second): the resident rates the result once. When the
    case was waiting for its follow-up the rating *is* the follow-up (the case's
    satisfaction); later it is kept here and on the timeline without touching the staff
    follow-up."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE,
                                related_name="resident_rating", verbose_name=_("事件"))
    rating = models.PositiveSmallIntegerField(_("满意度"))
    comment = models.TextField(_("意见"), blank=True)
    created_at = models.DateTimeField(_("评价时间"))
    became_follow_up = models.BooleanField(_("作为回访结果"), default=False)

    class Meta:
        verbose_name = _("群众评价")
        verbose_name_plural = _("群众评价")
        constraints = [models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5),
                                              name="portal_rating_1_5")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.rating}"
