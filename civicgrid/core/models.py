"""The kernel's one table: the revision counters of cached reference data
(civicgrid/core/refcache.py)."""

from __future__ import annotations

from django.db import models


class Revision(models.Model):
    """How many times a domain of cached data (`refcache.DOMAINS`) has changed."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.name} {self.value}"
