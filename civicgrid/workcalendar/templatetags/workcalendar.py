"""`{% load workcalendar %}` … `{% deadline_warning deadline %}`.

Renders a visible warning when a deadline was counted weekends-only through a year without
holiday data (see civicgrid.workcalendar.calendar), and nothing otherwise. The partial can
also be included directly: `{% include "workcalendar/partials/deadline_warning.html" %}`
with `deadline` in the context.
"""

from __future__ import annotations

from django import template

from civicgrid.workcalendar.calendar import Deadline

register = template.Library()


@register.inclusion_tag("workcalendar/partials/deadline_warning.html")
def deadline_warning(deadline: Deadline | None) -> dict:
    return {"deadline": deadline}
