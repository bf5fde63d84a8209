"""Page forms of the change review: they parse what the reviewer or the grid worker
typed; the rules are the services' (registry/services/review.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.forms import StyledForm
from civicgrid.registry.people_forms import MoveInFields

RULE_CHOICES = [("on", _("需要审核")), ("off", _("不需要审核")), ("inherit", _("沿用上级设置"))]


class ReturnForm(StyledForm):
    reason = forms.CharField(label=_("退回理由"), max_length=200,
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))


class DecideManyForm(StyledForm):
    """The queue's bulk decision: the requests ticked, approve or return (with a reason)."""

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=False)
    action = forms.ChoiceField(choices=[("approve", _("批量通过")), ("return", _("批量退回"))])
    reason = forms.CharField(label=_("退回理由"), required=False, max_length=200)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # (any record numbers: the service decides which the reviewer may decide)
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in raw if v.isascii() and v.isdigit()
                                      and len(v) <= 18]


class RuleForm(StyledForm):
    needs_review = forms.ChoiceField(label=_("网格员的登记变更"), choices=RULE_CHOICES,
                                     widget=forms.RadioSelect)

    def value(self) -> bool | None:
        return {"on": True, "off": False}.get(self.cleaned_data["needs_review"])


class MoveInForm(MoveInFields):
    """A registered person moves into the room (入住 of someone already in the register)."""

    person = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    field_order = ["person", "residence_kind", "since", "source"]
