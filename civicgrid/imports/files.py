"""The uploaded file: kept encrypted while the import may need it (and for the retention
period after, `IMPORT_FILE_RETENTION_DAYS`), read back as a stream of rows.

The copy on disk is a sequence of Fernet tokens, each the encryption of up to 1 MiB of the
file, each preceded by its length (4 bytes, big-endian): written and read a chunk at a time,
so memory stays flat whatever the file's size. CSV is read as UTF-8 (with or without a BOM)
when its first 64 KiB decode as UTF-8, otherwise as GB18030 (which includes GBK and
GB2312); XLSX through openpyxl's read-only mode from a temporary plain copy that is removed
as soon as the rows have been read.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import os
import struct
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from civicgrid.core.crypto import decrypt_bytes, encrypt_bytes
from civicgrid.core.errors import RuleViolation

CHUNK = 1024 * 1024
SNIFF = 64 * 1024
MAX_CELL = 1000  # a cell longer than this is refused (no field of the registry is)
MAX_COLUMNS = 200
# (process-wide: never lower what another reader of CSV — core/tables.py — needs)
csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL * 4))


READING_PREFIX = "reading-"


def sweep_reading_copies(*, older_than_seconds: int = 86_400) -> int:
    """Remove plain copies of workbooks being read that a killed worker left behind."""
    import time

    removed = 0
    for path in storage_dir().glob(f"{READING_PREFIX}*"):
        with suppress(FileNotFoundError):
            if time.time() - path.stat().st_mtime > older_than_seconds:
                path.unlink()
                removed += 1
    return removed


def storage_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Stored:
    path: str  # relative to storage_dir()
    sha256: str
    size: int
    file_format: str  # "csv" or "xlsx"


def store_encrypted(source: IO[bytes] | Iterable[bytes], *,
                    max_bytes: int | None = None) -> Stored:
    """Encrypt the upload to disk chunk by chunk; its SHA-256, size and format (XLSX by its
    zip signature, anything else read as CSV). Past `max_bytes` it stops: the size then
    says more than the limit and the caller refuses it."""
    name = f"{uuid.uuid4().hex}.enc"
    digest, size, head = hashlib.sha256(), 0, b""
    chunks = source.chunks(CHUNK) if hasattr(source, "chunks") else (
        iter(lambda: source.read(CHUNK), b"") if hasattr(source, "read") else source)
    with open(storage_dir() / name, "wb") as out:
        for chunk in chunks:
            if not chunk:
                continue
            if len(head) < 8:
                head += chunk[:8]
            digest.update(chunk)
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                break
            token = encrypt_bytes(chunk)
            out.write(struct.pack(">I", len(token)))
            out.write(token)
    return Stored(path=name, sha256=digest.hexdigest(), size=size,
                  file_format="xlsx" if head.startswith(b"PK\x03\x04") else "csv")


def delete_stored(path: str) -> None:
    if path:
        with suppress(FileNotFoundError):
            (storage_dir() / Path(path).name).unlink()


class _Decrypting(io.RawIOBase):
    """The stored file's plain bytes, a chunk at a time."""

    def __init__(self, path: str) -> None:
        self._file = open(storage_dir() / Path(path).name, "rb")  # noqa: SIM115
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bytes:
        size = self._file.read(4)
        if len(size) < 4:
            return b""
        return decrypt_bytes(self._file.read(struct.unpack(">I", size)[0]))

    def readinto(self, target: memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            chunk = self._next_chunk()
            if not chunk:
                return 0
            self._buffer = chunk
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def plain_stream(path: str) -> io.BufferedReader:
    return io.BufferedReader(_Decrypting(path), buffer_size=CHUNK)


def detect_encoding(head: bytes) -> str:
    """"utf-8-sig" when the bytes decode as UTF-8 (a sequence cut at the end allowed),
    otherwise "gb18030"."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


class FileUnreadable(RuleViolation):
    pass


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


MAX_LINE = MAX_CELL * MAX_COLUMNS * 4  # bytes: no row of a registry file comes near


def _lines(stream: io.BufferedReader, encoding: str) -> Iterator[str]:
    """The file's lines as text, decoded one at a time (a line feed is never inside a UTF-8
    or GB18030 character), so that a bad byte is told with its line; a line longer than
    MAX_LINE is refused before it is held."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE)
        if not raw:
            return
        number += 1
        if len(raw) >= MAX_LINE and not raw.endswith(b"\n"):
            raise FileUnreadable(_("第 %(n)d 行过长,无法读取。") % {"n": number})
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError as exc:
            if number == 1:
                raise FileUnreadable(_("无法读取该文件:它不是 UTF-8 或 GB18030 编码的 CSV "
                                       "文本,也不是 Excel(.xlsx)文件。")) from exc
            raise FileUnreadable(_("文件编码不一致:第 %(n)d 行无法按 %(e)s 读取。") % {
                "n": number, "e": encoding.upper().replace("-SIG", "")}) from exc


