"""The case list as a spreadsheet: what the reader's list shows (their scope, their filters),
parties masked, at most EXPORT_LIMIT rows (the sheet says so when there are more), and every
export audited — who exported which list, how many rows — as PIPL asks of personal data
leaving the system."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from civicgrid.accounts.models import User
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases.models import Case, Party
from civicgrid.core.masking import mask_name
from civicgrid.core.xlsx import cell_text, column_widths, header_row, workbook_bytes

EXPORT_LIMIT = 10_000


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def case_list_export(*, actor: User, qs: QuerySet[Case], query: str, now: datetime,
                     source_ip: str | None = None) -> bytes:
    """`qs` is the reader's list (already restricted to their scope and filtered)."""
    rows = list(qs.select_related("category", "area", "assigned_unit").prefetch_related(
        Prefetch("parties", queryset=Party.objects.order_by("id").only(
            "case_id", "role", "name")))[:EXPORT_LIMIT + 1])
    more = len(rows) > EXPORT_LIMIT
    rows = rows[:EXPORT_LIMIT]
    book = Workbook()
    sheet = book.active
    sheet.title = _("事件清单")
    header_row(sheet, [_("编号"), _("登记时间"), _("来源"), _("分类"), _("发生地"), _("地址"),
                       _("情况"), _("当事人(脱敏)"), _("状态"), _("承办单位"),
                       _("本阶段时限"), _("督办")])
    for case in rows:
        parties = "、".join(f"{mask_name(p.name)}({p.get_role_display()})"
                           for p in case.parties.all())
        sheet.append([cell_text(v) for v in (
            case.number, _local(case.registered_at), case.get_channel_display(),
            case.category.name, case.area.name, case.address, case.description, parties,
            case.get_status_display(),
            case.assigned_unit.name if case.assigned_unit else "",
            _local(case.stage_due_at), case.get_supervision_display() if case.supervision
            else "")])
    if more:
        sheet.append([_("仅导出前 %(n)s 件,请缩小筛选范围后再导出其余部分。")
                      % {"n": f"{EXPORT_LIMIT:,}"}])
    column_widths(sheet, [24, 17, 10, 14, 16, 24, 48, 24, 10, 22, 17, 10])
    audit_record(actor=actor, event_type=AuditEventType.CASE_LIST_EXPORTED,
                 subject_type="cases.case", source_ip=source_ip,
                 details={"rows": len(rows), "truncated": more, "query": query[:500],
                          "at": now.isoformat()})
    return workbook_bytes(book)
