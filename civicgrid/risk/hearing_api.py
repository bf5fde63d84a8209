"""Hearings in the JSON API (/api/v1/risk/hearings/…)."""

from ninja import Router

router = Router(tags=["hearings"])
