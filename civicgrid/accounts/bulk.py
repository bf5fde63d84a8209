"""Creating many user accounts from a spreadsheet (issue 13, point 1).

The table is read by `civicgrid.core.tables.table_read`; `users_import_rows` maps its
columns (Chinese headers, English aliases) to fields. `users_import_preview` checks every
row and writes nothing; `users_import_apply` refuses the whole file if any row has an
error, and otherwise creates every account through `user_onboard` — the same service as
the single-user page, with its guards and audit entries — in one transaction, followed by
one `user.imported` entry for the file (count, SHA-256, usernames).

The accounts are written one by one, not with `bulk_create` (CONVENTIONS "Bulk work
streams"): on purpose, so that each goes through the one write path with its guards and
audit entries; a file is at most `MAX_IMPORT_ROWS` people, and the cost per row is the
password hash. The preview reads everything it checks against once per file.

Privileged roles (administrator, auditor) are refused here: they need a second
administrator's approval (三员分立), which a bulk import must not side-step; such a person
is created on the single-user page and the role requested there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import EXCLUSIVE_ROLES, PRIVILEGED_ROLES, Role
from civicgrid.accounts.services import Onboarded, user_onboard
from civicgrid.areas.models import Area, Level, PositionType
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.scope import get_scope, user_can
from civicgrid.core.tables import Table, header_key
from civicgrid.core.xlsx import cell_text, column_widths, header_row, workbook_bytes
from civicgrid.units.models import Unit

MAX_IMPORT_ROWS = 500

# field → the headers that name it (the first is what the template writes).
COLUMNS: dict[str, tuple[str, ...]] = {
    "username": ("用户名", "账号", "username"),
    "display_name": ("姓名", "display_name", "display name", "name"),
    "roles": ("角色", "roles", "role"),
    "areas": ("管辖区域", "areas", "area_codes", "jurisdiction"),
    "units": ("单位", "units", "unit"),
    "grid": ("网格", "grid"),
    "position": ("岗位", "position"),
}
REQUIRED = ("username", "display_name", "roles")
SEPARATORS = re.compile(r"[,,、;;\n]+")

ImportRow = tuple[int, dict[str, str]]  # (row number in the file, {field: text})


@dataclass
class RowResult:
    """One row as the preview shows it: what was understood, and what is wrong."""

    number: int
    username: str
    display_name: str
    roles: list[str] = field(default_factory=list)
    area_codes: list[str] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    grid: Area | None = None
    position: PositionType | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in self.roles]


@dataclass(frozen=True)
class Imported:
    accounts: list[Onboarded]


def users_import_template() -> bytes:
    """The workbook to fill in: the header row and one example row, then the roles (code,
    Chinese, English) and the grid positions that the cells may name."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = str(_("人员"))
    header_row(sheet, [aliases[0] for aliases in COLUMNS.values()])
    sheet.append([cell_text(v) for v in (
        "zhang_wei", "张伟", str(Role.GRID_WORKER.label), "", "", "320602001001001",
        "grid_worker")])
    column_widths(sheet, [18, 12, 24, 28, 28, 20, 14])
    roles = book.create_sheet(str(_("角色")))
    header_row(roles, [str(_("代码")), "中文", "English"])
    for role in Role:
        with translation.override("zh-hans"):
            chinese = str(role.label)
        with translation.override("en"):
            english = str(role.label)
        note = str(_("(不能批量创建)")) if role in PRIVILEGED_ROLES else ""
        roles.append([role.value, chinese + note, english])
    column_widths(roles, [16, 36, 36])
    positions = book.create_sheet(str(_("岗位")))
    header_row(positions, [str(_("代码")), str(_("名称"))])
    for position in PositionType.objects.order_by("code"):
        positions.append([cell_text(position.code), cell_text(position.display_name())])
    column_widths(positions, [20, 30])
    return workbook_bytes(book)


