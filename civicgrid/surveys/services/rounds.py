"""Survey rounds: every write from creation to the close, each checking its own rules.

The procedure (docs/surveys.md): create a round (from the national questionnaire or from the
previous round's design) → set the design → freeze the frame (the registry's dwellings or an
imported list; its digest recorded) → draw the sample (systematic within each stratum, from
a recorded seed; reserves drawn the same way) → assign units to interviewers → open the
fieldwork → close: the estimates are computed and kept, the contacts and the frame deleted,
the responses cut from the sample. Whoever calls these — a page, the API, a command — the
same rules hold.
"""

from __future__ import annotations

import json
import math
import secrets
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User, UserJurisdiction
from civicgrid.accounts.roles import PERMISSIONS
from civicgrid.areas.models import CODE_LENGTH, Area, Level
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.crypto import decrypt_text, encrypt_text
from civicgrid.core.errors import RuleViolation
from civicgrid.core.phones import normalize_phone
from civicgrid.core.scope import ancestor_codes, get_scope, user_can
from civicgrid.core.tables import header_key, table_read
from civicgrid.core.text import refuse_longer_than_field
from civicgrid.registry.models import BuildingUse, Room, RoomUse
from civicgrid.surveys import design, sampling
from civicgrid.surveys.models import (
    MAX_ATTEMPTS_LIMIT,
    Allocation,
    CallAttempt,
    Contact,
    FrameSource,
    Mode,
    Question,
    Quota,
    Response,
    Round,
    RoundStatus,
    SampleUnit,
    Stratification,
    Stratum,
    UnitStatus,
)
from civicgrid.surveys.questionnaire import (
    INDEX_LABELS,
    KINDS,
    NATIONAL,
    ROLES,
    order_problem,
)

ROUND_LEVELS = (Level.CITY, Level.COUNTY, Level.STREET)
BATCH = 2000
MAX_FRAME_ROWS = 200_000  # an imported list (the registry's dwellings are not bounded)
MAX_OPTIONS = 20
MAX_QUESTIONS = 60
SEX_CODES = ("1", "2")
AGE_CODES = ("1", "2", "3", "4")


def _allowed(actor: User, model: type[models.Model], action: str, code: str) -> None:
    if not user_can(actor, model, action) or not get_scope(actor).covers_code(code):
        raise PermissionDenied


def _visible(actor: User, round_: Round, action: str = "change") -> None:
    """The actor may `action` the round: read through `restrict()`, and for a write its
    area lies within the actor's jurisdiction (a street's centre does not run the
    district's survey)."""
    if not Round.objects.restrict(actor, "view" if action == "view" else action).filter(
            pk=round_.pk).exists():
        raise PermissionDenied
    if action != "view" and not get_scope(actor).covers_code(round_.area_code):
        raise PermissionDenied


def _locked(round_: Round) -> Round:
    return Round.objects.select_for_update().get(pk=round_.pk)


def _require(round_: Round, *statuses: str) -> None:
    if round_.status not in statuses:
        raise RuleViolation(_("调查当前为“%(status)s”,不能进行此操作。") % {
            "status": round_.get_status_display()})


def _audit(actor: User, event: AuditEventType, round_: Round, **details: object) -> None:
    audit_record(actor=actor, event_type=event, subject=round_,
                 details={"round": round_.number, **details})


# --- creation -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RoundInput:
    area: Area
    year: int
    half: int
    title: str = ""


def _default_title(area: Area, year: int, half: int) -> str:
    return _("%(area)s%(year)s年%(half)s群众安全感调查") % {
        "area": area.name, "year": year, "half": _("上半年") if half == 1 else _("下半年")}


@transaction.atomic
def round_create(*, data: RoundInput, actor: User, previous: Round | None = None) -> Round:
    """A new round in design, with the national questionnaire — or, from `previous`, that
    round's questions, design, quotas and post-stratification totals."""
    _allowed(actor, Round, "add", data.area.code)
    if data.area.level not in ROUND_LEVELS:
        raise RuleViolation({"area": _("调查区域须为市、区县或街道。")})
    if not 2000 <= data.year <= 2100:
        raise ValidationError({"year": _("年度无效。")})
    if data.half not in (1, 2):
        raise ValidationError({"half": _("请选择上半年或下半年。")})
    if previous is not None:
        _visible(actor, previous, "view")
        if previous.area_id != data.area.pk:
            raise RuleViolation({"previous": _("只能沿用同一区域的调查方案。")})
    title = (data.title or "").strip() or _default_title(data.area, data.year, data.half)
    refuse_longer_than_field(Round, "title", title)
    taken = Round.objects.filter(area=data.area, year=data.year, half=data.half).exclude(
        status=RoundStatus.CANCELLED)
    if taken.exists():
        raise RuleViolation({"half": _("该区域本半年度已有调查。")})
    round_ = Round(number=f"~{uuid.uuid4().hex[:18]}", title=title, area=data.area,
                   area_code=data.area.code, year=data.year, half=data.half,
                   created_by=actor, previous=previous, modes=[Mode.CATI, Mode.FACE])
    if previous is not None:
        for name in ("frame_source", "stratification", "allocation", "expected_p", "margin",
                     "confidence", "deff", "response_rate", "reserve_ratio", "max_attempts",
                     "modes", "index_target", "poststrat_totals"):
            setattr(round_, name, getattr(previous, name))
    try:
        with transaction.atomic():
            round_.save()
    except IntegrityError as exc:  # a concurrent creation of the same half
        raise RuleViolation({"half": _("该区域本半年度已有调查。")}) from exc
    round_.number = f"AQ{data.year}{data.half}-{round_.pk:06d}"
    round_.save(update_fields=["number"])
    if previous is not None:
        Question.objects.bulk_create([
            Question(round=round_, key=q.key, position=q.position, kind=q.kind, role=q.role,
                     cell_part=q.cell_part, text=q.text, text_en=q.text_en,
                     options=q.options, required=q.required)
            for q in previous.questions.all()])
        Quota.objects.bulk_create([Quota(round=round_, cell=q.cell, target=q.target)
                                   for q in previous.quotas.filter(stratum__isnull=True)])
    else:
        Question.objects.bulk_create([
            Question(round=round_, position=i, key=item["key"], kind=item["kind"],
                     role=item["role"], cell_part=item["cell_part"], text=item["text"],
                     text_en=item["text_en"], options=item["options"],
                     required=item.get("required", True))
            for i, item in enumerate(NATIONAL, start=1)])
    _recompute_size(round_)
    round_.save(update_fields=["n_complete", "n_issued"])
    _audit(actor, AuditEventType.SURVEY_ROUND_CREATED, round_,
           previous=previous.number if previous else "")
    return round_


