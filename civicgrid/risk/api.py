"""Major matters and their risk assessment in the JSON API (/api/v1/risk/…)."""

from ninja import Router

router = Router(tags=["risk assessment"])