def users_import_rows(table: Table) -> list[ImportRow]:
    """The table's rows as {field: text}; refuses unknown, missing or repeated columns
    (a mistyped header would silently drop what it holds)."""
    lookup = {header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}
    unknown = [h for h in table.header if h not in lookup]
    if unknown:
        raise ValidationError(_("无法识别的列:%(names)s。可用的列:%(known)s。") % {
            "names": "、".join(unknown), "known": "、".join(a[0] for a in COLUMNS.values())})
    fields = [lookup[h] for h in table.header]
    repeated = sorted({f for f in fields if fields.count(f) > 1})
    if repeated:
        raise ValidationError(_("同一项填了多列:%(names)s。") % {
            "names": "、".join(COLUMNS[f][0] for f in repeated)})
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in fields]
    if missing:
        raise ValidationError(_("缺少必填的列:%(names)s。") % {"names": "、".join(missing)})
    return [(number, {f: v.strip() for f, v in zip(fields, values, strict=True)})
            for number, values in table.rows]


def _tokens(text: str) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in SEPARATORS.split(text) if t.strip()))


def _role_names() -> dict[str, str]:
    """Each way of naming a role (code, Chinese label, English label), case-folded."""
    names: dict[str, str] = {}
    for role in Role:
        names[role.value.casefold()] = role.value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names[str(role.label).casefold()] = role.value
    return names


class _Lookups:
    """What the rows may name, read once per file, within the actor's scope."""

    def __init__(self, actor: User, rows: Sequence[ImportRow]) -> None:
        scope = get_scope(actor)
        wanted_areas = {c for _n, r in rows
                        for c in _tokens(r.get("areas", "")) + _tokens(r.get("grid", ""))}
        self.areas = {
            a.code: a for a in Area.objects.restrict(actor, "view").filter(
                code__in=wanted_areas,
                level__in=[Level.COUNTY, Level.STREET, Level.COMMUNITY, Level.GRID])
            if scope.covers_code(a.code)}
        units = list(Unit.objects.restrict(actor, "view"))
        self.units_by_code = {u.code.casefold(): u for u in units}
        self.units_by_name: dict[str, list[Unit]] = {}
        for unit in units:
            self.units_by_name.setdefault(unit.name.casefold(), []).append(unit)
        self.positions = {p.code.casefold(): p for p in PositionType.objects.all()}
        self.roles = _role_names()
        lowered = {r.get("username", "").casefold() for _n, r in rows} - {""}
        self.taken = set(User.objects.annotate(low=Lower("username"))
                         .filter(low__in=lowered).values_list("low", flat=True))


