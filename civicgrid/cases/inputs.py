"""The typed input of every case write, declared once.

Each row of the workflow table (civicgrid/cases/workflow.py) names one of these types; the
service that performs the transition takes it (`data=`), the page form is built from it
(`civicgrid/cases/forms.py`, `input_form_class`) and so is the JSON API's body schema
(`civicgrid/cases/api.py`, `input_schema`). A field's type, whether it is required, its
limits and its label are written here and nowhere else. The inputs only carry what the
caller asked for; every rule (who may act, which unit may take the case, reasons, limits)
is the service's.

Field metadata (`spec(...)`) is presentation and parsing: the label and help text, the
longest text accepted, the number range, the widget, and for a reference to another record
(a unit, a case) the service function that lists the choices a page may offer.
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from datetime import date, datetime
from typing import Any, TypeAlias

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Area
from civicgrid.cases.models import (
    Case,
    Category,
    HandOffKind,
    Outcome,
    PartyRole,
    SupervisionLevel,
)
from civicgrid.units.models import Unit


@dataclass(frozen=True)
class Spec:
    """How one input field is presented and parsed (not what is allowed: the service says)."""

    label: Any = ""
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    widget: str = ""  # "textarea", "radio", "lines" (a list of strings, one per line)
    rows: int = 0
    help_text: Any = ""
    choices: tuple[tuple[Any, Any], ...] = ()  # for ints and bools shown as radio buttons
    choices_from: str = ""  # name of the service listing the records a page may offer
    api_description: str = ""
    placeholder: str = ""


def spec(label: Any = "", **kwargs: Any) -> dict[str, Spec]:
    return {"spec": Spec(label=label, **kwargs)}


def field_spec(f: Any) -> Spec:
    return f.metadata.get("spec") or Spec(label=f.name)


def field_label(input_type: type, name: str) -> str:
    """The label of field `name` of an input type (for a service's message)."""
    return str(next(field_spec(f).label for f in fields(input_type) if f.name == name))


def is_required(f: Any) -> bool:
    """A field without a default must be given (a reason, a unit for a transfer, ...)."""
    return f.default is MISSING and f.default_factory is MISSING


def _note(label: Any = None, max_length: int = 2000) -> Any:
    return field(default="", metadata=spec(label or _("说明(可选)"), max_length=max_length,
                                           widget="textarea", rows=2))


def _reason(label: Any = None, max_length: int = 2000) -> Any:
    return field(metadata=spec(label or _("理由"), max_length=max_length, widget="textarea",
                               rows=3))


# --- category attributes ---------------------------------------------------------------------

AttributeValue: TypeAlias = str | float | list[str]
"""One cleaned value of a category attribute (Case.attributes), by the attribute's datatype:
a number is a float, a date-time its ISO text, a multi-value list the chosen keys, any
other the text. What a caller sends before cleaning is a Mapping[str, object]."""

Attributes: TypeAlias = dict[str, AttributeValue]
"""A case's cleaned attributes, by attribute code (`clean_attributes`)."""


# --- shared shapes ---------------------------------------------------------------------------

@dataclass(frozen=True)
class NoInput:
    """A transition that needs nothing but the case version (签收对接)."""


@dataclass(frozen=True)
class NoteInput:
    note: str = _note()


@dataclass(frozen=True)
class ReasonInput:
    reason: str = _reason()


# --- one type per transition that asks for more ---------------------------------------------

@dataclass(frozen=True)
class DispatchInput:
    unit: Unit | None = field(default=None, metadata=spec(
        _("承办单位"), choices_from="dispatch_targets",
        api_description="unit code; default: the suggested unit"))
    note: str = _note(_("交办意见(可选)"))


@dataclass(frozen=True)
class TransferInput:
    unit: Unit = field(metadata=spec(_("转至单位"), choices_from="transfer_targets",
                                     api_description="unit code"))
    reason: str = _reason(_("转办理由"))


@dataclass(frozen=True)
class HandOffInput:
    kind: HandOffKind = field(metadata=spec(_("对接类型")))
    to_unit: Unit = field(metadata=spec(_("接收单位"), choices_from="handoff_targets",
                                        api_description="unit code"))
    note: str = _note(_("移交说明"))


@dataclass(frozen=True)
class HandOffOutcomeInput:
    outcome: str = field(metadata=spec(_("对接结果"), max_length=200, widget="textarea",
                                       rows=3))


@dataclass(frozen=True)
class SessionInput:
    held_at: datetime = field(metadata=spec(_("调解时间")))
    attendees: str = field(metadata=spec(_("参加人员"), max_length=300))
    notes: str = field(metadata=spec(_("调解情况"), max_length=4000, widget="textarea",
                                     rows=4))
    place: str = field(default="", metadata=spec(_("地点"), max_length=100))


@dataclass(frozen=True)
class AgreementInput:
    """人民调解协议书 (人民调解法 Art. 29); the parties come from the case."""

    facts: str = field(metadata=spec(_("纠纷主要事实"), max_length=4000, widget="textarea",
                                     rows=3))
    disputed_matters: str = field(metadata=spec(_("争议事项"), max_length=4000,
                                                widget="textarea", rows=2))
    terms: list[str] = field(metadata=spec(_("协议内容(每行一条)"), max_length=8000,
                                           widget="lines", rows=4))
    performance: str = field(metadata=spec(_("履行方式、期限"), max_length=2000,
                                           widget="textarea", rows=2))
    responsibilities: str = field(default="", metadata=spec(
        _("各方责任"), max_length=4000, widget="textarea", rows=2))
    signed_on: date | None = field(default=None, metadata=spec(_("生效日期")))
    copies: int | None = field(default=None, metadata=spec(
        _("份数"), min_value=3, max_value=50, help_text=_("当事人各一份,另加调委会留存一份。")))


@dataclass(frozen=True)
class ResolveInput:
    outcome: Outcome = field(metadata=spec(_("办理结果")))
    note: str = field(metadata=spec(
        _("办理情况"), max_length=4000, widget="textarea", rows=3,
        help_text=_("反映人可在查询进度页看到这段答复:请写明办理结果,不写他人的电话、身份证号等个人信息。")))
    agreement: AgreementInput | None = field(default=None, metadata=spec(
        _("制作人民调解协议书")))


SATISFACTION = ((5, _("非常满意")), (4, _("满意")), (3, _("基本满意")),
                (2, _("不满意")), (1, _("非常不满意")))


@dataclass(frozen=True)
class FollowUpInput:
    satisfaction: int = field(metadata=spec(_("满意度"), min_value=1, max_value=5,
                                            widget="radio", choices=SATISFACTION))
    note: str = _note(_("回访情况(可选)"))


@dataclass(frozen=True)
class ExtensionRequestInput:
    days: int = field(metadata=spec(_("延期天数"), min_value=1, max_value=365))
    reason: str = _reason(_("延期理由"))


@dataclass(frozen=True)
class ExtensionDecisionInput:
    approve: bool = field(metadata=spec(_("审批意见"), widget="radio",
                                        choices=((True, _("批准")), (False, _("不批准")))))
    note: str = _note()


@dataclass(frozen=True)
class SuperviseInput:
    level: SupervisionLevel = field(metadata=spec(_("督办级别"), choices=tuple(
        (value, label if value else _("撤销督办")) for value, label in SupervisionLevel.choices)))
    reason: str = field(default="", metadata=spec(_("督办事由"), max_length=200,
                                                  widget="textarea", rows=3))


@dataclass(frozen=True)
class RemindInput:
    message: str = field(default="", metadata=spec(_("催办内容(可选)"), max_length=300,
                                                   widget="textarea", rows=2))


@dataclass(frozen=True)
class MergeInput:
    master: Case = field(metadata=spec(_("主件编号"), max_length=24,
                                       placeholder="320602-20260101-00001",
                                       api_description="number of the case to keep"))
    reason: str = field(default="", metadata=spec(_("合并理由"), max_length=2000,
                                                  widget="textarea", rows=3))


@dataclass(frozen=True)
class AttachInput:
    uploads: list[UploadedFile] = field(metadata=spec(_("照片或文件")))


# --- intake ---------------------------------------------------------------------------------

@dataclass
class PartyInput:
    role: str
    name: str
    sex: str = ""
    ethnicity: str = ""
    birth_date: date | None = None
    age: int | None = None
    occupation: str = ""
    phone: str = ""
    address: str = ""
    id_number: str = ""


# --- parties and facts after intake (civicgrid/cases/services/parties.py, facts.py) -----

@dataclass(frozen=True)
class PartyUpdateInput:
    """更正当事人. Pages show a phone and an ID number masked, so a blank one keeps what
    is stored and `clear_phone` / `clear_id_number` remove it; a value replaces it."""

    party: PartyInput
    reason: str
    clear_phone: bool = False
    clear_id_number: bool = False


@dataclass(frozen=True)
class FactsInput:
    """更正事件信息: each fact left None stays as it is; `reason` is required."""

    reason: str
    category: Category | None = None
    area: Area | None = None
    lng: float | None = None
    lat: float | None = None
    address: str | None = None
    people_band: str | None = None
    is_major: bool | None = None
    is_group: bool | None = None


@dataclass(frozen=True)
class InputField:
    """One field of an input type: its name, its class (`X | None` unwrapped), its Spec,
    whether it must be given, and the input type nested in it (the agreement of 办结)."""

    name: str
    kind: Any
    spec: Spec
    required: bool
    default: Any
    nested: type | None


def input_fields(input_type: type) -> list[InputField]:
    hints = typing.get_type_hints(input_type)
    result = []
    for f in fields(input_type):
        kind = hints[f.name]
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if typing.get_origin(kind) in (types.UnionType, typing.Union) and len(args) == 1:
            kind = args[0]
        nested = kind if isinstance(kind, type) and is_dataclass(kind) else None
        result.append(InputField(f.name, kind, field_spec(f), is_required(f),
                                 f.default, nested))
    return result




__all__ = [
    "AgreementInput", "AttachInput", "DispatchInput", "ExtensionDecisionInput",
    "ExtensionRequestInput", "FactsInput", "FollowUpInput", "HandOffInput",
    "HandOffOutcomeInput", "InputField", "field_label",
    "MergeInput", "NoInput", "NoteInput", "PartyInput", "PartyRole", "PartyUpdateInput",
    "ReasonInput", "RemindInput", "ResolveInput", "SATISFACTION", "SessionInput", "Spec",
    "SuperviseInput", "TransferInput", "field_spec", "input_fields", "is_required", "spec",
]
