"""The ports of the risk module that higher apps fill in their AppConfig.ready()
(civicgrid/core/hooks.py, docs/decisions/0007).

- `followup_threshold()`: the number of disputes about one matter in the follow-up window
  at which the warnings module's active `matter_disputes` rule fires (its lowest threshold),
  or None without such a rule. Filled by civicgrid.warnings; the matter's follow-up
  (`risk.figures.matter_followup`) shows it.
"""

from __future__ import annotations

from collections.abc import Callable

from civicgrid.core.hooks import Slot

followup_threshold: Slot[Callable[[], int | None]] = Slot("risk.followup_threshold")
