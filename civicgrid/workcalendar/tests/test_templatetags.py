from datetime import date

from django.template import Context, Template
from django.utils import translation

from civicgrid.workcalendar.calendar import Deadline

TEMPLATE = Template("{% load workcalendar %}[{% deadline_warning deadline %}]")


def render(deadline) -> str:
    with translation.override("zh-hans"):
        return TEMPLATE.render(Context({"deadline": deadline}))


def test_fallback_deadline_shows_the_warning():
    html = render(Deadline(date(2031, 3, 14), (2031,)))
    assert "2031年无官方节假日数据,按仅周末休息计算" in html
    assert "text-bg-warning" in html


def test_several_fallback_years_are_all_named():
    html = render(Deadline(date(2028, 1, 3), (2027, 2028)))
    assert "2027、2028年无官方节假日数据" in html


def test_known_days_render_nothing():
    assert render(Deadline(date(2026, 10, 13), ())) == "[]"
    assert render(None) == "[]"
