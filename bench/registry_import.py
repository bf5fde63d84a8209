"""The registry import's benchmark (issue 16 point 8; docs/benchmarks.md "Registry import").

`python -m bench.registry_import [--sizes 100000,1000000] [--output FILE]` on a PostgreSQL
server (DATABASE_URL): in a throwaway database, a district of 500 grids with enough
buildings and rooms for the largest size; a GA/T 1749 floating-population file of the
largest size (every person with a valid citizen ID, a phone, and a residence in a room —
one in three renting); then for each size (the first N rows of the file) in a fresh child
process, so that the peak memory is that of the importing process alone:

    upload (encrypted copy) → check (the dry run) → apply → upload again → check again
    (0 changes) → apply again (nothing written)

each step's rows per second, next to a raw `COPY` of the same rows into a bare table, and
the child's peak resident memory. Between sizes the registry's people are emptied.
`make bench` runs it after the city benchmark; `--tiny` (1,000 and 10,000 rows) is part of
`make test`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

COUNTY = "320602"
STREETS, COMMUNITIES, GRIDS = 10, 10, 5  # 500 grids
PEOPLE_PER_ROOM = 3
ROOMS_PER_BUILDING = 24  # 6 floors × 2 units × 2 rooms
HEADER = ["公民身份号码", "姓名", "性别", "民族", "出生日期", "户籍地址行政区划代码", "联系电话",
          "来本地事由", "居住地址", "居住处所", "居住起始日期"]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯健"
    "俊帆帅旭宁龙林欣悦思雨泽轩晨博文瑞嘉怡佳琪梓涵"
)
CHECK = "10X98765432"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def log(message: str) -> None:
    print(f"[bench registry {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr,
          flush=True)


def citizen_id(region: str, born: date, sequence: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


# --- set-up (not measured) --------------------------------------------------------------------

def setup_places(rooms_needed: int) -> list[str]:
    """The district's areas, buildings and rooms, written in bulk; the rooms' standard
    addresses in order (the file's residences)."""
    from civicgrid.areas.models import Area, Level
    from civicgrid.registry.addresses import standard_address
    from civicgrid.registry.figures import figures_rebuild
    from civicgrid.registry.models import Building
    from civicgrid.registry.services import lay_out_rooms

    province = Area.objects.get_or_create(code="32", defaults={
        "name": "江苏省", "level": Level.PROVINCE})[0]
    city = Area.objects.get_or_create(code="3206", defaults={
        "name": "南通市", "level": Level.CITY, "parent": province})[0]
    county = Area.objects.create(code=COUNTY, name="崇川区", level=Level.COUNTY, parent=city)
    grids: list[Area] = []
    for s in range(1, STREETS + 1):
        street = Area.objects.create(code=f"{COUNTY}{s:03d}", name=f"第{s}街道",
                                     level=Level.STREET, parent=county)
        for c in range(1, COMMUNITIES + 1):
            community = Area.objects.create(code=f"{street.code}{c:03d}", name=f"第{c}社区",
                                            level=Level.COMMUNITY, parent=street)
            grids += Area.objects.bulk_create([Area(
                code=f"{community.code}{g:03d}", name=f"第{g}网格", level=Level.GRID,
                parent=community) for g in range(1, GRIDS + 1)])
    per_grid = -(-rooms_needed // (len(grids) * ROOMS_PER_BUILDING))
    buildings = []
    for grid in grids:
        street = f"第{int(grid.code[6:9])}街道"
        for b in range(1, per_grid + 1):
            buildings.append(Building(
                code=f"{grid.code}{b:05d}", grid=grid, grid_code=grid.code,
                road=f"{grid.code[9:]}路",
                house_number=str(b), name=f"{b}幢", floors_above=6, units=2,
                address=standard_address(street=street, road=f"{grid.code[9:]}路",
                                         house_number=str(b), building=f"{b}幢")))
    Building.objects.bulk_create(buildings, batch_size=2000)
    from civicgrid.registry.models import Room

    addresses: list[str] = []
    batch: list[Room] = []
    for building in Building.objects.filter(grid_code__startswith=COUNTY).order_by("code"):
        street = f"第{int(building.grid_code[6:9])}街道"
        for room in lay_out_rooms(building, street, 2):
            batch.append(room)
            addresses.append(room.address)
        if len(batch) >= 5000:
            Room.objects.bulk_create(batch)
            batch = []
    Room.objects.bulk_create(batch)
    figures_rebuild()
    return addresses


def write_file(path: Path, rows: int, addresses: list[str], seed: int) -> None:
    """The GA/T 1749 file: valid IDs (unique), phones, residences spread over the rooms
    (PEOPLE_PER_ROOM a room), every third renting."""
    rng = random.Random(seed)  # noqa: S311 (synthetic data)
    regions = ["320602", "340104", "410105", "510107", "360102", "130102", "420106"]
    start = date(1950, 1, 1)
    used: set[str] = set()
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            while True:
                born = start + timedelta(days=rng.randrange(20000))
                number = citizen_id(rng.choice(regions), born, rng.randrange(1000))
                if number not in used:
                    used.add(number)
                    break
            sex = "1" if int(number[16]) % 2 else "2"
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(
                rng.choice((1, 2))))
            room = addresses[(n // PEOPLE_PER_ROOM) % len(addresses)]
            renting = n % 3 == 0
            writer.writerow([
                number, name, sex, "汉族", born.strftime("%Y%m%d"), number[:6],
                f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                rng.choice(("01", "02", "03", "04")), room,
                "02" if renting else "01",
                (date(2024, 1, 1) + timedelta(days=rng.randrange(600))).strftime("%Y%m%d")])


def raw_copy_rate(path: Path, rows: int) -> float:
    """Rows per second of a plain COPY of the file's first `rows` rows into a bare table of
    text columns (the floor any import stands on)."""
    from django.db import connection

    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE raw_people ({columns})")  # noqa: S608
        t0 = time.perf_counter()
        with open(path, "rb") as source, cursor.cursor.copy(
                "COPY raw_people FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            for chunk_lines in _lines(source, rows + 1):
                copy.write(chunk_lines)
        elapsed = time.perf_counter() - t0
        cursor.execute("SELECT count(*) FROM raw_people")
        copied = cursor.fetchone()[0]
        cursor.execute("DROP TABLE raw_people")
    assert copied == rows, (copied, rows)
    return rows / elapsed


def _lines(source, limit: int):
    buffer: list[bytes] = []
    for n, line in enumerate(source):
        if n >= limit:
            break
        buffer.append(line)
        if len(buffer) >= 10000:
            yield b"".join(buffer)
            buffer = []
    if buffer:
        yield b"".join(buffer)


# --- one size, in a child process ---------------------------------------------------------

@dataclass
class SizeResult:
    rows: int
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    raw_copy_rows_per_s: float = 0.0

    def rate(self, step: str) -> float:
        return self.rows / self.seconds[step] if self.seconds.get(step) else 0.0


def _head(path: Path, rows: int, target: Path) -> None:
    with open(path, "rb") as source, open(target, "wb") as out:
        for n, line in enumerate(source):
            if n > rows:
                break
            out.write(line)


def child(path: Path, rows: int) -> SizeResult:
    """Import the file twice as the district's administrator, timing each step."""
    from django.contrib.auth import get_user_model

    from civicgrid.accounts.roles import Role
    from civicgrid.accounts.services import user_create
    from civicgrid.areas.models import Area
    from civicgrid.imports.services import (
        import_apply,
        import_apply_job,
        import_check,
        import_upload,
    )

    user = get_user_model().objects.filter(username="bench_importer").first() or user_create(
        username="bench_importer", password=None, display_name="bench",
        roles=[Role.ADMINISTRATOR], area_codes=[], actor=None)
    area = Area.objects.get(code=COUNTY)
    result = SizeResult(rows=rows)
    for round_ in ("first", "again"):
        t0 = time.perf_counter()
        with open(path, "rb") as source:
            run = import_upload(area=area, profile="gat1749-floating", mode="update",
                                file_name=path.name, content=source, actor=user, start=False)
        result.seconds[f"upload_{round_}"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        run = import_check(run.pk)
        result.seconds[f"check_{round_}"] = time.perf_counter() - t0
        if run.status != "checked":
            raise RuntimeError(f"check failed: {run.error}")
        result.counts[round_] = dict(run.counts)
        if run.counts.get("rejected"):
            from collections import Counter

            from civicgrid.imports.models import StagedRow

            reasons = Counter(StagedRow.objects.filter(run=run, outcome="rejected")
                              .values_list("reason", flat=True)[:1000])
            log(f"rejected: {reasons.most_common(3)}")
        t0 = time.perf_counter()
        run = import_apply_job(import_apply(run=run, actor=user, version=run.version,
                                            start=False).pk)
        result.seconds[f"apply_{round_}"] = time.perf_counter() - t0
        if run.status != "applied":
            raise RuntimeError(f"apply failed: {run.error}")
    result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _empty_people() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # (TRUNCATE … CASCADE would follow the rooms' owner reference and empty the rooms)
        cursor.execute("TRUNCATE imports_importchange, imports_stagedrow, imports_importrun")
        for table in ("registry_residence", "registry_personchange", "registry_person"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute("UPDATE registry_room SET use = 'unknown', version = 1")
    from civicgrid.registry.figures import figures_rebuild

    figures_rebuild()


def run_sizes(sizes: list[int], workdir: Path, env: dict[str, str], seed: int = 2026
              ) -> list[SizeResult]:
    """Set up, write the file, and run each size in a child process (django set up)."""
    from django.core.management import call_command

    largest = max(sizes)
    log("migrate")
    call_command("migrate", verbosity=0)
    log(f"places for {largest:,} people")
    addresses = setup_places(-(-largest // PEOPLE_PER_ROOM))
    full = workdir / "gat1749.csv"
    log(f"writing the {largest:,}-row GA/T 1749 file")
    write_file(full, largest, addresses, seed)
    results = []
    for size in sorted(sizes):
        part = workdir / f"gat1749-{size}.csv"
        _head(full, size, part)
        _empty_people()
        log(f"{size:,} rows: raw COPY")
        raw = raw_copy_rate(part, size)
        log(f"{size:,} rows: import in a child process")
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.registry_import", "--child", str(part), str(size)],
            env=env, stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"import of {size} rows failed (its errors above)")
        result = SizeResult(**json.loads(done.stdout.strip().splitlines()[-1]))
        result.raw_copy_rows_per_s = raw
        log(f"{size:,} rows: " + ", ".join(
            f"{step} {result.rate(step):,.0f}/s" for step in result.seconds)
            + f"; raw COPY {raw:,.0f}/s; peak {result.peak_rss_mb:.0f} MB")
        results.append(result)
        part.unlink()
    return results


STEPS = (("upload_first", "upload (encrypted copy)"), ("check_first", "dry run (check)"),
         ("apply_first", "apply"), ("check_again", "re-import: dry run"),
         ("apply_again", "re-import: apply"))


def render(results: list[SizeResult]) -> str:
    """The Markdown section of docs/benchmarks.md."""
    lines = ["| step | " + " | ".join(f"{r.rows:,} rows/s (× raw COPY)" for r in results)
             + " |", "|---|" + "---|" * len(results)]
    lines.append("| raw `COPY` into a bare table | " + " | ".join(
        f"{r.raw_copy_rows_per_s:,.0f}" for r in results) + " |")
    for step, label in STEPS:
        lines.append(f"| {label} | " + " | ".join(
            f"{r.rate(step):,.0f} ({r.rate(step) / r.raw_copy_rows_per_s:.3f}×)"
            for r in results) + " |")
    lines.append("| peak memory of the importing process | " + " | ".join(
        f"{r.peak_rss_mb:,.0f} MB" for r in results) + " |")
    lines.append("")
    for r in results:
        lines.append(f"- {r.rows:,} rows: first import {r.counts['first']}; "
                     f"re-import {r.counts['again']}")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        lines.append(f"- peak memory at {large.rows:,} ÷ at {small.rows:,}: "
                     f"{large.peak_rss_mb / small.peak_rss_mb:.2f}× (target ≤ 1.2×)")
    return "\n".join(lines)


def problems(results: list[SizeResult]) -> list[str]:
    out = []
    for r in results:
        again = r.counts.get("again", {})
        if again.get("new") or again.get("changed"):
            out.append(f"{r.rows:,} rows: the re-import found changes: {again}")
        first = r.counts.get("first", {})
        if first.get("new") != r.rows:
            out.append(f"{r.rows:,} rows: {first.get('new')} new of {r.rows}: {first}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--tiny", action="store_true", help="1,000 and 10,000 rows")
    parser.add_argument("--output", type=Path, help="write the Markdown section here")
    parser.add_argument("--child", nargs=2, metavar=("FILE", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import django

        django.setup()
        if os.environ.get("BENCH_SQL"):
            from collections import Counter

            from django.db import connection

            spent: Counter[str] = Counter()

            def timing(execute, sql, params, many, context):  # noqa: ANN001
                t0 = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    spent[sql[:90]] += time.perf_counter() - t0

            with connection.execute_wrapper(timing):
                result = child(Path(args.child[0]), int(args.child[1]))
            for sql, seconds in spent.most_common(15):
                log(f"{seconds:7.2f}s {sql}")
        elif os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            result = profiler.runcall(child, Path(args.child[0]), int(args.child[1]))
            order = os.environ.get("BENCH_PROFILE_SORT", "cumulative")
            pstats.Stats(profiler, stream=sys.stderr).sort_stats(order).print_stats(45)
        else:
            result = child(Path(args.child[0]), int(args.child[1]))
        print(json.dumps(asdict(result)))
        return 0
    from bench.run import bench_database, bench_environment

    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")):
        print("bench: DATABASE_URL must name a PostgreSQL server", file=sys.stderr)
        return 2
    sizes = [1000, 10000] if args.tiny else [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="civicgrid-bench-registry-") as tmp, \
            bench_database(server_url) as db_url:
        env = bench_environment(db_url, Path(tmp))
        os.environ.update(env)
        import django

        django.setup()
        results = run_sizes(sizes, Path(tmp), env)
    text = render(results)
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    found = problems(results)
    for problem in found:
        log(f"problem: {problem}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