def _check_row(number: int, values: Mapping[str, str], found: _Lookups,
               seen: dict[str, int]) -> RowResult:
    row = RowResult(number=number, username=values.get("username", ""),
                    display_name=values.get("display_name", ""))
    errors = row.errors
    # account
    if not row.username:
        errors.append(_("请填写用户名。"))
    else:
        try:
            User.username_validator(row.username)
        except ValidationError:
            errors.append(_("用户名只能包含字母、数字和 @ . + - _。"))
        if len(row.username) > 150:
            errors.append(_("用户名过长。"))
        key = row.username.casefold()
        if key in found.taken:
            errors.append(_("用户名 %(name)s 已存在。") % {"name": row.username})
        if key in seen:
            errors.append(_("用户名与第 %(row)s 行重复。") % {"row": seen[key]})
        else:
            seen[key] = number
    if not row.display_name:
        errors.append(_("请填写姓名。"))
    elif len(row.display_name) > 50:
        errors.append(_("姓名过长(最多 50 个字)。"))
    # roles
    for token in _tokens(values.get("roles", "")):
        code = found.roles.get(token.casefold())
        if code is None:
            errors.append(_("未知角色:%(role)s") % {"role": token})
        elif code in PRIVILEGED_ROLES:
            errors.append(_("%(role)s 角色不能批量创建(三员分立):请在“新建用户”页面创建账号,"
                            "再提交账号变更申请,由另一名管理员批准。")
                          % {"role": Role(code).label})
        elif code not in row.roles:
            row.roles.append(code)
    if not _tokens(values.get("roles", "")):
        errors.append(_("请填写角色。"))
    for exclusive in EXCLUSIVE_ROLES:
        if exclusive <= set(row.roles):
            errors.append(_("三员分立:%(roles)s 不能由同一人兼任。") % {
                "roles": "、".join(str(Role(r).label) for r in sorted(exclusive))})
    # jurisdiction, units, grid
    for code in _tokens(values.get("areas", "")):
        if code in found.areas:
            row.area_codes.append(code)
        else:
            errors.append(_("区域 %(code)s 不存在或不在您的管辖范围内。") % {"code": code})
    for token in _tokens(values.get("units", "")):
        unit = found.units_by_code.get(token.casefold())
        named = found.units_by_name.get(token.casefold(), [])
        if unit is None and len(named) == 1:
            unit = named[0]
        if unit is None:
            errors.append(_("单位 %(unit)s 不存在,或有多个同名单位(请填写单位代码)。")
                          % {"unit": token})
        elif unit not in row.units:
            row.units.append(unit)
    grid_code = values.get("grid", "")
    if grid_code:
        grid = found.areas.get(grid_code)
        if grid is None or grid.level != Level.GRID:
            errors.append(_("网格 %(code)s 不存在或不在您的管辖范围内。") % {"code": grid_code})
        elif row.area_codes and not any(grid.code.startswith(c) for c in row.area_codes):
            errors.append(_("网格 %(grid)s 不在该人员的管辖区域内。") % {"grid": grid.name})
        else:
            row.grid = grid
    position_code = values.get("position", "")
    if position_code:
        row.position = found.positions.get(position_code.casefold())
        if row.position is None:
            errors.append(_("未知岗位:%(code)s") % {"code": position_code})
        elif not grid_code:
            errors.append(_("填写了岗位,但没有填写网格。"))
    return row


def users_import_preview(*, rows: Sequence[ImportRow], actor: User) -> list[RowResult]:
    """Check every row, as `users_import_apply` would; writes nothing."""
    if not user_can(actor, User, "add"):
        raise PermissionDenied
    if not rows:
        raise ValidationError(_("文件中没有数据行。"))
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationError(_("行数过多:每次最多 %(n)s 行数据。") % {"n": MAX_IMPORT_ROWS})
    found = _Lookups(actor, rows)
    seen: dict[str, int] = {}
    return [_check_row(number, values, found, seen) for number, values in rows]


def users_import_apply(*, rows: Sequence[ImportRow], actor: User, sha256: str = "") -> Imported:
    """Create every account of the file, or none: any row with an error refuses the file.
    Each account gets a one-time password (returned, stored nowhere)."""
    checked = users_import_preview(rows=rows, actor=actor)
    bad = [r.number for r in checked if r.errors]
    if bad:
        raise ValidationError(_("有 %(n)s 行有错误(第 %(rows)s 行),未创建任何账号。") % {
            "n": len(bad), "rows": "、".join(str(n) for n in bad[:20])})
    with transaction.atomic():
        accounts = [
            user_onboard(username=r.username, display_name=r.display_name, password=None,
                         roles=r.roles, area_codes=r.area_codes, units=r.units, grid=r.grid,
                         position=r.position, actor=actor)
            for r in checked
        ]
        with translation.override(settings.LANGUAGE_CODE):  # the record's language (ADR 0009)
            subject = _("%(n)s 个账号") % {"n": len(accounts)}
        audit_record(
            actor=actor, event_type=AuditEventType.USER_IMPORTED,
            subject_type="accounts.user", subject_repr=subject,
            details={"count": len(accounts), "sha256": sha256,
                     "usernames": [a.user.username for a in accounts]},
        )
    return Imported(accounts)
