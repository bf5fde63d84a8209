"""How every JSON answer of /api/v1/ is written, replays of idempotent writes included."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from civicgrid.core.times import api_time


class ApiJSONEncoder(NinjaJSONEncoder):
    """Ninja's encoder, with times in the interfaces' one form (core/times.py)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return api_time(o)
        return super().default(o)


class ApiRenderer(JSONRenderer):
    encoder_class = ApiJSONEncoder
