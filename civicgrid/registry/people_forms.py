"""Page forms of the registry's people and organisations. They parse what people type; the
rules (the ID check, duplicates, dates, scope) are the services' (registry/services/), whose
refusals land on the fields they name (`add_service_errors`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.forms import PHONE_ATTRS, StyledForm
from civicgrid.registry.models import (
    DocumentType,
    DormitoryService,
    Education,
    HazardLevel,
    OrganisationKind,
    PersonKind,
    Relation,
    RentalPurpose,
    ResidenceKind,
    ResidenceSource,
    Sex,
    StayPurpose,
)
from civicgrid.registry.services import OrganisationInput, PersonInput
from civicgrid.registry.services.people import LEAVING

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _blank(choices) -> list[tuple[str, object]]:
    return [("", "—"), *choices]


class PersonForm(StyledForm):
    name = forms.CharField(label=_("姓名"), max_length=60,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(label=_("人口类型"), choices=PersonKind.choices,
                             widget=forms.RadioSelect, initial=PersonKind.REGISTERED)
    document_type = forms.ChoiceField(label=_("证件类型"), choices=DocumentType.choices,
                                      initial=DocumentType.ID_CARD)
    id_number = forms.CharField(label=_("证件号码"), required=False, max_length=40,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}),
                                help_text=_("居民身份证将校验出生日期和校验位,并自动带出性别和出生日期。"))
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=30,
                            widget=forms.TextInput(attrs=PHONE_ATTRS))
    sex = forms.ChoiceField(label=_("性别"), required=False, choices=_blank(Sex.choices))
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=DATE)
    ethnicity = forms.CharField(label=_("民族"), required=False, max_length=20)
    hukou_code = forms.CharField(label=_("户籍地行政区划代码"), required=False, max_length=6,
                                 widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    nationality = forms.CharField(label=_("国籍(地区)"), required=False, max_length=3,
                                  help_text=_("境外人员填写三位字母代码,如 KOR。"))
    stay_purpose = forms.ChoiceField(label=_("来居住地事由"), required=False,
                                     choices=_blank(StayPurpose.choices))
    education = forms.ChoiceField(label=_("学历"), required=False,
                                  choices=_blank(Education.choices))
    occupation = forms.CharField(label=_("职业"), required=False, max_length=60)
    employer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def to_input(self) -> PersonInput:
        d = self.cleaned_data
        return PersonInput(
            name=d["name"], kind=d["kind"], sex=d.get("sex") or "",
            birth_date=d.get("birth_date"), ethnicity=d.get("ethnicity") or "",
            document_type=d["document_type"], id_number=d.get("id_number") or "",
            phone=d.get("phone") or "", hukou_code=d.get("hukou_code") or "",
            nationality=d.get("nationality") or "", stay_purpose=d.get("stay_purpose") or "",
            education=d.get("education") or "", occupation=d.get("occupation") or "")


class MoveInFields(StyledForm):
    """How a person lives in the room they are registered into (入住)."""

    residence_kind = forms.ChoiceField(label=_("居住方式"), choices=ResidenceKind.choices,
                                       initial=ResidenceKind.LIVING)
    since = forms.DateField(label=_("入住日期"), required=False, widget=DATE,
                            help_text=_("不填为今天。"))
    source = forms.ChoiceField(label=_("信息来源"), choices=ResidenceSource.choices,
                               initial=ResidenceSource.VISIT)


class PersonMoveInForm(PersonForm, MoveInFields):
    pass


class LeaveForm(StyledForm):
    status = forms.ChoiceField(label=_("变动"), choices=[(s.value, s.label) for s in LEAVING])
    on = forms.DateField(label=_("日期"), required=False, widget=DATE, help_text=_("不填为今天。"))
    reason = forms.CharField(label=_("原因"), max_length=200)


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("理由"), max_length=200,
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))


class MoveOutForm(StyledForm):
    until = forms.DateField(label=_("搬离日期"), required=False, widget=DATE,
                            help_text=_("不填为今天。"))
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


class OrganisationForm(StyledForm):
    name = forms.CharField(label=_("单位名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=OrganisationKind.choices)
    credit_code = forms.CharField(label=_("统一社会信用代码"), required=False, max_length=30,
                                  widget=forms.TextInput(attrs={"autocomplete": "off"}),
                                  help_text=_("18位,末位为校验码;社区社会组织可不填。"))
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    staff_count = forms.IntegerField(label=_("从业人数"), required=False, min_value=0,
                                     widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    has_trade_union = forms.BooleanField(label=_("建立工会"), required=False)
    has_party_organisation = forms.BooleanField(label=_("建立党组织"), required=False)
    legal_representative = forms.IntegerField(required=False, min_value=1,
                                              widget=forms.HiddenInput)
    safety_lead = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def to_input(self) -> OrganisationInput:
        d = self.cleaned_data
        return OrganisationInput(
            name=d["name"], kind=d["kind"], credit_code=d.get("credit_code") or "",
            address=d.get("address") or "", staff_count=d.get("staff_count"),
            has_trade_union=bool(d.get("has_trade_union")),
            has_party_organisation=bool(d.get("has_party_organisation")))


class RoomOwnerForm(StyledForm):
    owner_person = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    owner_organisation = forms.IntegerField(required=False, min_value=1,
                                            widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class RentalForm(StyledForm):
    occupant_limit = forms.IntegerField(label=_("限住人数"), min_value=1, max_value=500,
                                        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    lessor_person = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    lessor_organisation = forms.IntegerField(required=False, min_value=1,
                                             widget=forms.HiddenInput)
    filing_number = forms.CharField(label=_("租赁备案号"), required=False, max_length=40)
    lease_start = forms.DateField(label=_("租赁起始日期"), required=False, widget=DATE)
    lease_end = forms.DateField(label=_("租赁截止日期"), required=False, widget=DATE)
    purpose = forms.ChoiceField(label=_("出租用途"), choices=RentalPurpose.choices)
    fire_exits = forms.IntegerField(label=_("安全出口数"), min_value=0, max_value=20, initial=1,
                                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    responsibility_signed_on = forms.DateField(label=_("治安责任书签订日期"), required=False,
                                               widget=DATE)
    hazard_level = forms.ChoiceField(label=_("隐患等级"), choices=HazardLevel.choices)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class HouseholdForm(StyledForm):
    number = forms.CharField(label=_("户号"), required=False, max_length=20,
                             help_text=_("不填则按网格自动编号。"))
    residence = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class MemberForm(StyledForm):
    person = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    relation = forms.ChoiceField(label=_("与户主关系"), choices=[
        (value, label) for value, label in Relation.choices if value != Relation.HEAD])


class PermitForm(StyledForm):
    number = forms.CharField(label=_("居住证号"), max_length=30,
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))
    issued_on = forms.DateField(label=_("签发日期"), widget=DATE)
    expires_on = forms.DateField(label=_("有效期至"), widget=DATE)
    endorsed_until = forms.DateField(label=_("签注有效期至"), widget=DATE)


class DormitoryForm(StyledForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    operator = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    capacity = forms.IntegerField(label=_("可容纳人数"), min_value=1, max_value=100_000,
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    services = forms.MultipleChoiceField(label=_("服务内容"), required=False,
                                         choices=DormitoryService.choices,
                                         widget=forms.CheckboxSelectMultiple)
