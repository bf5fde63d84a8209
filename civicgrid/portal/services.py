"""Every write the resident portal makes: a report (through `case_intake`) and a rating.

Residents have no account. A report is `case_intake(channel="portal", actor=None)`; a
rating acts as `RESIDENT_ACTOR`, the workflow's *resident* actor kind, which may perform the
follow-up (回访) and nothing else.

Who may rate: the status link (tracking code + the phone's last four digits) shows the
status and nothing more. A rating needs stronger proof that the rater is the applicant
(`RatingProof`): the signed rating link sent by text message to the applicant's phone, or
the applicant's full phone number. The rule holds for every rating, whether or not it
becomes the follow-up: one rule is simpler to explain and to test, and a rating on a
closed case is still shown to staff as the resident's opinion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.actors import RESIDENT_ACTOR
from civicgrid.areas.coords import CoordinateSystem
from civicgrid.areas.models import Area
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases.inputs import FollowUpInput, PartyInput
from civicgrid.cases.models import Case, CaseKind, Category, Channel, Party, PartyRole, Status
from civicgrid.cases.services import (
    case_follow_up,
    case_intake,
    case_note_rating,
    party_search_hashes,
    validate_uploads,
)
from civicgrid.core.crypto import decrypt_text
from civicgrid.core.tracking import format_tracking_code
from civicgrid.notices.sms import sms_send
from civicgrid.portal.models import ResidentRating

# Emergencies need 110/119/120 now, not a web form; petitions (信访) have their own
# statutory channel and deadlines (信访工作条例), so the portal offers neither.
PORTAL_KINDS = (CaseKind.DISPUTE, CaseKind.SERVICE, CaseKind.HAZARD)
MAX_PHOTOS = 3
RATEABLE_STATUSES = (Status.RESOLVED, Status.VERIFIED, Status.FOLLOWED_UP, Status.CLOSED)
ANONYMOUS_NAME = "匿名群众"  # stored as the applicant's name when only a phone is given
RATING_LINK_SALT = "civicgrid.portal.rate"  # noqa: S105 (a signing salt, not a secret)


def portal_categories() -> QuerySet[Category]:
    """Leaf categories a resident may report under."""
    return (Category.objects.filter(active=True, children__isnull=True, kind__in=PORTAL_KINDS)
            .select_related("parent").order_by("code"))


def portal_report(
    *,
    category: Category,
    description: str,
    attributes: Mapping[str, object],
    area: Area | None = None,
    lng: float | None = None,
    lat: float | None = None,
    coordinate_system: CoordinateSystem | str = CoordinateSystem.WGS84,
    address: str = "",
    name: str = "",
    phone: str = "",
    photos: Sequence[UploadedFile[bytes]] = (),
) -> Case:
    """Register a resident's report: portal categories only, at most three photos (images
    only, each ≤ 10 MB), the applicant only when a name or phone was given. The point is in
    `coordinate_system` (case_intake converts it to WGS 84)."""
    if not portal_categories().filter(pk=category.pk).exists():
        raise ValidationError({"category": _("该分类不能在网上反映,请选择其他分类。")})
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"attachments": _("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS}})
    for upload, kind in validate_uploads(list(photos)):
        if not kind.startswith("image/"):
            raise ValidationError({"attachments": _("%(name)s 不是图片,请上传照片。")
                                   % {"name": upload.name}})
    if lng is None and area is None:
        raise ValidationError({"area": _("请在地图上点选位置,或选择所在社区并填写地址。")})
    name, phone = name.strip(), phone.strip()
    parties = []
    if name or phone:
        parties.append(PartyInput(role="applicant", name=name or ANONYMOUS_NAME, phone=phone))
    return case_intake(
        channel=Channel.PORTAL, category=category, description=description, actor=None,
        area=area if lng is None else None, lng=lng, lat=lat,
        coordinate_system=coordinate_system, address=address,
        attributes=attributes, parties=parties, uploads=photos)


# --- proof for a rating ---------------------------------------------------------------------

@dataclass(frozen=True)
class RatingProof:
    """What the rater showed besides the status link: the rating link sent to the
    applicant's phone (its signed token), or the applicant's full phone number."""

    link: str = ""
    phone: str = ""


class ProofRefused(ValidationError):
    """The proof does not show that the rater is the applicant (a wrong phone number, or a
    rating link of another case or out of date). Views count these as guesses."""


def rating_link_token(case: Case) -> str:
    """The token of the rating link: signed with its own salt, so a status link (which
    only needs the last four digits) is never a rating link."""
    return signing.dumps(case.pk, salt=RATING_LINK_SALT, compress=True)


def case_pk_from_rating_link(token: str) -> int | None:
    try:
        pk = signing.loads(token, salt=RATING_LINK_SALT,
                           max_age=settings.PORTAL_RATING_LINK_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return pk if isinstance(pk, int) else None


def _applicant_phones(case: Case) -> QuerySet[Party]:
    return Party.objects.filter(case=case, role=PartyRole.APPLICANT).exclude(phone_hash="")


def _check_proof(case: Case, proof: RatingProof) -> None:
    if proof.link:
        if case_pk_from_rating_link(proof.link) != case.pk:
            raise ProofRefused({"proof": _("评价链接无效或已过期,请重新发送评价链接。")})
        return
    if proof.phone.strip():
        phone_hash, _id_hash = party_search_hashes(phone=proof.phone)
        if not phone_hash or not _applicant_phones(case).filter(phone_hash=phone_hash).exists():
            raise ProofRefused({"proof": _("手机号与反映时填写的不一致,请核对。")})
        return
    raise ProofRefused({"proof": _("请填写反映时留的完整手机号,或点击发送到手机的评价链接。")})


@transaction.atomic
def portal_rate(*, case: Case, rating: int, comment: str, source_ip: str | None,
                proof: RatingProof) -> Case:
    """The resident rates the result, once, after proving to be the applicant (`proof`).
    A case waiting for its follow-up (待回访) is followed up by the resident with this
    satisfaction; a case already followed up or closed keeps the staff follow-up and the
    rating goes on the timeline."""
    _check_proof(case, proof)
    if rating not in (1, 2, 3, 4, 5):
        raise ValidationError({"rating": _("请选择1至5星。")})
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError({"comment": _("意见请不超过500字。")})
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status not in RATEABLE_STATUSES:
        raise ValidationError({"rating": _("事件办结后才能评价。")})
    if ResidentRating.objects.filter(case=case).exists():
        raise ValidationError({"rating": _("您已评价过该事件,感谢您的反馈。")})
    follows_up = case.status == Status.VERIFIED
    try:
        with transaction.atomic():
            ResidentRating.objects.create(case=case, rating=rating, comment=comment,
                                          created_at=timezone.now(),
                                          became_follow_up=follows_up)
    except IntegrityError as exc:  # a second tab rated at the same moment
        raise ValidationError({"rating": _("您已评价过该事件,感谢您的反馈。")}) from exc
    if follows_up:
        case_follow_up(case=case, actor=RESIDENT_ACTOR, expected_version=case.version,
                       data=FollowUpInput(satisfaction=rating, note=comment))
    else:
        case_note_rating(case=case, satisfaction=rating, comment=comment)
    audit_record(actor=None, username="resident", event_type=AuditEventType.CASE_RESIDENT_RATING,
                 subject=case, source_ip=source_ip,
                 details={"satisfaction": rating, "follow_up": follows_up,
                          "proof": "link" if proof.link else "phone"})
    return case


def portal_send_rating_link(*, case: Case, base_url: str,
                            source_ip: str | None = None) -> bool:
    """Text the rating link to the applicant's phone, after the caller's transaction
    commits, and audit it (who asked — the resident from an address, or the system when
    the case reached 待回访 — never the number). False (nothing sent) when the case has no
    applicant phone or is not rateable (yet, or any more). `base_url` is the portal's
    address as residents reach it (settings.PORTAL_PUBLIC_URL)."""
    if case.status not in RATEABLE_STATUSES or ResidentRating.objects.filter(case=case).exists():
        return False
    applicant = _applicant_phones(case).exclude(phone_encrypted="").order_by("id").first()
    if applicant is None:
        return False
    phone = decrypt_text(applicant.phone_encrypted)
    url = base_url.rstrip("/") + reverse("portal:status", args=[rating_link_token(case)])
    text = _("您反映的事项(查询码 %(code)s)已办理,请评价办理结果:%(url)s") % {
        "code": format_tracking_code(case.tracking_code), "url": url}
    audit_record(actor=None, username="resident" if source_ip else "system",
                 event_type=AuditEventType.CASE_RATING_LINK_SENT, subject=case,
                 source_ip=source_ip, details={"requested": source_ip is not None})
    transaction.on_commit(lambda: sms_send(phone, text))
    return True


def rating_link_on_verified(before: Case | None, after: Case) -> None:
    """`cases.hooks.case_changed` receiver: when a portal case reaches 待回访 (VERIFIED),
    text the applicant the rating link (only when PORTAL_PUBLIC_URL says where the portal
    is; otherwise the resident asks for the link on the status page)."""
    if (before is None or before.status == Status.VERIFIED or after.status != Status.VERIFIED
            or after.channel != Channel.PORTAL or not settings.PORTAL_PUBLIC_URL):
        return
    portal_send_rating_link(case=after, base_url=settings.PORTAL_PUBLIC_URL)
