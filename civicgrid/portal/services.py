"""Every write the resident portal makes: a report (through `case_intake`) and a rating.

Residents have no account. A report is `case_intake(channel="portal", actor=None)`; a
rating acts as `RESIDENT_ACTOR`, the workflow's *resident* actor kind, which may perform the
follow-up (回访) and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.actors import RESIDENT_ACTOR
from civicgrid.areas.models import Area
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases.inputs import FollowUpInput, PartyInput
from civicgrid.cases.models import Case, CaseKind, Category, Channel, Status
from civicgrid.cases.services import (
    case_follow_up,
    case_intake,
    case_note_rating,
    validate_uploads,
)
from civicgrid.portal.models import ResidentRating

# Emergencies need 110/119/120 now, not a web form; petitions (信访) have their own
# statutory channel and deadlines (信访工作条例), so the portal offers neither.
PORTAL_KINDS = (CaseKind.DISPUTE, CaseKind.SERVICE, CaseKind.HAZARD)
MAX_PHOTOS = 3
RATEABLE_STATUSES = (Status.RESOLVED, Status.VERIFIED, Status.FOLLOWED_UP, Status.CLOSED)
ANONYMOUS_NAME = "匿名群众"  # stored as the applicant's name when only a phone is given


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
    address: str = "",
    name: str = "",
    phone: str = "",
    photos: Sequence[UploadedFile[bytes]] = (),
) -> Case:
    """Register a resident's report: portal categories only, at most three photos (images
    only, each ≤ 10 MB), the applicant only when a name or phone was given."""
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
        area=area if lng is None else None, lng=lng, lat=lat, address=address,
        attributes=attributes, parties=parties, uploads=photos)


@transaction.atomic
def portal_rate(*, case: Case, rating: int, comment: str, source_ip: str | None) -> Case:
    """The resident rates the result, once. A case waiting for its follow-up (待回访) is
    followed up by the resident with this satisfaction; a case already followed up or
    closed keeps the staff follow-up and the rating goes on the timeline."""
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
                 details={"satisfaction": rating, "follow_up": follows_up})
    return case