def _csv_rows(stream: io.BufferedReader) -> tuple[str, Iterator[list[str]]]:
    encoding = detect_encoding(stream.peek(SNIFF)[:SNIFF])
    lines = _lines(stream, encoding)
    header = next(lines, "")
    delimiter = max(",\t;|", key=header.count)
    dialect = csv.excel if delimiter == "," else _dialect(delimiter)

    def rows() -> Iterator[list[str]]:
        reader = csv.reader(itertools.chain([header], lines), dialect)
        try:
            yield from reader
        except csv.Error as exc:
            raise FileUnreadable(_("读到第 %(n)d 行时格式错误,无法继续读取(如引号未闭合或单元格"
                                   "过长)。") % {"n": reader.line_num}) from exc
    return encoding.replace("-sig", ""), rows()


def _dialect(delimiter: str) -> type[csv.Dialect]:
    class Delimited(csv.excel):
        pass

    Delimited.delimiter = delimiter
    return Delimited


@contextmanager
def open_rows(path: str, file_format: str) -> Iterator[tuple[str, Iterator[list[str]]]]:
    """(encoding or "xlsx", the rows as lists of text cells) of the stored file; the header
    is the first non-empty row."""
    if file_format == "xlsx":
        # (beside the encrypted copies, not in the system's temp folder; a copy a killed
        # worker left behind is removed by the daily job: `sweep_reading_copies`)
        with tempfile.NamedTemporaryFile(dir=storage_dir(), prefix=READING_PREFIX,
                                         suffix=".xlsx", delete=False) as plain:
            try:
                with plain_stream(path) as stream:
                    for chunk in iter(lambda: stream.read(CHUNK), b""):
                        plain.write(chunk)
                plain.close()
                yield "xlsx", _xlsx_rows(plain.name)
            finally:
                with suppress(FileNotFoundError):
                    os.unlink(plain.name)
        return
    with plain_stream(path) as stream:
        yield _csv_rows(stream)


MAX_XLSX_UNPACKED = 2 * 1024**3  # bytes, every member unpacked
MAX_XLSX_RATIO = 100  # unpacked ÷ packed: a workbook is 5–20, a zip bomb thousands
MAX_SHARED_STRINGS = 256 * 1024**2  # openpyxl holds this member in memory whole
MAX_XLSX_MEMBERS = 10_000


def _check_workbook(name: str) -> None:
    """Refuse a zip bomb, a non-workbook, or shared strings too large to hold, before
    openpyxl reads a byte of the sheets."""
    try:
        with zipfile.ZipFile(name) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileUnreadable(_("无法读取该 XLSX 文件,请确认文件完整且为 Excel 2007 及以上格式。")
                             ) from exc
    sizes = {m.filename.casefold(): m.file_size for m in members}
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if "xl/workbook.xml" not in sizes:
        raise FileUnreadable(_("无法读取该 XLSX 文件,请确认文件完整且为 Excel 2007 及以上格式。"))
    if (len(members) > MAX_XLSX_MEMBERS or unpacked > MAX_XLSX_UNPACKED
            or unpacked > MAX_XLSX_RATIO * max(packed, 1)):
        raise FileUnreadable(_("该 Excel 文件解压后过大或压缩比异常,已拒绝读取。"))
    if sizes.get("xl/sharedstrings.xml", 0) > MAX_SHARED_STRINGS:
        raise FileUnreadable(_("该 Excel 文件过大,请另存为 CSV(UTF-8)后导入。"))


def _xlsx_rows(name: str) -> Iterator[list[str]]:
    """The first worksheet's rows (a workbook's other sheets are not read)."""
    from openpyxl import load_workbook

    _check_workbook(name)
    try:
        book = load_workbook(name, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 (any malformed part of the workbook)
        raise FileUnreadable(_("无法读取该 XLSX 文件,请确认文件完整且为 Excel 2007 及以上格式。")
                             ) from exc
    try:
        if not book.worksheets:
            raise FileUnreadable(_("工作簿中没有工作表。"))
        sheet = book.worksheets[0]
        try:
            for values in sheet.iter_rows(values_only=True):
                yield [_cell(v) for v in values[:MAX_COLUMNS]]
        except FileUnreadable:
            raise
        except Exception as exc:  # noqa: BLE001 (a malformed sheet, found while streaming)
            raise FileUnreadable(_("读取 XLSX 文件时出错,文件可能已损坏,请重新保存后导入。")
                                 ) from exc
    finally:
        book.close()