def next_half(year: int, half: int) -> tuple[int, int]:
    return (year, 2) if half == 1 else (year + 1, 1)


def round_schedule_next(*, area: Area, actor: User, today: date | None = None) -> Round:
    """The next of the two rounds a year: after the area's latest round, from its design;
    the first one, for the current half year, from the national questionnaire."""
    latest = (Round.objects.filter(area=area).exclude(status=RoundStatus.CANCELLED)
              .order_by("-year", "-half").first())
    if latest is None:
        day = today or timezone.localdate()
        return round_create(data=RoundInput(area=area, year=day.year,
                                            half=1 if day.month <= 6 else 2),
                            actor=actor)
    year, half = next_half(latest.year, latest.half)
    return round_create(data=RoundInput(area=area, year=year, half=half), actor=actor,
                        previous=latest)


# --- design -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DesignInput:
    title: str
    frame_source: str
    stratification: str
    allocation: str
    expected_p: Decimal
    margin: Decimal
    confidence: Decimal
    deff: Decimal
    response_rate: Decimal
    reserve_ratio: Decimal
    max_attempts: int
    modes: Sequence[str]
    index_target: Decimal
    poststrat_totals: Mapping[str, int] = field(default_factory=dict)


def _fraction(name: str, value: Decimal, *, low: str = "0", high: str = "1",
              closed_high: bool = False) -> Decimal:
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError({name: _("请填写数字。")}) from exc
    too_high = number > Decimal(high) if closed_high else number >= Decimal(high)
    if not number.is_finite() or number <= Decimal(low) or too_high:
        raise ValidationError({name: _("须大于 %(low)s 且%(op)s %(high)s。") % {
            "low": low, "op": _("不超过") if closed_high else _("小于"), "high": high}})
    return number


def _clean_totals(totals: Mapping[str, Any]) -> dict[str, int]:
    cleaned: dict[str, int] = {}
    for cell, value in totals.items():
        sex, _bar, age = str(cell).partition("|")
        if sex not in SEX_CODES or age not in AGE_CODES:
            raise ValidationError({"poststrat_totals": _("事后分层组“%(cell)s”无效。") % {
                "cell": cell}})
        try:
            number = int(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"poststrat_totals": _("总体数须为正整数。")}) from exc
        if number <= 0:
            raise ValidationError({"poststrat_totals": _("总体数须为正整数。")})
        cleaned[f"{sex}|{age}"] = number
    if cleaned and len(cleaned) != len(SEX_CODES) * len(AGE_CODES):
        raise ValidationError({"poststrat_totals": _(
            "事后分层须填写全部 8 个年龄×性别组的总体数,或全部不填。")})
    return cleaned


def _recompute_size(round_: Round) -> design.SampleSize:
    size = design.sample_size(
        p=float(round_.expected_p), margin=float(round_.margin),
        confidence=float(round_.confidence), deff=float(round_.deff),
        response_rate=float(round_.response_rate), population=round_.frame_size or None)
    round_.n_complete = size.n_design
    round_.n_issued = min(size.n_issued, round_.frame_size) if round_.frame_size else \
        size.n_issued
    return size


