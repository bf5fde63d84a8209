"""Forms of the pages that change a case after intake: 补录/更正/移除当事人 and 更正事件信息.

They parse what people type into the services' inputs (civicgrid/cases/inputs.py); the
rules (who, when, the last applicant, the place in the jurisdiction, re-routing) are the
services' (civicgrid/cases/services/parties.py, facts.py). The particulars of a party are
the intake form's (`PartyForm`), so both pages ask and check the same way.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Area
from civicgrid.cases.forms import (
    MatterField,
    PartyForm,
    StyledForm,
    grids_in_scope,
    leaf_categories,
)
from civicgrid.cases.inputs import FactsInput, PartyInput, PartyUpdateInput
from civicgrid.cases.models import Case, Party, PeopleBand
from civicgrid.cases.services import PARTY_NOTE_MAX_LENGTH
from civicgrid.risk.models import Matter


def _version() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput)


def _reason_field(label: Any, *, required: bool = True) -> forms.CharField:
    # The limit of 补录's note in the service; the same for the other reasons here.
    return forms.CharField(label=label, required=required, max_length=PARTY_NOTE_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": _("请填写理由。")})


class PartyAddForm(PartyForm):
    version = _version()
    note = _reason_field(_("说明(可选)"), required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).update(version=case.version, role="respondent")
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        self.fields["name"].error_messages["required"] = _("请填写当事人姓名。")

    def to_input(self) -> PartyInput:
        party = super().to_input()
        assert party is not None  # the name is required
        return party


class PartyEditForm(PartyForm):
    """The stored phone and ID number are shown masked as the fields' hints: a blank field
    keeps them, a value replaces them, the tick boxes remove them."""

    version = _version()
    clear_phone = forms.BooleanField(label=_("删除已登记的电话"), required=False)
    clear_id_number = forms.BooleanField(label=_("删除已登记的身份证号"), required=False)
    reason = _reason_field(_("更正理由"))

    def __init__(self, *args: Any, case: Case, party: Party, **kwargs: Any) -> None:
        initial = {"version": case.version, "role": party.role, "name": party.name,
                   "sex": party.sex, "ethnicity": party.ethnicity, "age": party.age,
                   "occupation": party.occupation, "address": party.address}
        kwargs.setdefault("initial", {}).update(initial)
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        self.fields["name"].error_messages["required"] = _("请填写当事人姓名。")
        for field, masked in (("phone", party.phone_masked),
                              ("id_number", party.id_number_masked)):
            self.fields[field].help_text = (
                _("已登记 %(value)s,留空则不变。") % {"value": masked} if masked else "")
        if not party.phone_masked:
            del self.fields["clear_phone"]
        if not party.id_number_masked:
            del self.fields["clear_id_number"]

    def to_input(self) -> PartyUpdateInput:  # type: ignore[override]
        party = super().to_input()
        assert party is not None  # the name is required
        data = self.cleaned_data
        return PartyUpdateInput(party=party, reason=data["reason"],
                                clear_phone=bool(data.get("clear_phone")),
                                clear_id_number=bool(data.get("clear_id_number")))


class PartyRemoveForm(StyledForm):
    version = _version()
    reason = _reason_field(_("移除理由"))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).update(version=case.version)
        super().__init__(*args, **kwargs)


class FactsForm(StyledForm):
    """Every fact with its current value; only what differs reaches the service as a
    change (an unchanged area is not sent, so a handler whose jurisdiction does not hold
    the place can still correct the number of people)."""

    version = _version()
    category = forms.ModelChoiceField(
        label=_("事件分类"), queryset=leaf_categories(),
        error_messages={"required": _("请选择事件分类。"),
                        "invalid_choice": _("请选择最末一级的在用分类。")})
    area = forms.ModelChoiceField(label=_("所在网格"), queryset=Area.objects.none(),
                                  error_messages={"required": _("请选择所在网格。"),
                                                  "invalid_choice": _(
                                                      "该位置不在您的管辖范围内。")})
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    people_band = forms.ChoiceField(label=_("涉及人数"), choices=PeopleBand.choices)
    is_major = forms.BooleanField(label=_("重大矛盾纠纷"), required=False)
    is_group = forms.BooleanField(label=_("群体性"), required=False)
    reason = _reason_field(_("更正理由"))

    def __init__(self, *args: Any, case: Case, user: Any, **kwargs: Any) -> None:
        self.case = case
        kwargs.setdefault("initial", {}).update(
            version=case.version, category=case.category_id, area=case.area_id,
            address=case.address, people_band=case.people_band, is_major=case.is_major,
            is_group=case.is_group)
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.ModelChoiceField)
        grids = grids_in_scope(user)
        area.queryset = (Area.objects.filter(Q(pk__in=grids.values("pk")) | Q(pk=case.area_id))
                         .defer("boundary").order_by("code"))

    def to_input(self) -> FactsInput:
        data = self.cleaned_data
        area = data["area"]
        return FactsInput(reason=data["reason"], category=data["category"],
                          area=area if area.pk != self.case.area_id else None,
                          address=data.get("address") or "",
                          people_band=data["people_band"], is_major=data["is_major"],
                          is_group=data["is_group"])


class MatterTagForm(StyledForm):
    """关联重大事项: the matter the case is about, or none (clears the tag). The matters
    offered are those the user may tag with (services.taggable_matters), and the one the
    case has now."""

    version = _version()
    matter = MatterField(label=_("涉及重大事项"), queryset=Matter.objects.none(),
                         required=False, empty_label=_("— 不关联 —"),
                         error_messages={"invalid_choice": _("找不到该重大事项。")})
    note = _reason_field(_("说明(可选)"), required=False)

    def __init__(self, *args: Any, case: Case, matters: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).update(version=case.version, matter=case.matter_id)
        super().__init__(*args, **kwargs)
        matter = self.fields["matter"]
        assert isinstance(matter, forms.ModelChoiceField)
        matter.queryset = matters
