"""Every write of an import: upload, check (the dry run), apply, undo, discard, and the
retention of the original files (docs/registry.md, "Import").

The pipeline streams: rows are read, cleaned and checked a batch at a time and staged with
COPY on PostgreSQL (batched inserts on SQLite); applying and undoing go a batch at a time,
each in its own short transaction (no lock is held across the whole file), so memory and
lock time stay flat whatever the file's size. The long steps run as jobs (`tasks.py`): Celery
in production, a thread in the embedded set-up, inline in tests and in `run_due_jobs`
for the retention.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO, Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.errors import RuleViolation
from civicgrid.core.scope import get_scope, user_can
from civicgrid.imports.bulk import insert_many
from civicgrid.imports.files import (
    MAX_CELL,
    MAX_COLUMNS,
    FileUnreadable,
    delete_stored,
    open_rows,
    store_encrypted,
    sweep_reading_copies,
)
from civicgrid.imports.models import (
    ImportChange,
    ImportMode,
    ImportRun,
    ImportStatus,
    Outcome,
    StagedRow,
)
from civicgrid.imports.policy import category_header, excluded_kind, forbidden_header
from civicgrid.imports.profiles import PROFILES, Profile, field_for
from civicgrid.imports.rows import Checked, open_payload, seal_payload

log = logging.getLogger(__name__)

BATCH = 1000
MAX_FILE_NAME = 200
STAGED_COLUMNS = ("run_id", "row_number", "outcome", "key_hash", "target_id", "grid_code",
                  "payload", "changes", "reason")


class Importer(Protocol):
    def name_columns(self, titles: dict[str, str]) -> None: ...
    def clean(self, row_number: int, raw: dict[str, str]) -> Any: ...
    def check(self, pending: list[Any]) -> list[Checked]: ...
    def apply(self, rows: list[tuple[int, str, dict[str, Any]]]) -> list[dict[str, Any]]: ...


def importer_for(run: ImportRun, actor: User) -> Importer:
    from civicgrid.imports.buildings import BuildingsImport
    from civicgrid.imports.organisations import OrganisationsImport
    from civicgrid.imports.people import PeopleImport
    from civicgrid.imports.rentals import RentalsImport

    profile = PROFILES[run.profile]
    kinds: dict[str, Callable[[ImportRun, Profile, User], Importer]] = {
        "people": PeopleImport, "organisations": OrganisationsImport,
        "buildings": BuildingsImport, "rentals": RentalsImport}
    return kinds[profile.kind](run, profile, actor)


def _may(actor: User, action: str, area_code: str) -> None:
    if not user_can(actor, ImportRun, action) or not get_scope(actor).covers_code(area_code):
        raise PermissionDenied


def _audit(actor: User, event: AuditEventType, run: ImportRun,
           details: dict[str, object] | None = None) -> None:
    audit_record(actor=actor, event_type=event, subject=run,
                 subject_repr=f"{run.file_name} ({run.pk})",
                 details={"profile": run.profile, "area": run.area_code, **(details or {})})


# --- upload -------------------------------------------------------------------------------

def _too_large() -> str:
    return _("文件超过 %(n)d MB 的上限,请拆分后导入。") % {
        "n": settings.IMPORT_MAX_BYTES // (1024 * 1024)}


def import_upload(*, area: Area, profile: str, mode: str, file_name: str,
                  content: IO[bytes] | Iterable[bytes], actor: User,
                  start: bool = True) -> ImportRun:
    """Keep the file encrypted and register the run; its check starts after the commit
    (`start`). Nothing of the file is read into a table yet."""
    _may(actor, "add", area.code)
    if profile not in PROFILES:
        raise ValidationError({"profile": _("请选择映射方案。")})
    if mode not in ImportMode.values:
        raise ValidationError({"mode": _("请选择导入方式。")})
    name = (file_name or "").replace("\\", "/").split("/")[-1].strip()[:MAX_FILE_NAME]
    if not name:
        raise ValidationError({"file": _("请选择要导入的文件。")})
    size = getattr(content, "size", None)
    if isinstance(size, int) and size > settings.IMPORT_MAX_BYTES:
        raise ValidationError({"file": _too_large()})
    stored = store_encrypted(content, max_bytes=settings.IMPORT_MAX_BYTES)
    if stored.size == 0:
        delete_stored(stored.path)
        raise ValidationError({"file": _("文件是空的。")})
    if stored.size > settings.IMPORT_MAX_BYTES:  # (stopped at the limit: not kept)
        delete_stored(stored.path)
        raise ValidationError({"file": _too_large()})
    with transaction.atomic():
        run = ImportRun.objects.create(
            kind=PROFILES[profile].kind, profile=profile, mode=mode, area=area,
            area_code=area.code, file_name=name, file_sha256=stored.sha256,
            file_size=stored.size, file_format=stored.file_format, file_path=stored.path,
            created_by=actor)
        _audit(actor, AuditEventType.IMPORT_UPLOADED, run,
               {"file_sha256": stored.sha256, "size": stored.size})
        if start:
            from civicgrid.imports.tasks import schedule

            schedule("check", run.pk)
    return run


# --- check: the dry run ------------------------------------------------------------------

@dataclass
class Header:
    fields: dict[int, str] = field(default_factory=dict)  # column -> field
    dropped: dict[int, str] = field(default_factory=dict)  # column -> header
    categories: list[int] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)  # header -> field


def read_header(cells: list[str], profile: Profile) -> Header:
    header = Header()
    taken: set[str] = set()
    for index, text in enumerate(cells[:MAX_COLUMNS]):
        title = (text or "").strip()
        if not title:
            continue
        if forbidden_header(title):
            header.dropped[index] = title[:60]
            continue
        name = field_for(profile, title)
        if category_header(title) or name == "kind":
            header.categories.append(index)
        if name is None:
            header.unknown.append(title[:60])
        elif name in taken:
            header.repeated.append(title[:60])
        else:
            taken.add(name)
            header.fields[index] = name
            header.titles[title[:60]] = name
    return header


def _claim(run: ImportRun, was: str | tuple[str, ...], now: str, **more: Any) -> bool:
    """Move the run from one status to the next, unless someone else did first."""
    states = (was,) if isinstance(was, str) else was
    return bool(ImportRun.objects.filter(pk=run.pk, status__in=states).update(
        status=now, version=F("version") + 1, **more))


def _fail(run: ImportRun, message: str) -> None:
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.FAILED,
                                               error=message[:500], version=F("version") + 1)


def import_check(run_id: int) -> ImportRun:
    """The job of checking an uploaded run: every row staged with its outcome."""
    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if not _claim(run, ImportStatus.UPLOADED, ImportStatus.CHECKING):
        return run
    try:
        _check(run)
    except (FileUnreadable, RuleViolation, ValidationError) as exc:
        StagedRow.objects.filter(run=run).delete()
        _fail(run, " ".join(exc.messages))
    except Exception as exc:
        # (the type only: a library's message may quote a cell of the file)
        log.error("import %s: check failed (%s)", run.pk, type(exc).__name__)
        _fail(run, _("校验时发生内部错误,请联系管理员。"))
    run.refresh_from_db()
    return run


def _is_blank(cells: list[str]) -> bool:
    return not any((c or "").strip() for c in cells)


def _check(run: ImportRun) -> None:
    profile = PROFILES[run.profile]
    importer = importer_for(run, run.created_by)
    StagedRow.objects.filter(run=run).delete()
    dropped_values: Counter[str] = Counter()
    with open_rows(run.file_path, run.file_format) as (encoding, rows):
        ImportRun.objects.filter(pk=run.pk).update(encoding=encoding)
        header: Header | None = None
        pending: list[Any] = []
        ready: list[Checked] = []
        read = 0
        for number, cells in enumerate(rows, start=1):
            if _is_blank(cells):
                continue
            if header is None:
                header = read_header(cells, profile)
                _refuse_missing(header, profile)
                importer.name_columns(header.titles)
                continue
            read += 1
            for index, title in header.dropped.items():
                if index < len(cells) and (cells[index] or "").strip():
                    dropped_values[title] += 1
            result = _clean_row(importer, header, number, cells)
            (ready if isinstance(result, Checked) else pending).append(result)
            if len(pending) + len(ready) >= BATCH:
                _stage(run, ready + importer.check(pending))
                pending, ready = [], []
                ImportRun.objects.filter(pk=run.pk).update(rows_read=read)
        if header is None:
            raise RuleViolation(_("文件中没有表头行。"))
        _stage(run, ready + importer.check(pending))
    _reject_repeated_keys(run)
    _analyze(StagedRow, rows=read)
    counts = _counts(run)
    if read and counts.get(Outcome.DROPPED, 0) == read:
        StagedRow.objects.filter(run=run).delete()
        delete_stored(run.file_path)
        ImportRun.objects.filter(pk=run.pk).update(file_path="",
                                                   file_deleted_at=timezone.now())
        raise RuleViolation(_("该文件的每一行都属于不予登记的类别(如艾滋病感染者、宗教信仰或"
                              "上访人员名单),整份拒收,文件已删除。"))
    report = {
        "columns": header.titles,
        "unknown_columns": header.unknown, "repeated_columns": header.repeated,
        "dropped_columns": sorted(header.dropped.values()),
        "dropped_values": sum(dropped_values.values()),
        "field_changes": _field_changes(run),
    }
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.CHECKED, rows_read=read, rows_total=read, rows_done=0,
        counts=counts, report=report, checked_at=timezone.now(), version=F("version") + 1)


ANALYZE_AFTER = 10_000  # rows written in bulk after which the planner's statistics are renewed


def _analyze(*models: type[Any], rows: int) -> None:
    """Renew PostgreSQL's statistics of tables a bulk step has just filled: until
    autovacuum comes by, the planner takes a table of a million new rows for a few thousand
    and walks all of them where an index would read a page (the staged rows' keyset
    pages went from 5 ms to 345 ms at a million)."""
    if rows < ANALYZE_AFTER or connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _refuse_missing(header: Header, profile: Profile) -> None:
    have = set(header.fields.values()) | set(profile.defaults)
    missing = [profile.aliases[name][0] for name in profile.required if name not in have]
    if missing:
        raise RuleViolation(_("缺少必需的列:%(columns)s。请检查表头或选择其他映射方案。") % {
            "columns": "、".join(missing)})


def _clean_row(importer: Importer, header: Header, number: int, cells: list[str]) -> Any:
    for index in header.categories:
        if index < len(cells) and excluded_kind(cells[index] or ""):
            return Checked(row_number=number, outcome=Outcome.DROPPED,
                           reason=_("按政策剔除:该行属于不予登记的类别。"))
    raw: dict[str, str] = {}
    for index, name in header.fields.items():
        value = cells[index] if index < len(cells) else ""
        if len(value or "") > MAX_CELL:
            return Checked(row_number=number, outcome=Outcome.REJECTED,
                           reason=_("单元格内容过长(超过 %(n)d 个字符)。") % {"n": MAX_CELL})
        raw[name] = value or ""
    return importer.clean(number, raw)


def _stage(run: ImportRun, checked: list[Checked]) -> None:
    if not checked:
        return
    rows = [(run.pk, c.row_number, c.outcome, c.key_hash, c.target_id, c.grid_code,
             seal_payload(c.values) if c.outcome in (Outcome.NEW, Outcome.CHANGED) else "",
             c.changes, c.reason) for c in checked]
    if connection.vendor == "postgresql":
        import json

        table = StagedRow._meta.db_table
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {table} ({', '.join(STAGED_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row[:7], json.dumps(row[7]), row[8]))
        return
    StagedRow.objects.bulk_create(
        [StagedRow(**dict(zip(STAGED_COLUMNS, row, strict=True))) for row in rows],
        batch_size=BATCH)


def _reject_repeated_keys(run: ImportRun) -> None:
    """A natural key on several rows: the first row stands, the later ones are rejected."""
    from django.db.models import Count, Min

    repeated = (StagedRow.objects.filter(run=run).exclude(key_hash="")
                .exclude(outcome__in=(Outcome.REJECTED, Outcome.DROPPED))
                .values("key_hash").annotate(n=Count("id"), first=Min("row_number"))
                .filter(n__gt=1).order_by())
    for group in repeated.iterator():
        StagedRow.objects.filter(
            run=run, key_hash=group["key_hash"], row_number__gt=group["first"]).update(
            outcome=Outcome.REJECTED, payload="", changes=[],
            reason=_("与第 %(n)d 行是同一记录(证件号码或代码相同),以第 %(n)d 行为准。") % {
                "n": group["first"]})


def _counts(run: ImportRun) -> dict[str, int]:
    from django.db.models import Count

    counts = dict.fromkeys(Outcome.values, 0)
    for row in (StagedRow.objects.filter(run=run).values("outcome")
                .annotate(n=Count("id")).order_by()):
        counts[row["outcome"]] = row["n"]
    return counts


def _field_changes(run: ImportRun) -> dict[str, int]:
    counted: Counter[str] = Counter()
    for changes in (StagedRow.objects.filter(run=run, outcome__in=(
            Outcome.CHANGED, Outcome.EXISTING)).values_list("changes", flat=True)
            .iterator(chunk_size=5000)):
        counted.update(changes)
    return dict(counted)


# --- apply ----------------------------------------------------------------------------------

def import_apply(*, run: ImportRun, actor: User, version: int, start: bool = True) -> ImportRun:
    """Start writing a checked run into the registry (in the background)."""
    _may(actor, "apply", run.area_code)
    if run.status != ImportStatus.CHECKED:
        raise RuleViolation(_("只能导入已校验、待确认的数据。"))
    with transaction.atomic():
        claimed = ImportRun.objects.filter(
            pk=run.pk, status=ImportStatus.CHECKED, version=version).update(
            status=ImportStatus.APPLYING, applied_by=actor, rows_done=0,
            rows_total=run.counts.get(Outcome.NEW, 0) + run.counts.get(Outcome.CHANGED, 0),
            version=F("version") + 1)
        if not claimed:
            raise RuleViolation({"version": _("该导入已被他人处理,请刷新后重试。")})
        if start:
            from civicgrid.imports.tasks import schedule

            schedule("apply", run.pk)
    run.refresh_from_db()
    return run


def _staged_batches(run: ImportRun) -> Iterator[list[StagedRow]]:
    """The rows to write, a batch at a time in file order. Each query walks the run's rows
    in order on (run, row_number) from where the last stopped, leaving out the others: an
    `outcome IN (…)` on the (run, outcome, row_number) index would read every remaining row
    of both outcomes and sort them, once a batch (quadratic at a million rows)."""
    after = 0
    while True:
        window = list(StagedRow.objects.filter(run=run, row_number__gt=after)
                      .order_by("row_number").values_list("row_number", "outcome")[:BATCH * 4])
        if not window:
            return
        wanted = [n for n, outcome in window if outcome in (Outcome.NEW, Outcome.CHANGED)]
        for start in range(0, len(wanted), BATCH):
            numbers = wanted[start:start + BATCH]
            batch = list(StagedRow.objects.filter(run=run, row_number__in=numbers)
                         .exclude(payload="").order_by("row_number"))
            if batch:
                yield batch
        after = window[-1][0]


def apps_model(label: str) -> type[Any]:
    from django.apps import apps

    return apps.get_model(label)


def import_apply_job(run_id: int) -> ImportRun:
    run = ImportRun.objects.select_related("applied_by").get(pk=run_id)
    if run.status != ImportStatus.APPLYING or run.applied_by is None:
        return run
    actor = run.applied_by
    importer = importer_for(run, actor)
    written: Counter[str] = Counter()
    try:
        for batch in _staged_batches(run):
            with transaction.atomic():
                changes = importer.apply(
                    [(r.row_number, r.outcome, open_payload(r.payload)) for r in batch])
                insert_many(ImportChange, [{**c, "run_id": run.pk} for c in changes],
                            now=timezone.now())
                # (written: a job that runs again after a crash skips these rows)
                StagedRow.objects.filter(pk__in=[r.pk for r in batch]).update(payload="")
                for change in changes:
                    written[f"{change['model']}:"
                            f"{'created' if change['created'] else 'updated'}"] += 1
                ImportRun.objects.filter(pk=run.pk).update(rows_done=F("rows_done") + len(batch))
    except Exception as exc:
        log.error("import %s: apply failed (%s)", run.pk, type(exc).__name__)
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else _(
            "导入时发生错误,已写入的部分可以撤销。")
        _fail(run, message)
        run.refresh_from_db()
        return run
    _analyze(ImportChange, *{apps_model(c.split(":")[0]) for c in written}, rows=sum(
        written.values()))
    with transaction.atomic():
        StagedRow.objects.filter(run=run).exclude(payload="").update(payload="")
        conflicts = list(getattr(importer, "conflicts", []))
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.APPLIED, applied_at=timezone.now(),
            report={**run.report, "written": dict(written), "conflicts": conflicts[:1000],
                    "conflicts_total": len(conflicts)}, version=F("version") + 1)
        run.refresh_from_db()
        _audit(actor, AuditEventType.IMPORT_APPLIED, run,
               {"counts": run.counts, "written": dict(written)})
    return run


# --- undo -------------------------------------------------------------------------------------

def import_undo(*, run: ImportRun, actor: User, version: int, start: bool = True) -> ImportRun:
    """Start undoing an applied run (or what a failed one wrote)."""
    _may(actor, "apply", run.area_code)
    if run.status not in (ImportStatus.APPLIED, ImportStatus.FAILED) or not \
            ImportChange.objects.filter(run=run).exists():
        raise RuleViolation(_("只能撤销已导入的数据。"))
    with transaction.atomic():
        claimed = ImportRun.objects.filter(
            pk=run.pk, status=run.status, version=version).update(
            status=ImportStatus.UNDOING, undone_by=actor, rows_done=0,
            rows_total=ImportChange.objects.filter(run=run).count(), version=F("version") + 1)
        if not claimed:
            raise RuleViolation({"version": _("该导入已被他人处理,请刷新后重试。")})
        if start:
            from civicgrid.imports.tasks import schedule

            schedule("undo", run.pk)
    run.refresh_from_db()
    return run


def import_undo_job(run_id: int) -> ImportRun:
    from civicgrid.imports.undo import undo_batch

    run = ImportRun.objects.select_related("undone_by").get(pk=run_id)
    if run.status != ImportStatus.UNDOING or run.undone_by is None:
        return run
    kept: list[dict[str, Any]] = []
    before = None
    while True:
        filters = {"run": run} if before is None else {"run": run, "id__lt": before}
        batch = list(ImportChange.objects.filter(**filters).order_by("-id")[:BATCH])
        if not batch:
            break
        with transaction.atomic():
            kept += undo_batch(batch)
            ImportRun.objects.filter(pk=run.pk).update(rows_done=F("rows_done") + len(batch))
        before = batch[-1].pk
    with transaction.atomic():
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.UNDONE, undone_at=timezone.now(),
            report={**run.report, "kept": kept[:1000], "kept_total": len(kept)},
            version=F("version") + 1)
        run.refresh_from_db()
        _audit(run.undone_by, AuditEventType.IMPORT_UNDONE, run, {"kept": len(kept)})
    return run


# --- discard, retention ---------------------------------------------------------------------

def import_discard(*, run: ImportRun, actor: User, version: int) -> ImportRun:
    """Give up a checked (or failed, nothing written) run: its staged rows and file go."""
    _may(actor, "add", run.area_code)
    if run.status not in (ImportStatus.CHECKED, ImportStatus.FAILED) or \
            ImportChange.objects.filter(run=run).exists():
        raise RuleViolation(_("只能放弃尚未导入的数据。"))
    with transaction.atomic():
        if not ImportRun.objects.filter(pk=run.pk, version=version).update(
                status=ImportStatus.DISCARDED, file_path="", file_deleted_at=timezone.now(),
                version=F("version") + 1):
            raise RuleViolation({"version": _("该导入已被他人处理,请刷新后重试。")})
        StagedRow.objects.filter(run=run).update(payload="")
        _audit(actor, AuditEventType.IMPORT_DISCARDED, run)
        path = run.file_path
        transaction.on_commit(lambda: delete_stored(path))
    run.refresh_from_db()
    return run


@dataclass(frozen=True)
class FilesDeleted:
    files: int
    cutoff: str


def import_files_expire(*, now: Any = None) -> FilesDeleted:
    """Delete the original files of runs older than IMPORT_FILE_RETENTION_DAYS, and their
    staged rows (the row-by-row outcomes); the runs, their counts, reports and what undo
    needs stay in the history."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    old = list(ImportRun.objects.filter(created_at__lt=cutoff).exclude(file_path="")
               .exclude(status__in=(ImportStatus.CHECKING, ImportStatus.APPLYING,
                                    ImportStatus.UNDOING)).values_list("pk", "file_path"))
    for pk, path in old:
        with transaction.atomic():
            ImportRun.objects.filter(pk=pk).update(file_path="",
                                                   file_deleted_at=timezone.now())
            # (a dry run never confirmed is given up with its rows)
            ImportRun.objects.filter(pk=pk, status__in=(
                ImportStatus.UPLOADED, ImportStatus.CHECKED)).update(
                status=ImportStatus.DISCARDED, version=F("version") + 1)
            StagedRow.objects.filter(run_id=pk).delete()
        delete_stored(path)
    sweep_reading_copies()
    # what an import changed of a person whose details the registry's retention removed:
    # their previous values go too (undo keeps such a person as they are: undo.py)
    from civicgrid.registry.models import Person

    ImportChange.objects.filter(
        model="registry.person",
        object_id__in=Person.objects.filter(scrubbed_at__isnull=False).values("pk"),
    ).exclude(before={}).update(before={})
    if old:
        audit_record(actor=None, event_type=AuditEventType.IMPORT_FILES_DELETED,
                     details={"runs": [pk for pk, _p in old]})
    return FilesDeleted(files=len(old), cutoff=cutoff.date().isoformat())


def template_rows(profile: Profile) -> tuple[list[str], list[str]]:
    return [h for h, _s in profile.template], [s for _h, s in profile.template]