@transaction.atomic
def round_design_set(*, round_: Round, data: DesignInput, actor: User) -> Round:
    """Change the design while the round is in design. A new frame source or a new
    stratification discards the frozen frame (it must be frozen again)."""
    _visible(actor, round_)
    round_ = _locked(round_)
    _require(round_, RoundStatus.DESIGN)
    title = (data.title or "").strip()
    if not title:
        raise ValidationError({"title": _("请填写调查名称。")})
    refuse_longer_than_field(Round, "title", title)
    if data.frame_source not in FrameSource.values:
        raise ValidationError({"frame_source": _("请选择抽样框。")})
    if data.stratification not in Stratification.values:
        raise ValidationError({"stratification": _("请选择分层方式。")})
    if data.allocation not in Allocation.values:
        raise ValidationError({"allocation": _("请选择样本分配方法。")})
    modes = [m for m in Mode.values if m in set(data.modes)]
    if not modes or len(modes) != len(set(data.modes)):
        raise ValidationError({"modes": _("请至少选择一种调查方式。")})
    if not 1 <= int(data.max_attempts) <= MAX_ATTEMPTS_LIMIT:
        raise ValidationError({"max_attempts": _("最多联系次数须在 1 到 %(n)s 之间。") % {
            "n": MAX_ATTEMPTS_LIMIT}})
    values = {
        "expected_p": _fraction("expected_p", data.expected_p),
        "margin": _fraction("margin", data.margin, high="0.2", closed_high=True),
        "confidence": _fraction("confidence", data.confidence, low="0.5"),
        "deff": _fraction("deff", data.deff, low="0.99", high="10", closed_high=True),
        "response_rate": _fraction("response_rate", data.response_rate, closed_high=True),
        "reserve_ratio": _fraction("reserve_ratio", data.reserve_ratio, low="-0.01",
                                   high="5", closed_high=True),
        "index_target": _fraction("index_target", data.index_target),
    }
    if values["deff"] < 1:
        raise ValidationError({"deff": _("设计效应不能小于 1。")})
    totals = _clean_totals(data.poststrat_totals)
    reframe = (data.frame_source != round_.frame_source
               or data.stratification != round_.stratification)
    before = {name: str(getattr(round_, name)) for name in values}
    round_.title = title
    round_.frame_source = data.frame_source
    round_.stratification = data.stratification
    round_.allocation = data.allocation
    round_.max_attempts = int(data.max_attempts)
    round_.modes = modes
    round_.poststrat_totals = totals
    for name, value in values.items():
        setattr(round_, name, value)
    if reframe and round_.frame_frozen_at is not None:
        _drop_frame(round_)
    _recompute_size(round_)
    round_.save()
    _audit(actor, AuditEventType.SURVEY_ROUND_CHANGED, round_, before=before,
           after={name: str(value) for name, value in values.items()},
           frame_dropped=bool(reframe))
    return round_


# --- questions ----------------------------------------------------------------------------

@dataclass(frozen=True)
class QuestionInput:
    key: str
    kind: str
    role: str
    text: str
    text_en: str = ""
    options: Sequence[Mapping[str, Any]] = ()
    required: bool = True
    cell_part: str = ""


