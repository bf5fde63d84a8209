"""Hearings (听证) and the public consultation on a draft: every write, each checking its own
rules whoever calls it (a staff page, the public page, the API).

The procedure (docs/risk.md, "Hearings"): a hearing is drafted (notice, agenda, the draft in
passages, the seats of each group) → noticed: public, registrations and comments come in →
registration closed at its deadline: the list is frozen and its SHA-256 published → the
lots drawn from a published seed (civicgrid/risk/lots.py) → held: the chair and the minutes
→ the minutes signed by the chair → published with a disposition for every comment.
Nothing is ever deleted once noticed: a registration is withdrawn, a comment disposed.

Refusals: a rule of the procedure raises `RuleViolation` (409 in the API, the message on the
page); input that is not well formed raises `ValidationError` naming the field; an actor
who may not organise this hearing gets `PermissionDenied` (pages read the hearing through
`restrict()` first, so an out-of-scope hearing answers 404 before any service runs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.crypto import encrypt_text
from civicgrid.core.errors import RuleViolation
from civicgrid.core.masking import mask_name, mask_personal_data_counted
from civicgrid.core.phones import PHONE_RULE, normalize_phone
from civicgrid.core.privacy import seal_phone, unseal
from civicgrid.core.scope import get_scope, user_can
from civicgrid.core.text import refuse_longer_than_field, refuse_too_long
from civicgrid.risk import lots
from civicgrid.risk.models import (
    ActivityKind,
    Assessment,
    AssessmentStatus,
    Comment,
    CommentSource,
    ConsultationActivity,
    Disposition,
    Hearing,
    HearingQuota,
    HearingStatus,
    Matter,
    MatterStatus,
    ParticipantGroup,
    Passage,
    Position,
    Registration,
    RegistrationStatus,
)

# Long texts: refused with their limit, never cut (the forms and the API say the same).
AGENDA_MAX = 4000
PASSAGE_MAX = 4000
PASSAGES_MAX = 200
STATEMENT_MAX = 1000
COMMENT_MAX = 2000
REASON_MAX = 1000
MINUTES_MAX = 50_000
SEED_MAX = 100
SEATS_MAX = 500

# From the notice on, what the public sees (a draft hearing is nobody's business but staff's).
PUBLIC_STATUSES = (HearingStatus.NOTICED, HearingStatus.CLOSED, HearingStatus.DRAWN,
                   HearingStatus.HELD, HearingStatus.PUBLISHED)
# Online comments come in while the hearing has not been held and before comments close.
ONLINE_COMMENT_STATUSES = (HearingStatus.NOTICED, HearingStatus.CLOSED, HearingStatus.DRAWN)

# --- inputs ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class HearingInput:
    title: str
    starts_at: datetime
    place: str
    agenda: str
    draft_title: str
    registration_closes_at: datetime
    comments_close_at: datetime
    seed_source: str = ""


@dataclass(frozen=True)
class PassageInput:
    heading: str
    text: str


@dataclass(frozen=True)
class RegistrationInput:
    group: str
    name: str
    phone: str
    position: str
    affiliation: str = ""
    wants_to_speak: bool = True
    statement: str = ""


# --- common checks --------------------------------------------------------------------------

def _organiser(actor: User | None, hearing: Hearing, action: str = "change") -> User:
    """The actor may organise this hearing (the permission, and the hearing's matter in
    their scope); PermissionDenied otherwise."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    if not Hearing.objects.restrict(actor, action).filter(pk=hearing.pk).exists():
        raise PermissionDenied
    # (reads admit the matters owned above the actor's jurisdiction; organising one does
    # not: the district's hearings are the district's staff's)
    matter = Matter.objects.only("area_code", "status").get(pk=hearing.matter_id)
    if not get_scope(actor).covers_code(matter.area_code):
        raise PermissionDenied
    if matter.status == MatterStatus.WITHDRAWN and action != "view":
        raise RuleViolation(_("该重大事项已撤销,不能再组织听证。"))
    return actor


