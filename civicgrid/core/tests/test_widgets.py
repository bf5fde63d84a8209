"""QuickSelect writes exactly what Django's template-rendered Select writes."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from civicgrid.cases.forms import CaseFilterForm
from civicgrid.cases.models import Case, Status
from civicgrid.core.widgets import QuickSelect

CHOICES = [
    ("", "全部"),
    ("a&b", "<A> & \"B\""),
    ("x", "X"),
    ("组", [("1", "一"), ("2", "二")]),
    (3, "three"),
]


@pytest.mark.parametrize("value", [None, "", "a&b", "2", 3, "3", "not offered"])
@pytest.mark.parametrize("attrs", [
    {},
    {"class": "form-select is-invalid", "id": "id_s", "required": True, "disabled": False,
     "data-x": '"quoted" <tag>', "aria-invalid": "true"},
])
def test_quick_select_renders_what_select_renders(value, attrs):
    expected = forms.Select(attrs=dict(attrs), choices=CHOICES).render("s", value)
    got = QuickSelect(attrs=dict(attrs), choices=CHOICES).render("s", value)
    assert got == expected


def test_quick_select_marks_the_chosen_option_once():
    html = QuickSelect(choices=CHOICES).render("s", "2")
    assert html.count(" selected") == 1
    assert '<option value="2" selected>二</option>' in html
    assert '<optgroup label="组">' in html
    assert "&lt;A&gt; &amp; &quot;B&quot;" in html


def test_filter_form_selects_render_in_python_with_their_choices():
    form = CaseFilterForm({"status": "handling", "area": "32060200"},
                          categories=[("01", "矛盾纠纷")],
                          areas=[("320602001", "街道一"), ("320602001001", "　社区一")])
    assert form.is_valid(), form.errors
    for name in ("status", "category", "area", "channel", "supervision"):
        assert type(form.fields[name].widget) is QuickSelect
    html = str(form["area"])
    assert '<option value="320602001">街道一</option>' in html
    # A drilled-down prefix the list does not offer is shown as a choice of its own, chosen.
    assert '<option value="32060200" selected>32060200</option>' in html
    assert 'class="form-select"' in html
    assert '<option value="handling" selected>' in str(form["status"])


def test_status_display_is_the_translated_label():
    case = Case(status=Status.HANDLING)
    assert case.get_status_display() == "办理中"
    with translation.override("en"):
        assert case.get_status_display() == "In progress"
    assert Case(status="unknown").get_status_display() == "unknown"
    for value, label in Status.choices:
        assert Case(status=value).get_status_display() == str(label)