def _clean_options(kind: str, options: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if kind == "text":
        return []
    cleaned = []
    for number, option in enumerate(options, start=1):
        label = str(option.get("label", "")).strip()
        if not label:
            continue
        if len(label) > 60:
            raise ValidationError({"options": _("选项不能超过 60 字。")})
        cleaned.append({"code": str(number), "label": label,
                        "label_en": str(option.get("label_en", "")).strip()[:60],
                        "screen_out": bool(option.get("screen_out"))})
    for number, option in enumerate(cleaned, start=1):
        option["code"] = str(number)
    if not 2 <= len(cleaned) <= MAX_OPTIONS:
        raise ValidationError({"options": _("选择题须有 2 到 %(n)s 个选项。") % {
            "n": MAX_OPTIONS}})
    return cleaned


def _check_fixed_options(role: str, cell_part: str, options: Sequence[Mapping[str, Any]]
                         ) -> None:
    """The options the estimates and quotas read by position: the safety question's five
    (the index counts the first three), and the age and sex questions' bands (the age × sex
    cells of quotas and post-stratification), screen-out options only after them."""
    labels = [o["label"] for o in options]
    if role == "index" and labels != list(INDEX_LABELS):
        raise RuleViolation({"options": _("安全感题的五个选项及其顺序全国统一:%(labels)s。") % {
            "labels": "、".join(INDEX_LABELS)}})
    wanted = {"sex": len(SEX_CODES), "age": len(AGE_CODES)}.get(cell_part)
    if wanted is not None:
        kept = [o for o in options if not o.get("screen_out")]
        if len(kept) != wanted or any(o.get("screen_out") for o in options[:wanted]):
            raise RuleViolation({"options": _(
                "性别题须有 2 个选项、年龄题须有 4 个年龄段选项,甄别不符的选项排在它们之后。")})


@transaction.atomic
def question_save(*, round_: Round, data: QuestionInput, actor: User,
                  question: Question | None = None) -> Question:
    """Add a question at the end (or, with `question`, change it) while the round is in
    design; the questionnaire keeps its order rule (screening and stratification first,
    one five-point safety question)."""
    _visible(actor, round_)
    round_ = _locked(round_)
    _require(round_, RoundStatus.DESIGN)
    if question is not None and question.round_id != round_.pk:
        raise PermissionDenied
    key = (data.key or "").strip().lower()
    if not key or not key.replace("_", "").isalnum() or not key.isascii() or len(key) > 30:
        raise ValidationError({"key": _("题目代码只能用英文字母、数字和下划线,最多 30 个字符。")})
    if data.kind not in KINDS:
        raise ValidationError({"kind": _("请选择题型。")})
    if data.role not in ROLES:
        raise ValidationError({"role": _("请选择题目作用。")})
    if data.cell_part not in ("", "sex", "age"):
        raise ValidationError({"cell_part": _("无效的分组。")})
    text = (data.text or "").strip()
    if not text:
        raise ValidationError({"text": _("请填写题目。")})
    refuse_longer_than_field(Question, "text", text)
    text_en = (data.text_en or "").strip()
    refuse_longer_than_field(Question, "text_en", text_en)
    options = _clean_options(data.kind, data.options)
    _check_fixed_options(data.role, data.cell_part, options)
    clash = round_.questions.filter(key=key)
    if question is not None:
        clash = clash.exclude(pk=question.pk)
    if clash.exists():
        raise ValidationError({"key": _("本问卷已有这个题目代码。")})
    if question is None:
        if round_.questions.count() >= MAX_QUESTIONS:
            raise RuleViolation(_("一份问卷最多 %(n)s 道题。") % {"n": MAX_QUESTIONS})
        last = round_.questions.aggregate(m=models.Max("position"))["m"] or 0
        question = Question(round=round_, position=last + 1)
    question.key, question.kind, question.role = key, data.kind, data.role
    question.text, question.text_en, question.options = text, text_en, options
    question.required, question.cell_part = bool(data.required), data.cell_part
    _check_order(round_, replacing=question)
    question.save()
    _audit(actor, AuditEventType.SURVEY_ROUND_CHANGED, round_, question=key)
    return question


def _check_order(round_: Round, *, replacing: Question | None = None,
                 without: Question | None = None,
                 order: Sequence[Question] | None = None) -> None:
    questions = list(order) if order is not None else list(round_.questions.all())
    if without is not None:
        questions = [q for q in questions if q.pk != without.pk]
    if replacing is not None:
        questions = [replacing if q.pk == replacing.pk and replacing.pk else q
                     for q in questions]
        if replacing.pk is None:
            questions.append(replacing)
    problem = order_problem(questions)
    if problem:
        raise RuleViolation(problem)


@transaction.atomic
def question_delete(*, round_: Round, question: Question, actor: User) -> None:
    _visible(actor, round_)
    round_ = _locked(round_)
    _require(round_, RoundStatus.DESIGN)
    if question.round_id != round_.pk:
        raise PermissionDenied
    _check_order(round_, without=question)
    key = question.key
    question.delete()
    _audit(actor, AuditEventType.SURVEY_ROUND_CHANGED, round_, question_deleted=key)


@transaction.atomic
def question_move(*, round_: Round, question: Question, up: bool, actor: User) -> None:
    _visible(actor, round_)
    round_ = _locked(round_)
    _require(round_, RoundStatus.DESIGN)
    if question.round_id != round_.pk:
        raise PermissionDenied
    questions = list(round_.questions.all())
    index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(questions):
        return
    questions[index], questions[other] = questions[other], questions[index]
    _check_order(round_, order=questions)
    for position, item in enumerate(questions, start=1):
        item.position = position
    Question.objects.bulk_update(questions, ["position"])
    _audit(actor, AuditEventType.SURVEY_ROUND_CHANGED, round_, question_moved=question.key,
           up=up)


# --- quotas -------------------------------------------------------------------------------

@transaction.atomic
def quota_set(*, round_: Round, cell: str, target: int, actor: User,
              stratum: Stratum | None = None) -> Quota | None:
    """At most `target` completed interviews in the age × sex `cell` ("sex|age" option
    codes) of the round or of one stratum; 0 removes the quota."""
    _visible(actor, round_)
    round_ = _locked(round_)
    _require(round_, RoundStatus.DESIGN, RoundStatus.DRAWN, RoundStatus.FIELDWORK)
    sex, _bar, age = cell.partition("|")
    if sex not in SEX_CODES or age not in AGE_CODES:
        raise ValidationError({"cell": _("请选择年龄和性别。")})
    if stratum is not None and stratum.round_id != round_.pk:
        raise PermissionDenied
    if not 0 <= int(target) <= 1_000_000:
        raise ValidationError({"target": _("配额须为 0 到 1000000 的整数。")})
    existing = Quota.objects.filter(round=round_, stratum=stratum, cell=cell).first()
    if int(target) == 0:
        if existing is not None:
            existing.delete()
        _audit(actor, AuditEventType.SURVEY_ROUND_CHANGED, round_, quota=cell, target=0)
        return None
    quota = existing or Quota(round=round_, stratum=stratum, cell=cell, target=0)
    quota.target = int(target)
    quota.save()
    _audit(actor, AuditEventType.SURVEY_ROUND_CHANGED, round_, quota=cell,
           stratum=stratum.key if stratum else "", target=quota.target)
    return quota


# --- the frame ----------------------------------------------------------------------------

def _child_length(round_: Round) -> int:
    levels = list(CODE_LENGTH)
    return CODE_LENGTH[levels[levels.index(Level(round_.area.level)) + 1]]


@dataclass
class _FrameRow:
    key: str
    area_code: str
    building: str
    room: str
    address: str = ""
    phone: str = ""
    name: str = ""


@dataclass(frozen=True)
class FrameReport:
    units: int
    strata: int
    duplicates: int = 0
    errors: tuple[tuple[int, str], ...] = ()


def _stratum_keys(round_: Round, codes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Each area code's stratum: (key, urban-rural class)."""
    length = _child_length(round_)
    codes = set(codes)
    classes: dict[str, str] = {}
    if round_.stratification == Stratification.CHILD_URBAN_RURAL:
        community = CODE_LENGTH[Level.COMMUNITY]
        wanted = {code[:community] for code in codes if len(code) >= community}
        classes = dict(Area.objects.filter(code__in=wanted)
                       .values_list("code", "urban_rural_class"))
    keys = {}
    for code in codes:
        child = code[:length]
        if round_.stratification == Stratification.CHILD_URBAN_RURAL:
            urban = classes.get(code[:CODE_LENGTH[Level.COMMUNITY]], "") or "000"
            keys[code] = (f"{child}:{urban}", urban)
        else:
            keys[code] = (child, "")
    return keys


def pack_frame(rows: Sequence[Sequence[str]]) -> bytes:
    return zlib.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode())


def unpack_frame(blob: bytes | memoryview | None) -> list[list[str]]:
    return json.loads(zlib.decompress(bytes(blob))) if blob else []


def _drop_frame(round_: Round) -> None:
    round_.strata.all().delete()
    round_.frame_size, round_.frame_digest, round_.frame_frozen_at = 0, "", None


def _store_frame(round_: Round, rows: list[_FrameRow]) -> FrameReport:
    """Freeze `rows` as the frame: one stratum per child area (× urban-rural class), each
    holding its units in their sorted order (a listed unit with its encrypted contact)."""
    _drop_frame(round_)
    if not rows:
        raise RuleViolation(_("抽样框是空的:调查区域内没有可抽取的单位。"))
    stratum_of = _stratum_keys(round_, {row.area_code for row in rows})
    units = sorted((sampling.FrameUnit(key=row.key, stratum=stratum_of[row.area_code][0],
                                       sort_key=(row.area_code, row.building, row.room))
                    for row in rows), key=lambda u: (u.stratum, u.sort_key, u.key))
    contact = {row.key: _seal_contact(row) for row in rows}
    members: dict[str, list[list[str]]] = {}
    for unit in units:
        members.setdefault(unit.stratum, []).append([unit.key, *unit.sort_key,
                                                     contact[unit.key]])
    # The strata; the previous round's result in a stratum is its expected proportion
    # (Neyman allocation), else the design's.
    previous = (round_.previous.results.get("strata", {}) if round_.previous else {})
    child_codes = {key.split(":")[0] for key in members}
    areas = {a.code: a for a in Area.objects.filter(code__in=child_codes)}
    strata = []
    for key in sorted(members):
        code, _sep, urban = key.partition(":")
        expected = previous.get(key, {}).get("index")
        p = Decimal(str(expected)).quantize(Decimal("0.001")) if expected else \
            round_.expected_p
        p = min(max(p, Decimal("0.010")), Decimal("0.990"))
        strata.append(Stratum(round=round_, key=key, area=areas[code], area_code=code,
                              urban_rural_class=urban, population=len(members[key]),
                              expected_p=p, frame=pack_frame(members[key])))
    Stratum.objects.bulk_create(strata)
    round_.frame_size = len(units)
    round_.frame_digest = sampling.frame_digest(units)
    round_.frame_frozen_at = timezone.now()
    _recompute_size(round_)
    round_.save()
    return FrameReport(units=len(units), strata=len(strata))


def _seal_contact(row: _FrameRow) -> str:
    """A listed unit's contact, encrypted, until the draw (a dwelling's address is read
    from the registry for the drawn units only)."""
    if not (row.phone or row.name) and row.key.startswith("room:"):
        return ""
    return encrypt_text(json.dumps({"address": row.address, "phone": row.phone,
                                    "name": row.name}, ensure_ascii=False))


def _room_label(unit: int, floor: int, number: str) -> str:
    # sorts as the building is walked: by unit, then floor (basements first), then room
    return f"{unit:03d}{floor + 100:04d}{number}"


@transaction.atomic
def frame_freeze_registry(*, round_: Round, actor: User) -> FrameReport:
    """Freeze the registry's dwellings in the round's area as its frame: the rooms of
    residential (and mixed) buildings, except those used for business or known vacant,
    listed grid → building → room."""
    _visible(actor, round_)
    round_ = _locked(round_)
    _require(round_, RoundStatus.DESIGN)
    if round_.frame_source != FrameSource.REGISTRY:
        raise RuleViolation(_("本调查的抽样框是导入名单,请上传名单文件。"))
    rooms = (Room.objects.filter(grid_code__startswith=round_.area_code,
                                 building__use__in=[BuildingUse.RESIDENTIAL,
                                                    BuildingUse.MIXED])
             .exclude(use__in=[RoomUse.BUSINESS, RoomUse.VACANT])
             .values_list("id", "grid_code", "building__code", "unit", "floor", "number",
                          "address")
             .order_by("id"))
    rows = [_FrameRow(key=f"room:{pk}", area_code=grid, building=building,
                      room=_room_label(unit, floor, number), address=address)
            for pk, grid, building, unit, floor, number, address in rooms.iterator(
                chunk_size=BATCH)]
    report = _store_frame(round_, rows)
    _audit(actor, AuditEventType.SURVEY_FRAME_FROZEN, round_, source="registry",
           units=report.units, strata=report.strata, digest=round_.frame_digest)
    return report


FRAME_COLUMNS = {
    "phone": ("电话", "联系电话", "手机", "phone", "telephone"),
    "address": ("地址", "住址", "address"),
    "area_code": ("区域代码", "网格代码", "社区代码", "area code", "area_code", "grid code"),
    "name": ("姓名", "name"),
}


@transaction.atomic
def frame_import(*, round_: Round, data: bytes, filename: str, actor: User) -> FrameReport:
    """Freeze an imported list (CSV or XLSX: area code, and a phone or an address; a name
    optionally) as the round's frame. Every row must be good, or nothing is stored: the
    report lists the rows to fix. A phone listed twice is kept once."""
    _visible(actor, round_)
    round_ = _locked(round_)
    _require(round_, RoundStatus.DESIGN)
    if round_.frame_source != FrameSource.IMPORTED:
        raise RuleViolation(_("本调查的抽样框是一标三实房屋,不需要上传名单。"))
    table = table_read(data, filename=filename, max_rows=MAX_FRAME_ROWS)
    columns: dict[str, str] = {}
    for name, aliases in FRAME_COLUMNS.items():
        for alias in aliases:
            if header_key(alias) in table.header:
                columns[name] = header_key(alias)
                break
    if "area_code" not in columns or not ({"phone", "address"} & set(columns)):
        raise ValidationError(_("名单须有“区域代码”列,以及“电话”或“地址”列。"))
    length = _child_length(round_)
    known = set(Area.objects.filter(code__startswith=round_.area_code)
                .values_list("code", flat=True))
    rows: list[_FrameRow] = []
    errors: list[tuple[int, str]] = []
    phones: set[str] = set()
    duplicates = 0
    for number, record in table.records():
        code = record.get(columns["area_code"], "").strip()
        raw_phone = record.get(columns.get("phone", ""), "").strip()
        address = record.get(columns.get("address", ""), "").strip()
        name = record.get(columns.get("name", ""), "").strip()
        phone = normalize_phone(raw_phone) if raw_phone else ""
        if code not in known or len(code) < length + 1 and len(code) != length:
            errors.append((number, _("区域代码“%(code)s”不在调查区域内。") % {"code": code}))
        elif raw_phone and not phone:
            errors.append((number, _("电话号码无效。")))
        elif not phone and not address:
            errors.append((number, _("电话和地址至少填一项。")))
        elif len(address) > 200 or len(name) > 50:
            errors.append((number, _("地址不能超过 200 字,姓名不能超过 50 字。")))
        elif phone and phone in phones:
            duplicates += 1
        else:
            if phone:
                phones.add(phone)
            # listed in the file's order within each area (the contact itself is never
            # part of the frame's sort key: it lives only, encrypted, in Contact)
            rows.append(_FrameRow(key=f"row:{number}", area_code=code, building="",
                                  room=f"{number:07d}", address=address, phone=phone,
                                  name=name))
    if errors:
        raise ValidationError([_("第 %(row)s 行:%(error)s") % {"row": row, "error": error}
                               for row, error in errors[:50]]
                              + ([_("……共 %(n)s 行有误。") % {"n": len(errors)}]
                                 if len(errors) > 50 else []))
    report = _store_frame(round_, rows)
    _audit(actor, AuditEventType.SURVEY_FRAME_FROZEN, round_, source="imported",
           units=report.units, strata=report.strata, duplicates=duplicates,
           file_sha256=table.sha256, digest=round_.frame_digest)
    return FrameReport(units=report.units, strata=report.strata, duplicates=duplicates)


# --- the draw -----------------------------------------------------------------------------

def _frame_units(strata: Iterable[Stratum]) -> tuple[list[sampling.FrameUnit],
                                                      dict[str, str]]:
    """The frozen frame's units, and each listed unit's sealed contact by key."""
    units: list[sampling.FrameUnit] = []
    sealed: dict[str, str] = {}
    for stratum in strata:
        for key, area, building, room, contact in unpack_frame(stratum.frame):
            units.append(sampling.FrameUnit(key=key, stratum=stratum.key,
                                            sort_key=(area, building, room)))
            if contact:
                sealed[key] = contact
    return units, sealed


def _contacts(round_: Round, sample: Sequence[SampleUnit], sealed: Mapping[str, str]
              ) -> list[Contact]:
    """The drawn units' contacts: a listed unit's from the frame, a dwelling's address from
    the registry."""
    rooms = [int(u.frame_key.split(":")[1]) for u in sample if u.frame_key.startswith("room:")]
    address = {f"room:{pk}": text for pk, text in
               Room.objects.filter(pk__in=rooms).values_list("id", "address")}
    contacts = []
    for unit in sample:
        if unit.frame_key in sealed:
            data = json.loads(decrypt_text(sealed[unit.frame_key]))
        else:
            data = {"address": address.get(unit.frame_key, ""), "phone": "", "name": ""}
        contacts.append(Contact(
            round=round_, unit=unit,
            address_encrypted=encrypt_text(data["address"]) if data["address"] else "",
            phone_encrypted=encrypt_text(data["phone"]) if data["phone"] else "",
            name_encrypted=encrypt_text(data["name"]) if data["name"] else ""))
    return contacts


@transaction.atomic
def sample_draw(*, round_: Round, actor: User, seed: str = "") -> Round:
    """Allocate the sample to the strata and draw it systematically within each from the
    recorded seed (a public one, such as a lottery number, or a random one), with the
    reserves drawn the same way. Once drawn, the frame, the design and the seed are fixed:
    a different sample needs a new round (no drawing until a sample pleases)."""
    _visible(actor, round_)
    round_ = _locked(round_)
    _require(round_, RoundStatus.DESIGN)
    if round_.frame_frozen_at is None:
        raise RuleViolation(_("请先冻结抽样框。"))
    problem = order_problem(list(round_.questions.all()))
    if problem:
        raise RuleViolation(problem)
    seed = (seed or "").strip() or secrets.token_hex(8)
    if len(seed) > 64 or not seed.isprintable():
        raise ValidationError({"seed": _("随机种子最多 64 个字符。")})
    strata = {s.key: s for s in round_.strata.all()}
    _recompute_size(round_)
    sizes = {key: s.population for key, s in strata.items()}
    sds = {key: math.sqrt(float(s.expected_p) * (1 - float(s.expected_p)))
           for key, s in strata.items()}
    try:
        allocation = design.allocate(sizes=sizes, n=round_.n_issued, method=round_.allocation,
                                     sds=sds)
    except ValueError as exc:  # (design.allocate's reasons are for developers)
        raise RuleViolation(_("样本量无法按所选方法分配到各层:样本量须不小于每层 2 个之和、"
                              "不大于抽样框单位数;奈曼分配还要求各层预期比例不全为 0 或 1。")
                            ) from exc
    reserves = {key: min(math.ceil(n * float(round_.reserve_ratio)), sizes[key] - n)
                for key, n in allocation.items()}
    units, sealed = _frame_units(strata.values())
    draw = sampling.draw(units=units, allocation=allocation, seed=seed, reserves=reserves)
    area_of = {u.key: u.sort_key[0] for u in units}
    now = timezone.now()
    sample: list[SampleUnit] = []
    for result in draw.strata:
        stratum = strata[result.stratum]
        stratum.allocated, stratum.reserves = result.n, len(result.reserve_keys)
        stratum.interval, stratum.start = result.interval, result.start
        for position, key in zip(result.positions, result.keys, strict=True):
            sample.append(SampleUnit(round=round_, stratum=stratum, frame_key=key,
                                     area_code=area_of[key], position=position))
        for position, key in zip(result.reserve_positions, result.reserve_keys, strict=True):
            sample.append(SampleUnit(
                round=round_, stratum=stratum, frame_key=key, area_code=area_of[key],
                position=position, reserve=True, released=False,
                release_rank=sampling.release_rank(seed=seed, stratum=stratum.key,
                                                   position=position)))
    SampleUnit.objects.bulk_create(sample, batch_size=BATCH)
    Contact.objects.bulk_create(_contacts(round_, sample, sealed), batch_size=BATCH)
    # The contacts of the units not drawn are not kept past the draw (the frame keeps
    # only what the digest covers).
    for stratum in strata.values():
        if sealed:
            stratum.frame = pack_frame([[*row[:4], ""] for row in unpack_frame(stratum.frame)])
    Stratum.objects.bulk_update(list(strata.values()),
                                ["allocated", "reserves", "interval", "start", "frame"])
    round_.seed, round_.draw_digest = seed, draw.digest
    round_.drawn_at, round_.drawn_by = now, actor
    round_.status = RoundStatus.DRAWN
    round_.save()
    _audit(actor, AuditEventType.SURVEY_SAMPLE_DRAWN, round_, seed=seed, digest=draw.digest,
           frame_digest=round_.frame_digest, issued=sum(allocation.values()),
           reserves=sum(len(s.reserve_keys) for s in draw.strata))
    return round_


# --- assignment and fieldwork -------------------------------------------------------------

def interviewer_candidates(round_: Round) -> models.QuerySet[User]:
    """Active staff who may interview and whose jurisdiction lies in or above the round's
    area (a grid's worker, a street's or the district's centre)."""
    roles = [role for role, granted in PERMISSIONS.items()
             if "surveys.sampleunit.change" in granted]
    places = (UserJurisdiction.objects.filter(
        models.Q(area__code__startswith=round_.area_code)
        | models.Q(area__code__in=ancestor_codes(round_.area_code)))
        .values("user_id"))
    return (User.objects.filter(is_active=True, pk__in=places,
                                role_grants__role__in=roles)
            .distinct().order_by("username"))


@transaction.atomic
def units_assign(*, round_: Round, units: Sequence[SampleUnit], interviewer: User | None,
                 actor: User) -> int:
    """Give `units` (released, not finished) to `interviewer` — who may interview and whose
    jurisdiction covers each unit's place — or take them back (None)."""
    _visible(actor, round_)
    if not user_can(actor, SampleUnit, "assign"):
        raise PermissionDenied
    round_ = _locked(round_)
    _require(round_, RoundStatus.DRAWN, RoundStatus.FIELDWORK)
    ids = [u.pk for u in units]
    rows = list(SampleUnit.objects.select_for_update().filter(pk__in=ids, round=round_))
    if len(rows) != len(set(ids)):
        raise PermissionDenied
    scope = get_scope(actor)
    if any(not scope.covers_code(u.area_code) for u in rows):
        raise PermissionDenied
    if interviewer is not None:
        if not interviewer.is_active or not user_can(interviewer, SampleUnit, "change"):
            raise RuleViolation({"interviewer": _("此人不能担任调查员。")})
        theirs = get_scope(interviewer)
        if any(not theirs.covers_code(u.area_code) for u in rows):
            raise RuleViolation({"interviewer": _("有样本不在该调查员的辖区内。")})
    movable = [u for u in rows if u.status != UnitStatus.DONE and u.released]
    if len(movable) != len(rows):
        raise RuleViolation(_("已结束或未启用的样本不能分派。"))
    for unit in movable:
        unit.interviewer = interviewer
    SampleUnit.objects.bulk_update(movable, ["interviewer"])
    _audit(actor, AuditEventType.SURVEY_UNITS_ASSIGNED, round_, units=len(movable),
           interviewer=interviewer.username if interviewer else "")
    return len(movable)


@transaction.atomic
def fieldwork_open(*, round_: Round, actor: User) -> Round:
    _visible(actor, round_)
    round_ = _locked(round_)
    _require(round_, RoundStatus.DRAWN)
    round_.status = RoundStatus.FIELDWORK
    round_.opened_at = timezone.now()
    round_.save(update_fields=["status", "opened_at"])
    _audit(actor, AuditEventType.SURVEY_FIELDWORK_OPENED, round_)
    return round_


# --- the close ----------------------------------------------------------------------------

def _scrub(round_: Round) -> dict[str, int]:
    """Delete what could tie an answer to a dwelling or a person: the contacts, the frame
    (with each unit's key into it), the attempts (their times and interviewers), web
    tokens, who worked which unit and when; the responses are written again in a random
    order (their ids then follow no interview order), without their unit, interviewer and
    time, dated the day of the close, each with a new respondent id. What stays of a unit
    is its stratum, place in the draw and final code (the response rates and the check
    that the draw was systematic); nothing joins it to an answer."""
    contacts = Contact.objects.filter(round=round_).delete()[0]
    attempts = CallAttempt.objects.filter(unit__round=round_).delete()[0]
    SampleUnit.objects.filter(round=round_).update(
        frame_key="", web_token_hash="", callback_at=None, interviewer=None,
        last_attempt_at=None)
    frame = Stratum.objects.filter(round=round_, frame__isnull=False).update(frame=None)
    kept = list(Response.objects.filter(round=round_).values(
        "stratum_id", "mode", "status", "quota_exit", "cell", "answers"))
    Response.objects.filter(round=round_).delete()
    secrets.SystemRandom().shuffle(kept)
    day = timezone.localdate()
    Response.objects.bulk_create(
        [Response(round=round_, respondent=uuid.uuid4(), completed_on=day, **row)
         for row in kept], batch_size=BATCH)
    return {"contacts_deleted": contacts, "attempts_deleted": attempts,
            "frame_strata_deleted": frame, "responses_unlinked": len(kept)}


@transaction.atomic
def round_close(*, round_: Round, actor: User) -> Round:
    """End the fieldwork: units still open take their final code (never reached: not
    attempted; otherwise what their last outcome comes to), the estimates are computed and
    kept, and the contact details are deleted (docs/surveys.md, privacy)."""
    from civicgrid.surveys.dispositions import BY_CODE, NOT_ATTEMPTED
    from civicgrid.surveys.results import compute

    _visible(actor, round_)
    round_ = _locked(round_)
    _require(round_, RoundStatus.FIELDWORK)
    open_units = list(SampleUnit.objects.select_for_update().filter(
        round=round_, released=True).exclude(status=UnitStatus.DONE))
    last = {}
    for call in CallAttempt.objects.filter(unit__in=open_units).order_by("unit_id", "at", "id"):
        last[call.unit_id] = call.code
    for unit in open_units:
        code = last.get(unit.pk)
        unit.disposition = BY_CODE[code].exhausts_to if code in BY_CODE and \
            BY_CODE[code].exhausts_to else NOT_ATTEMPTED
        unit.status = UnitStatus.DONE
    SampleUnit.objects.bulk_update(open_units, ["disposition", "status"], batch_size=BATCH)
    results = compute(round_)
    round_.results = results
    index = results.get("index", {}).get("value")
    round_.index_value = Decimal(str(round(index, 6))) if index is not None else None
    scrubbed = _scrub(round_)
    round_.status = RoundStatus.CLOSED
    round_.closed_at, round_.closed_by = timezone.now(), actor
    round_.save()
    _audit(actor, AuditEventType.SURVEY_ROUND_CLOSED, round_, closed_open_units=len(open_units),
           index=str(round_.index_value) if round_.index_value is not None else "",
           **scrubbed)
    return round_


@transaction.atomic
def round_cancel(*, round_: Round, reason: str, actor: User) -> Round:
    _visible(actor, round_)
    round_ = _locked(round_)
    _require(round_, RoundStatus.DESIGN, RoundStatus.DRAWN, RoundStatus.FIELDWORK)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写撤销理由。")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("理由不能超过 300 字。")})
    scrubbed = _scrub(round_)
    round_.status = RoundStatus.CANCELLED
    round_.closed_at, round_.closed_by = timezone.now(), actor
    round_.save(update_fields=["status", "closed_at", "closed_by"])
    _audit(actor, AuditEventType.SURVEY_ROUND_CANCELLED, round_, reason=reason, **scrubbed)
    return round_