def _locked(hearing: Hearing) -> Hearing:
    """The hearing's row, locked for the rest of the transaction (one change at a time)."""
    return Hearing.objects.select_for_update().get(pk=hearing.pk)


def _refuse_status(hearing: Hearing, allowed: Sequence[str], message: str) -> None:
    if hearing.status not in allowed:
        raise RuleViolation(message)


def _text(value: str, field: str, label: object, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    return refuse_too_long(text, limit, field, label)


def _field_text(model: type[models.Model], name: str, value: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        label = getattr(model._meta.get_field(name), "verbose_name", name)
        raise ValidationError({name: _("请填写%(label)s。") % {"label": label}})
    return refuse_longer_than_field(model, name, text)


def _clean_hearing(data: HearingInput) -> dict[str, object]:
    fields: dict[str, object] = {
        "title": _field_text(Hearing, "title", data.title),
        "place": _field_text(Hearing, "place", data.place),
        "agenda": _text(data.agenda, "agenda", Hearing._meta.get_field("agenda").verbose_name,
                        AGENDA_MAX),
        "draft_title": _field_text(Hearing, "draft_title", data.draft_title),
        "seed_source": _field_text(Hearing, "seed_source", data.seed_source, required=False),
    }
    for name in ("starts_at", "registration_closes_at", "comments_close_at"):
        value = getattr(data, name)
        if not isinstance(value, datetime) or timezone.is_naive(value):
            raise ValidationError({name: _("请填写有效的日期时间。")})
        fields[name] = value
    _refuse_incoherent_dates(data.starts_at, data.registration_closes_at,
                             data.comments_close_at)
    return fields


def _refuse_incoherent_dates(starts_at: datetime, registration_closes_at: datetime,
                             comments_close_at: datetime) -> None:
    if registration_closes_at >= starts_at:
        raise RuleViolation({"registration_closes_at": _("报名截止时间须早于听证会举行时间。")})
    if comments_close_at > starts_at:
        raise RuleViolation({"comments_close_at": _("意见征集截止时间不能晚于听证会举行时间。")})


def _audit(actor: User | None, event: AuditEventType, hearing: Hearing,
           details: Mapping[str, object] | None = None, *,
           subject: models.Model | None = None) -> None:
    audit_record(actor=actor, event_type=event,
                 subject=subject or hearing,
                 details={"hearing": hearing.pk, **(details or {})},
                 username="" if actor is not None else "public")


# --- drafting ---------------------------------------------------------------------------------

@transaction.atomic
def hearing_create(*, matter: Matter, data: HearingInput, actor: User) -> Hearing:
    """Draft a hearing on a matter of the actor's scope (nothing public until noticed)."""
    if not user_can(actor, Hearing, "add") or not Matter.objects.restrict(actor, "view") \
            .filter(pk=matter.pk).exists():
        raise PermissionDenied
    if matter.status == MatterStatus.WITHDRAWN:
        raise RuleViolation(_("该重大事项已撤销,不能再组织听证。"))
    fields = _clean_hearing(data)
    hearing = Hearing.objects.create(matter=matter, status=HearingStatus.DRAFT, **fields)
    _organiser(actor, hearing, "add")  # (the result is inside the actor's scope)
    _audit(actor, AuditEventType.HEARING_CREATED, hearing, {"matter": matter.number})
    return hearing


@transaction.atomic
def hearing_update(*, hearing: Hearing, data: HearingInput, actor: User) -> Hearing:
    """Change the notice while the hearing is a draft."""
    _organiser(actor, hearing)
    current = _locked(hearing)
    _refuse_status(current, [HearingStatus.DRAFT], _("听证公告发布后不能再修改。"))
    fields = _clean_hearing(data)
    changed = sorted(k for k, v in fields.items() if getattr(current, k) != v)
    if not changed:
        raise ValidationError(_("没有要修改的内容。"))
    Hearing.objects.filter(pk=hearing.pk).update(**fields)
    hearing.refresh_from_db()
    _audit(actor, AuditEventType.HEARING_CHANGED, hearing, {"fields": changed})
    return hearing


@transaction.atomic
def hearing_set_passages(*, hearing: Hearing, passages: Sequence[PassageInput],
                         actor: User) -> list[Passage]:
    """The draft's passages, numbered 1… in the order given. While the hearing is a draft
    the text may be rewritten (passages beyond the new count go: no one has seen or
    commented on them); from the notice on, passages are fixed."""
    _organiser(actor, hearing)
    current = _locked(hearing)
    _refuse_status(current, [HearingStatus.DRAFT], _("听证公告发布后草案不能再修改。"))
    if len(passages) > PASSAGES_MAX:
        raise ValidationError({"passages": _("草案最多分%(n)d段。") % {"n": PASSAGES_MAX}})
    rows = []
    for index, passage in enumerate(passages, start=1):
        heading = refuse_longer_than_field(Passage, "heading", (passage.heading or "").strip(),
                                           "passages")
        text = _text(passage.text, "passages", _("草案内容"), PASSAGE_MAX)
        rows.append((index, heading, text))
    existing = {p.number: p for p in Passage.objects.filter(hearing=hearing)}
    for number, heading, text in rows:
        row = existing.get(number)
        if row is None:
            Passage.objects.create(hearing=hearing, number=number, heading=heading, text=text)
        elif (row.heading, row.text) != (heading, text):
            Passage.objects.filter(pk=row.pk).update(heading=heading, text=text)
    Passage.objects.filter(hearing=hearing, number__gt=len(rows)).delete()
    _audit(actor, AuditEventType.HEARING_CHANGED, hearing,
           {"fields": ["passages"], "passages": len(rows)})
    return list(Passage.objects.filter(hearing=hearing).order_by("number"))


@transaction.atomic
def hearing_set_quotas(*, hearing: Hearing, seats: Mapping[str, int],
                       actor: User) -> list[HearingQuota]:
    """The seats of each group while the hearing is a draft; 0 (or a group left out) means
    the group does not take part."""
    _organiser(actor, hearing)
    current = _locked(hearing)
    _refuse_status(current, [HearingStatus.DRAFT], _("听证公告发布后名额不能再修改。"))
    for group, count in seats.items():
        if group not in ParticipantGroup.values:
            raise ValidationError({"quotas": _("参加人类别无效。")})
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= SEATS_MAX:
            raise ValidationError({group: _("名额须为0到%(n)d之间的整数。") % {"n": SEATS_MAX}})
    for group in ParticipantGroup.values:
        count = seats.get(group, 0)
        if count:
            HearingQuota.objects.update_or_create(hearing=hearing, group=group,
                                                  defaults={"seats": count})
        else:
            HearingQuota.objects.filter(hearing=hearing, group=group).delete()
    _audit(actor, AuditEventType.HEARING_CHANGED, hearing,
           {"fields": ["quotas"], "quotas": {g: c for g, c in seats.items() if c}})
    return list(HearingQuota.objects.filter(hearing=hearing).order_by("group"))


@transaction.atomic
def hearing_notice(*, hearing: Hearing, actor: User, now: datetime | None = None) -> Hearing:
    """Publish the notice: the hearing becomes public and takes registrations and comments.
    Needs the draft (at least one passage), at least one group with seats, and dates still
    ahead in a coherent order."""
    moment = now or timezone.now()
    _organiser(actor, hearing)
    current = _locked(hearing)
    _refuse_status(current, [HearingStatus.DRAFT], _("该听证公告已发布。"))
    if not current.passages.exists():
        raise RuleViolation({"passages": _("发布公告前请先录入草案内容。")})
    if not current.quotas.filter(seats__gt=0).exists():
        raise RuleViolation({"quotas": _("发布公告前请先设置各类参加人名额。")})
    if not current.seed_source.strip():
        raise RuleViolation({"seed_source": _("发布公告前请写明抽签种子的来源(报名截止后公开产生的"
                                              "随机数,如某日福利彩票开奖号码)。")})
    if current.registration_closes_at <= moment or current.comments_close_at <= moment:
        raise RuleViolation({"registration_closes_at": _("报名截止和意见征集截止时间须晚于现在。")})
    _refuse_incoherent_dates(current.starts_at, current.registration_closes_at,
                             current.comments_close_at)
    Hearing.objects.filter(pk=hearing.pk).update(status=HearingStatus.NOTICED,
                                                 noticed_at=moment)
    hearing.refresh_from_db()
    _audit(actor, AuditEventType.HEARING_NOTICED, hearing,
           {"passages": current.passages.count(),
            "quotas": dict(current.quotas.values_list("group", "seats"))})
    return hearing


# --- registration -----------------------------------------------------------------------------

@transaction.atomic
def registration_submit(*, hearing: Hearing, data: RegistrationInput,
                        actor: User | None, now: datetime | None = None) -> Registration:
    """A registration to take part: from the public page (`actor` None) or entered at the
    desk by an organiser (a call or a visit; source "desk"). Only while the notice stands
    and before the deadline; one per phone and hearing; only for a group with seats."""
    moment = now or timezone.now()
    if actor is not None:
        _organiser(actor, hearing)
    current = _locked(hearing)
    if current.status not in (HearingStatus.NOTICED,) \
            or moment >= current.registration_closes_at:
        raise RuleViolation(_("该听证会现在不接受报名。"))
    if data.group not in ParticipantGroup.values \
            or not current.quotas.filter(group=data.group, seats__gt=0).exists():
        raise ValidationError({"group": _("请选择本次听证设有名额的参加人类别。")})
    if data.position not in Position.values:
        raise ValidationError({"position": _("请选择您的基本观点。")})
    name = _field_text(Registration, "name", data.name)
    affiliation = _field_text(Registration, "affiliation", data.affiliation, required=False)
    statement = _text(data.statement, "statement", _("发言要点"), STATEMENT_MAX, required=False)
    digits = normalize_phone(data.phone)
    if not digits:
        raise ValidationError({"phone": _("电话号码无效。%(rule)s。") % {"rule": PHONE_RULE}})
    sealed = seal_phone(digits)
    if Registration.objects.filter(hearing=hearing, phone_hash=sealed.hash) \
            .exclude(status=RegistrationStatus.WITHDRAWN).exists():
        raise RuleViolation({"phone": _("该电话号码已报名本次听证会。")})
    number = (Registration.objects.filter(hearing=hearing).aggregate(n=Max("number"))["n"]
              or 0) + 1
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                hearing=hearing, number=number, group=data.group, name=name,
                phone_encrypted=sealed.encrypted, phone_hash=sealed.hash,
                phone_masked=sealed.masked, affiliation=affiliation, position=data.position,
                wants_to_speak=bool(data.wants_to_speak), statement=statement,
                source="desk" if actor is not None else "online", created_at=moment)
    except IntegrityError as exc:  # (the same phone registered at the same moment)
        raise RuleViolation({"phone": _("该电话号码已报名本次听证会。")}) from exc
    _audit(actor, AuditEventType.HEARING_REGISTERED, hearing,
           {"number": number, "group": data.group, "source": registration.source},
           subject=registration)
    return registration


@transaction.atomic
def registration_withdraw(*, registration: Registration, reason: str,
                          actor: User) -> Registration:
    """Withdraw a registration at the person's request, before registration closes (the
    row stays, marked withdrawn; the phone may register again)."""
    hearing = registration.hearing
    _organiser(actor, hearing)
    current = _locked(hearing)
    _refuse_status(current, [HearingStatus.NOTICED], _("报名已截止,不能再撤回。"))
    reason = _text(reason, "reason", _("撤回原因"), REASON_MAX)
    row = Registration.objects.select_for_update().get(pk=registration.pk)
    if row.status == RegistrationStatus.WITHDRAWN:
        raise RuleViolation(_("该报名已撤回。"))
    Registration.objects.filter(pk=row.pk).update(status=RegistrationStatus.WITHDRAWN)
    registration.refresh_from_db()
    _audit(actor, AuditEventType.HEARING_REGISTRATION_WITHDRAWN, hearing,
           {"number": row.number, "reason": reason}, subject=registration)
    return registration


def frozen_entries(hearing: Hearing) -> list[lots.Entry]:
    """The registrations the draw is made on (every one not withdrawn), as lots entries."""
    rows = (Registration.objects.filter(hearing=hearing)
            .exclude(status=RegistrationStatus.WITHDRAWN)
            .values_list("number", "group", "position", "wants_to_speak"))
    return [lots.Entry(*row) for row in rows]


@transaction.atomic
def registration_close(*, hearing: Hearing, actor: User,
                       now: datetime | None = None) -> Hearing:
    """Close registration once its deadline has passed: the list is frozen and its SHA-256
    recorded (published on the public page before any seed is chosen)."""
    moment = now or timezone.now()
    _organiser(actor, hearing)
    current = _locked(hearing)
    _refuse_status(current, [HearingStatus.NOTICED], _("该听证会不在报名阶段。"))
    if moment < current.registration_closes_at:
        raise RuleViolation(_("报名截止时间未到,不能提前截止报名。"))
    entries = frozen_entries(hearing)
    digest = lots.list_digest(entries)
    Hearing.objects.filter(pk=hearing.pk).update(status=HearingStatus.CLOSED,
                                                 registrations_digest=digest)
    hearing.refresh_from_db()
    _audit(actor, AuditEventType.HEARING_REGISTRATION_CLOSED, hearing,
           {"registrations": len(entries), "digest": digest})
    return hearing


@transaction.atomic
def hearing_draw(*, hearing: Hearing, seed: str, actor: User,
                 now: datetime | None = None) -> Hearing:
    """Draw the lots from `seed` (published with the result), once, after registration
    closed: each registration's key, rank, status (入选 / 候补) and speaking order."""
    moment = now or timezone.now()
    _organiser(actor, hearing)
    current = _locked(hearing)
    _refuse_status(current, [HearingStatus.CLOSED],
                   _("只能在报名截止后、抽签前抽签;抽签只进行一次。"))
    seed = _text(seed, "seed", _("抽签种子"), SEED_MAX)
    if not seed.isprintable():
        raise ValidationError({"seed": _("抽签种子只能包含可见字符。")})
    entries = frozen_entries(hearing)
    if lots.list_digest(entries) != current.registrations_digest:  # (cannot happen: frozen)
        raise RuleViolation(_("报名名单与截止时公布的摘要不一致,不能抽签。"))
    seats = dict(current.quotas.values_list("group", "seats"))
    result = {d.number: d for d in lots.draw(seed, entries, seats)}
    rows = list(Registration.objects.filter(hearing=hearing, number__in=result))
    for row in rows:
        drawn = result[row.number]
        row.draw_key, row.draw_rank = drawn.key, drawn.rank
        row.status, row.speaking_order = drawn.status, drawn.speaking_order
    Registration.objects.bulk_update(rows, ["draw_key", "draw_rank", "status",
                                            "speaking_order"], batch_size=500)
    Hearing.objects.filter(pk=hearing.pk).update(status=HearingStatus.DRAWN, seed=seed,
                                                 drawn_at=moment)
    hearing.refresh_from_db()
    selected = sorted(n for n, d in result.items() if d.status == lots.SELECTED)
    _audit(actor, AuditEventType.HEARING_DRAWN, hearing, {
        "seed": seed, "digest": current.registrations_digest, "selected": selected,
        "waitlisted": sorted(n for n, d in result.items() if d.status == lots.WAITLISTED)})
    return hearing


# --- comments -------------------------------------------------------------------------------

@transaction.atomic
def comment_submit(*, passage: Passage, text: str, author: str = "",
                   actor: User | None, now: datetime | None = None) -> Comment:
    """A comment on one passage of the draft: online from the public page (`actor` None)
    while comments are open, or entered from paper by an organiser (kept even after the
    online close, until the minutes are published). What is published is the text with
    personal data masked under the published rule; what was written is kept sealed."""
    moment = now or timezone.now()
    hearing = passage.hearing
    if actor is not None:
        _organiser(actor, hearing)
    current = _locked(hearing)
    if actor is None:
        if current.status not in ONLINE_COMMENT_STATUSES \
                or moment >= current.comments_close_at:
            raise RuleViolation(_("该草案的网上意见征集已截止。"))
    else:
        _refuse_status(current, [s for s in PUBLIC_STATUSES if s != HearingStatus.PUBLISHED],
                       _("公告发布前或笔录公布后不能录入意见。"))
    written = _text(text, "text", _("意见内容"), COMMENT_MAX)
    masked_text, count = mask_personal_data_counted(written)
    name = refuse_longer_than_field(Comment, "author", (author or "").strip())
    number = (Comment.objects.filter(hearing=hearing).aggregate(n=Max("number"))["n"] or 0) + 1
    comment = Comment.objects.create(
        passage=passage, hearing=hearing, number=number,
        source=CommentSource.PAPER if actor is not None else CommentSource.ONLINE,
        author=mask_name(name), text=masked_text, original_encrypted=encrypt_text(written),
        masked=count > 0, created_at=moment, entered_by=actor)
    _audit(actor, AuditEventType.HEARING_COMMENTED, hearing,
           {"number": number, "passage": passage.number, "source": comment.source,
            "masked": count}, subject=comment)
    return comment


@transaction.atomic
def comment_dispose(*, comment: Comment, disposition: str, reason: str,
                    actor: User, now: datetime | None = None) -> Comment:
    """The published answer to a comment: 采纳, or 部分采纳 / 未采纳 with the reason. May be
    changed until the minutes are published (each change audited)."""
    moment = now or timezone.now()
    hearing = comment.hearing
    _organiser(actor, hearing)
    current = _locked(hearing)
    _refuse_status(current, [s for s in PUBLIC_STATUSES if s != HearingStatus.PUBLISHED],
                   _("笔录公布后意见处理结果不能再修改。"))
    if disposition not in Disposition.values:
        raise ValidationError({"disposition": _("请选择处理结果。")})
    reason = _text(reason, "reason", _("理由"), REASON_MAX,
                   required=disposition != Disposition.ADOPTED)
    before = Comment.objects.filter(pk=comment.pk).values_list("disposition", flat=True).get()
    Comment.objects.filter(pk=comment.pk).update(
        disposition=disposition, disposition_reason=reason, disposed_at=moment,
        disposed_by=actor)
    comment.refresh_from_db()
    _audit(actor, AuditEventType.HEARING_COMMENT_DISPOSED, hearing,
           {"number": comment.number, "disposition": disposition, "before": before},
           subject=comment)
    return comment


# --- the hearing, its minutes, publication ---------------------------------------------------

@transaction.atomic
def hearing_held(*, hearing: Hearing, chair: str, minutes: str, actor: User,
                 now: datetime | None = None) -> Hearing:
    """Record that the hearing was held: its chair and the minutes. The minutes may be
    corrected until the chair signs them."""
    moment = now or timezone.now()
    _organiser(actor, hearing)
    current = _locked(hearing)
    if current.status == HearingStatus.HELD and current.minutes_signed_at is not None:
        raise RuleViolation(_("笔录已签字,不能再修改。"))
    _refuse_status(current, [HearingStatus.DRAWN, HearingStatus.HELD],
                   _("抽签确定参加人后才能记录听证会。"))
    if moment < current.starts_at:
        raise RuleViolation(_("听证会举行时间未到,不能记录笔录。"))
    chair = _field_text(Hearing, "chair", chair)
    minutes = _text(minutes, "minutes", _("听证笔录"), MINUTES_MAX)
    Hearing.objects.filter(pk=hearing.pk).update(status=HearingStatus.HELD, chair=chair,
                                                 minutes=minutes)
    hearing.refresh_from_db()
    _audit(actor, AuditEventType.HEARING_HELD, hearing,
           {"chair": chair, "corrected": current.status == HearingStatus.HELD})
    return hearing


@transaction.atomic
def minutes_sign(*, hearing: Hearing, signed_by: str, actor: User,
                 now: datetime | None = None) -> Hearing:
    """The chair signs the minutes off (their name as written in the record)."""
    moment = now or timezone.now()
    _organiser(actor, hearing)
    current = _locked(hearing)
    _refuse_status(current, [HearingStatus.HELD], _("听证会举行并记录笔录后才能签字。"))
    if current.minutes_signed_at is not None:
        raise RuleViolation(_("笔录已签字。"))
    signed_by = _field_text(Hearing, "minutes_signed_by", signed_by)
    if signed_by != current.chair:
        raise RuleViolation({"minutes_signed_by": _("笔录须由主持人(%(chair)s)签字。")
                             % {"chair": current.chair}})
    Hearing.objects.filter(pk=hearing.pk).update(minutes_signed_by=signed_by,
                                                 minutes_signed_at=moment)
    hearing.refresh_from_db()
    _audit(actor, AuditEventType.HEARING_MINUTES_SIGNED, hearing, {"signed_by": signed_by})
    return hearing


@transaction.atomic
def hearing_publish(*, hearing: Hearing, actor: User,
                    now: datetime | None = None) -> Hearing:
    """Publish the signed minutes with every comment's disposition. Refused while a comment
    has none. When the matter's assessment is open, the hearing is recorded among its
    consultation activities."""
    moment = now or timezone.now()
    _organiser(actor, hearing)
    current = _locked(hearing)
    _refuse_status(current, [HearingStatus.HELD], _("听证会举行后才能公布笔录。"))
    if current.minutes_signed_at is None:
        raise RuleViolation(_("笔录须经主持人签字后才能公布。"))
    pending = Comment.objects.filter(hearing=hearing, disposition="").count()
    if pending:
        raise RuleViolation(_("还有%(n)d条意见没有处理结果,全部答复后才能公布。") % {"n": pending})
    Hearing.objects.filter(pk=hearing.pk).update(status=HearingStatus.PUBLISHED,
                                                 published_at=moment)
    hearing.refresh_from_db()
    assessment = (Assessment.objects.filter(matter_id=hearing.matter_id,
                                            status=AssessmentStatus.OPEN)
                  .order_by("-round").first())
    activity = None
    if assessment is not None:
        participants = Registration.objects.filter(
            hearing=hearing, status=RegistrationStatus.SELECTED).count()
        comments = Comment.objects.filter(hearing=hearing).count()
        activity = ConsultationActivity.objects.create(
            assessment=assessment, kind=ActivityKind.HEARING,
            held_on=timezone.localdate(hearing.starts_at), place=hearing.place[:120],
            participants=participants, hearing=hearing,
            record=_("听证会《%(title)s》,主持人%(chair)s;收到草案意见%(n)d条,均已答复;"
                     "笔录已公布。") % {"title": hearing.title, "chair": hearing.chair,
                                 "n": comments})
    _audit(actor, AuditEventType.HEARING_PUBLISHED, hearing,
           {"activity": activity.pk if activity else None})
    return hearing


@transaction.atomic
def registration_reveal_phone(*, registration: Registration, reason: str,
                              actor: User) -> str:
    """A registrant's phone in clear, for an organiser who must call them (e.g. to confirm
    a selected participant): the reason is recorded in the audit log."""
    _organiser(actor, registration.hearing)
    reason = _text(reason, "reason", _("查看原因"), REASON_MAX)
    _audit(actor, AuditEventType.HEARING_PARTICULAR_REVEALED, registration.hearing,
           {"number": registration.number, "reason": reason}, subject=registration)
    return unseal(registration.phone_encrypted)
