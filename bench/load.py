"""Bulk generation of cases for the benchmark city, loaded with PostgreSQL COPY.

The cases form one timeline of `total` cases (the largest size of the run) over the two
years before the anchor instant: case `i` is registered at the `(i + ½)/total` quantile of
an intensity that grows by half over the two years, is lower at weekends and follows office
hours, so ids increase with registration time as they do in production. A stage of `n`
cases is every `total/n`-th case of the timeline; the stages nest (100,000 ⊂ 1,000,000 ⊂
5,000,000), so "add cases up to 1M" inserts exactly the cases the 1M stage has that the
100k stage had not, and both stages have the same distributions.

Every other field of case `i` is drawn by numpy from a generator seeded with (seed, chunk),
chunks being fixed blocks of the timeline, so a case is the same whichever stage loads it.

What a case gets, and how the fields agree with each other and with the CHECK constraints:

- place: a grid (weighted by population with some busy grids), a point inside it, an
  address; the street's or (at county level) the district's dispatch queue;
- category: a leaf of the built-in taxonomy, by kind: 民生服务 38%, 矛盾纠纷 34%, 安全隐患
  16%, 信访 9%, 突发事件 3%, Zipf-like within a kind; channel by kind (petitions by letter,
  visit or leader reception; the rest patrol 45%, hotline 22%, portal 12%, window 10%,
  department 6%, API 5%); scale bands, 重大/群体性 flags and repeat petitions; the handling
  level is the category's default raised as intake raises it, and 6% were escalated once;
- life cycle: a duration for each stage (accept, dispatch, handle, verify, follow-up,
  close; log-normal, the handling time by kind, 2.5% stuck ten times longer); the case's
  status is the stage it has reached at the anchor instant, and every timestamp of a
  stage passed is set (accepted_at, dispatched_at, resolved_at, closed_at), nothing of a
  stage not reached. 4% are rejected and 1.5% merged into an earlier case (closed_at set,
  as the services do); 3% of disputes in handling are handed off to the court (with their
  HandOff row); 0.7% of cases in handling are suspended;
- the unit: by level and kind (community mediation committee or committee, street
  mediation committee, office, police or centre, the district's specialised unit by the
  category's specialty), assigned from dispatch on, suggested before;
- deadlines: stage and handling deadlines from the category's SLA (working days counted
  as 7/5 calendar days: an approximation, the official calendar is not consulted for
  millions of rows); on-time closing, closing level, outcome by kind, satisfaction for
  followed-up cases; 督办 on a share of overdue open cases.

The backlog (`load_backlog`, loaded once after the first stage's cases): a fixed number of
hotline cases of the last 48 hours that nobody has dispatched yet (registered or accepted),
with ids after the timeline's, so that every stage's dispatch inbox holds the same backlog;
between two stages `work_off` closes what the intake phases registered meanwhile.

Not generated: parties, timeline events, attachments, audit entries (none of the measured
reads touch them); the case-number sequence row of each county for the anchor day is set
so that intake continues after the generated numbers.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from bench.city import CityIndex, CityPlan

SPAN_DAYS = 730
CHUNK = 50_000
LOCAL_OFFSET = 8 * 3600  # Asia/Shanghai, no DST
DAY = 86_400.0
HOUR = 3_600.0

KIND_SHARES = {"service": 0.38, "dispute": 0.34, "hazard": 0.16, "petition": 0.09,
               "emergency": 0.03}
CHANNELS = ["patrol", "hotline", "portal", "window", "department", "api",
            "petition_letter", "petition_visit", "leader_reception"]
CHANNEL_SHARES = {
    "petition": [0, 0, 0, 0, 0, 0, 0.40, 0.45, 0.15],
    "other": [0.45, 0.22, 0.12, 0.10, 0.06, 0.05, 0, 0, 0],
}
# Median handling time (dispatch → resolved) by kind, hours.
HANDLE_MEDIAN_H = {"dispute": 7 * 24, "service": 3 * 24, "hazard": 2 * 24,
                   "petition": 20 * 24, "emergency": 24}
OUTCOMES = {
    "dispute": (["mediated", "mediation_failed", "legal_channel", "withdrawn"],
                [0.86, 0.07, 0.05, 0.02]),
    "petition": (["answered", "disposed", "mediated"], [0.70, 0.25, 0.05]),
    "other": (["disposed", "answered"], [0.9, 0.1]),
}
OUTCOME_NOTES = {
    "mediated": "经调解,双方达成一致意见。", "mediation_failed": "调解不成,已告知其他途径。",
    "legal_channel": "已引导当事人通过诉讼途径解决。", "withdrawn": "当事人撤回申请。",
    "answered": "已书面答复当事人。", "disposed": "已现场处置完毕。",
}
PHRASES = {
    "dispute": ["楼上漏水导致楼下墙面受损,双方协商未果", "相邻两户因违章搭建发生争执",
                "因宠物扰民邻里发生口角", "夫妻因财产分割问题请求调解",
                "物业费收取标准引发业主不满", "工程款拖欠,农民工要求支付工资",
                "交通事故赔偿数额双方存在分歧", "宅基地边界不清引发纠纷",
                "赡养老人问题兄弟姐妹意见不一", "装修噪音影响周边居民休息"],
    "service": ["路灯损坏夜间照明不足", "小区垃圾清运不及时", "窨井盖缺失存在隐患",
                "供水管道破裂需要抢修", "公交站牌破损需要更换", "道路坑洼影响通行",
                "绿化带杂草丛生需修剪", "楼道堆放杂物影响通行", "共享单车乱停乱放",
                "下水道堵塞污水外溢"],
    "hazard": ["电动车在楼道内充电", "沿街商铺消防通道被占用", "老旧电线私拉乱接",
               "建筑工地防护网缺失", "液化气钢瓶违规存放", "小作坊食品卫生条件差",
               "河道护栏损坏存在落水风险", "广告牌松动有坠落危险"],
    "petition": ["反映拆迁补偿标准问题", "反映社保待遇核定问题", "反映小区规划变更问题",
                 "反映征地补偿款发放问题", "反映企业欠薪问题", "反映住房保障申请问题"],
    "emergency": ["暴雨导致道路积水严重", "居民楼发生火情", "燃气泄漏需紧急处置",
                  "大风导致树木倒伏压住车辆"],
}


# --- the timeline ------------------------------------------------------------------------

@dataclass(frozen=True)
class Timeline:
    """Registration time of case i of `total`: the (i + ½)/total quantile of the intensity."""

    start: float  # epoch seconds (UTC)
    end: float
    total: int
    edges: np.ndarray  # bin edges, epoch seconds
    cdf: np.ndarray  # cumulative intensity at the edges, 0 … 1

    @classmethod
    def build(cls, *, anchor: datetime, total: int, span_days: int = SPAN_DAYS) -> Timeline:
        end = anchor.timestamp()
        start = end - span_days * DAY
        step = 900.0  # quarter hours
        edges = np.arange(start, end + step / 2, step)
        mid = (edges[:-1] + edges[1:]) / 2
        local = mid + LOCAL_OFFSET
        hour = (local % DAY) / HOUR
        weekday = ((local // DAY).astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        by_hour = np.array([0.15, 0.1, 0.1, 0.1, 0.1, 0.15, 0.3, 0.6, 1.4, 1.7, 1.7, 1.5,
                            1.0, 1.1, 1.5, 1.6, 1.5, 1.3, 0.9, 0.7, 0.6, 0.45, 0.3, 0.2])
        intensity = (by_hour[hour.astype(np.int64)]
                     * np.where(weekday >= 5, 0.6, 1.0)
                     * (0.8 + 0.4 * (mid - start) / (end - start)))
        cdf = np.concatenate([[0.0], np.cumsum(intensity)])
        cdf /= cdf[-1]
        return cls(start, end, total, edges, cdf)

    def times(self, idx: np.ndarray) -> np.ndarray:
        return np.interp((idx + 0.5) / self.total, self.cdf, self.edges)

    def index_at(self, moment: float) -> int:
        """The first case index registered at or after `moment`."""
        i = max(0, math.ceil(float(np.interp(moment, self.edges, self.cdf)) * self.total - 0.5))
        while i > 0 and self.times(np.array([i - 1]))[0] >= moment:
            i -= 1
        while i < self.total and self.times(np.array([i]))[0] < moment:
            i += 1
        return i


def local_day_start(t: np.ndarray) -> np.ndarray:
    return np.floor((t + LOCAL_OFFSET) / DAY) * DAY - LOCAL_OFFSET


# --- the world the cases live in ------------------------------------------------------------

@dataclass
class Categories:
    ids: np.ndarray
    codes: list[str]
    kinds: list[str]
    levels: list[str]
    specialties: list[str]
    weights: np.ndarray
    sla_seconds: dict[str, np.ndarray]  # stage -> seconds per category (NaN: no limit)


def _sla_seconds(rule: dict | None) -> float:
    if not rule:
        return math.nan
    days = int(rule["days"])
    if rule.get("unit") != "calendar":
        days = math.ceil(days * 7 / 5)  # working days, approximated
    return days * DAY


def load_categories(seed: int) -> Categories:
    """The leaf categories in use, with a share for each (by kind, then Zipf-like)."""
    from civicgrid.cases.models import Category

    leaves = list(Category.objects.filter(active=True, children__isnull=True)
                  .select_related("specialty").order_by("code"))
    rng = np.random.default_rng([seed, 7])
    weights = np.zeros(len(leaves))
    for kind, share in KIND_SHARES.items():
        members = [i for i, c in enumerate(leaves) if c.kind == kind]
        if not members:
            continue
        ranks = rng.permutation(len(members))
        zipf = 1.0 / (ranks + 1.0) ** 0.8
        weights[members] = share * zipf / zipf.sum()
    stages = ("accept", "dispatch", "handle", "verify", "follow_up")
    return Categories(
        ids=np.array([c.pk for c in leaves], dtype=np.int64),
        codes=[c.code for c in leaves], kinds=[c.kind for c in leaves],
        levels=[c.default_level for c in leaves],
        specialties=[c.specialty.code if c.specialty else "" for c in leaves],
        weights=weights / weights.sum(),
        sla_seconds={s: np.array([_sla_seconds((c.sla or {}).get(s)) for c in leaves])
                     for s in stages})


# The unit that handles a case, by level: (kind or specialty) -> unit code suffix.
COMMUNITY_SUFFIX = {"dispute": "tjw"}  # everything else: the community committee (jwh)
STREET_SUFFIX = {"dispute": "tjw", "petition": "zzzx", "service": "bsc", "hazard": "bsc",
                 "emergency": "zzzx"}


def _county_suffix_by_specialty() -> dict[str, str]:
    from civicgrid.home.demo import DISTRICT_UNITS

    out: dict[str, str] = {}
    for suffix, _name, _kind, specialties in DISTRICT_UNITS:
        for s in specialties:
            if suffix != "zzzx":
                out.setdefault(s, suffix)
    return out


@dataclass
class World:
    seed: int
    plan: CityPlan
    index: CityIndex
    categories: Categories
    grid_weights: np.ndarray
    grid_boxes: np.ndarray  # (n, 4)
    grid_codes: list[str]
    grid_address: list[str]
    reporter: np.ndarray  # grid worker user id per grid
    unit_code_for: Callable[[int, str, str], str]  # (category index, level, grid code)


def world_build(*, plan: CityPlan, index: CityIndex, seed: int) -> World:
    categories = load_categories(seed)
    rng = np.random.default_rng([seed, 11])
    grids = plan.grids
    population = np.array([g.population for g in grids], dtype=float)
    weights = population * rng.lognormal(0.0, 0.5, len(grids))
    names = {a.code: a.name for a in plan.areas}
    county_suffix = _county_suffix_by_specialty()

    def unit_code_for(cat: int, level: str, grid_code: str) -> str:
        kind, specialty = categories.kinds[cat], categories.specialties[cat]
        if level == "community":
            return f"{grid_code[:12]}-{COMMUNITY_SUFFIX.get(kind, 'jwh')}"
        if level == "street":
            suffix = "pcs" if specialty == "traffic_accident" else STREET_SUFFIX[kind]
            return f"{grid_code[:9]}-{suffix}"
        return f"{grid_code[:6]}-{county_suffix.get(specialty, 'zzzx')}"

    return World(
        seed=seed, plan=plan, index=index, categories=categories,
        grid_weights=weights / weights.sum(),
        grid_boxes=np.array([g.box for g in grids], dtype=float),
        grid_codes=[g.code for g in grids],
        grid_address=[f"{names[g.code[:9]]}{names[g.code[:12]]}" for g in grids],
        reporter=np.array([index.user_ids[f"gw{g.code}"] for g in grids], dtype=np.int64),
        unit_code_for=unit_code_for)


# --- one chunk of cases ---------------------------------------------------------------------

NULL = "\\N"


def _ts(values: np.ndarray) -> list[str]:
    """Epoch seconds → COPY text timestamps (UTC); NaN → NULL."""
    stamps = np.datetime_as_string((values * 1e6).astype("datetime64[us]"), unit="us",
                                   timezone="UTC")
    return np.where(np.isnan(values), NULL, stamps).tolist()


def _ints(values: np.ndarray, null: np.ndarray | None = None) -> list[str]:
    text = values.astype(np.int64).astype(str)
    return (np.where(null, NULL, text) if null is not None else text).tolist()


def _bools(values: np.ndarray, null: np.ndarray | None = None) -> list[str]:
    text = np.where(values, "t", "f")
    return (np.where(null, NULL, text) if null is not None else text).tolist()


def _texts(values: np.ndarray | list[str]) -> list[str]:
    return list(values) if not isinstance(values, np.ndarray) else values.tolist()


@dataclass
class Chunk:
    columns: dict[str, list[str]]
    rows: int
    handoffs: list[tuple]  # (case id, from unit id, to unit id, created_at s, due s, ack s)


def generate_chunk(world: World, timeline: Timeline, chunk_no: int, select: np.ndarray,
                   now: float) -> Chunk:
    """Cases of block `chunk_no` of the timeline; only the rows where `select` is true are
    returned, but every row is drawn, so a case does not depend on which rows are loaded."""
    lo = chunk_no * CHUNK
    idx = np.arange(lo, min(lo + CHUNK, timeline.total))
    n = len(idx)
    rng = np.random.default_rng([world.seed, 101, chunk_no])
    cats = world.categories
    n_cat = len(cats.ids)

    reg = timeline.times(idx)
    grid = rng.choice(len(world.grid_codes), size=n, p=world.grid_weights)
    cat = rng.choice(n_cat, size=n, p=cats.weights)
    kind = np.array(cats.kinds, dtype=object)[cat]
    is_petition = kind == "petition"
    u = rng.random((n, 12))

    # channel
    channel = np.empty(n, dtype=object)
    for group, mask in (("petition", is_petition), ("other", ~is_petition)):
        cum = np.cumsum(CHANNEL_SHARES[group])
        channel[mask] = np.array(CHANNELS, dtype=object)[
            np.minimum(np.searchsorted(cum, u[mask, 0] * cum[-1], side="right"),
                       len(CHANNELS) - 1)]
    # scale and flags
    band = np.select([u[:, 1] < 0.003, u[:, 1] < 0.015, u[:, 1] < 0.04],
                     ["gt500", "100-500", "50-100"], "lt50")
    disputeish = (kind == "dispute") | is_petition
    is_major = disputeish & (u[:, 2] < 0.015)
    is_group = (band != "lt50") & (u[:, 2] > 0.5) | (disputeish & (u[:, 2] > 0.985))
    is_repeat = is_petition & (u[:, 3] < 0.35)
    # level: the category's default, raised as intake raises it, sometimes escalated once
    order = {"community": 0, "street": 1, "county": 2}
    level_n = np.array([order[x] for x in cats.levels], dtype=np.int64)[cat]
    level_n = np.where(is_group | (band == "100-500"), np.maximum(level_n, 1), level_n)
    level_n = np.where(is_major | (band == "gt500"), 2, level_n)
    escalated = (level_n < 2) & (u[:, 4] < 0.06)
    level_n = level_n + escalated
    level = np.array(["community", "street", "county"], dtype=object)[level_n]

    # life cycle (seconds after the previous stage)
    handle_median = np.array([HANDLE_MEDIAN_H[k] for k in cats.kinds])[cat] * HOUR
    accept = rng.lognormal(math.log(3 * HOUR), 1.0, n)
    dispatch = rng.lognormal(math.log(4 * HOUR), 1.0, n)
    handle = rng.lognormal(0.0, 0.9, n) * handle_median
    handle = np.where(u[:, 5] < 0.025, handle * 10, handle)  # stuck: the backlog
    verify = rng.lognormal(math.log(24 * HOUR), 0.8, n)
    follow = rng.lognormal(math.log(48 * HOUR), 0.8, n)
    close = rng.lognormal(math.log(24 * HOUR), 0.8, n)
    t_acc = reg + accept
    t_disp = t_acc + dispatch
    t_res = t_disp + handle
    t_ver = t_res + verify
    t_fol = t_ver + follow
    t_close = t_fol + close
    rejected = u[:, 6] < 0.04
    merged = (~rejected) & (u[:, 6] > 0.985) & (idx > 0)

    status = np.select(
        [rejected & (now >= t_acc), merged & (now >= t_acc), now < t_acc,
         rejected | merged, now < t_disp, now < t_res, now < t_ver, now < t_fol,
         now < t_close],
        ["rejected", "merged", "registered", "registered", "accepted", "handling",
         "resolved", "verified", "followed_up"], "closed").astype(object)
    handling = status == "handling"
    handed_off = handling & (kind == "dispute") & (u[:, 7] < 0.03)
    suspended = handling & ~handed_off & (u[:, 7] > 0.993)
    status[handed_off] = "handed_off"
    status[suspended] = "suspended"

    accepted = ~np.isin(status, ["registered", "rejected", "merged"])
    dispatched = np.isin(status, ["handling", "handed_off", "suspended", "resolved",
                                  "verified", "followed_up", "closed"])
    done = np.isin(status, ["resolved", "verified", "followed_up", "closed"])
    followed = np.isin(status, ["followed_up", "closed"])
    nan = np.full(n, np.nan)

    def due(start: np.ndarray, stage: str) -> np.ndarray:
        return _due(cats, cat, start, stage)

    handle_due = np.where(accepted, due(t_acc, "handle"), nan)
    handoff_at = t_disp + (np.minimum(now, t_res) - t_disp) * u[:, 8]
    suspended_at = t_disp + (now - t_disp) * u[:, 8]
    stage_started = np.select(
        [status == "accepted", np.isin(status, ["handling", "handed_off", "suspended"]),
         status == "resolved", status == "verified", followed],
        [t_acc, t_disp, t_res, t_ver, t_fol], reg)
    stage_due = np.select(
        [status == "registered", status == "accepted",
         np.isin(status, ["handling", "handed_off", "suspended"]),
         status == "resolved", status == "verified"],
        [due(reg, "accept"), due(t_acc, "dispatch"), handle_due, due(t_res, "verify"),
         due(t_ver, "follow_up")], nan)
    closed_at = np.select([status == "closed", np.isin(status, ["rejected", "merged"])],
                          [t_close, t_acc], nan)
    on_time = np.isnan(handle_due) | (t_res <= handle_due)
    overdue_open = (~np.isnan(stage_due)) & (stage_due < now) & ~suspended
    supervision = np.select([overdue_open & (u[:, 9] < 0.02), overdue_open & (u[:, 9] < 0.07),
                             overdue_open & (u[:, 9] < 0.22)], ["red", "yellow", "normal"], "")

    outcome = np.full(n, "", dtype=object)
    for group in ("dispute", "petition", "other"):
        mask = done & ((kind == group) if group != "other"
                       else ~np.isin(kind, ["dispute", "petition"]))
        names, shares = OUTCOMES[group]
        outcome[mask] = np.array(names, dtype=object)[
            np.minimum(np.searchsorted(np.cumsum(shares), u[mask, 10], side="right"),
                       len(names) - 1)]
    satisfaction = np.select([u[:, 11] < 0.03, u[:, 11] < 0.07, u[:, 11] < 0.15,
                              u[:, 11] < 0.40], [1, 2, 3, 4], 5)

    # Everything below only for the selected rows.
    sel = np.flatnonzero(select)
    ids = idx[sel] + 1
    g = grid[sel]
    box = world.grid_boxes[g]
    lng, lat = _points_in(box, rng.random(n)[sel], rng.random(n)[sel])
    happened = np.where(rng.random(n)[sel] < 0.6, reg[sel] - rng.random(n)[sel] * DAY, np.nan)
    phrase_pick = rng.integers(0, 1 << 30, n)[sel]
    house = rng.integers(1, 300, n)[sel]

    area_ids, unit_ids = world.index.area_ids, world.index.unit_ids
    grid_codes = [world.grid_codes[i] for i in g.tolist()]
    levels = level[sel].tolist()
    cats_sel = cat[sel].tolist()
    unit_codes = [world.unit_code_for(c, lv, gc)
                  for c, lv, gc in zip(cats_sel, levels, grid_codes, strict=True)]
    unit = np.array([unit_ids[code] for code in unit_codes], dtype=np.int64)
    s_disp = dispatched[sel]
    queue_codes = [gc[:6] if lv == "county" else gc[:9]
                   for gc, lv in zip(grid_codes, levels, strict=True)]
    s_status = status[sel]
    s_reg = reg[sel]
    day0 = local_day_start(s_reg)
    day_first = {d: timeline.index_at(d) for d in np.unique(day0).tolist()}
    seq = idx[sel] - np.array([day_first[d] for d in day0.tolist()]) + 1
    dates = np.datetime_as_string(((day0 + LOCAL_OFFSET) * 1e6).astype("datetime64[us]"),
                                  unit="D")
    numbers = [f"{gc[:6]}-{d.replace('-', '')}-{s:05d}"
               for gc, d, s in zip(grid_codes, dates.tolist(), seq.tolist(), strict=True)]
    kinds_sel = kind[sel].tolist()
    descriptions = [PHRASES[k][p % len(PHRASES[k])] + f"({world.grid_address[gi]}附近)"
                    for k, p, gi in zip(kinds_sel, phrase_pick.tolist(), g.tolist(),
                                        strict=True)]
    addresses = [f"{world.grid_address[gi]}{h}号" for gi, h in zip(g.tolist(), house.tolist(),
                                                                   strict=True)]
    s_outcome = outcome[sel]
    merged_sel = s_status == "merged"
    # A merged case points at an earlier case that every stage has (index 0 mod stride of
    # the smallest stage is guaranteed by the caller through `master_of`).
    master = np.where(merged_sel, _master_index(idx[sel], timeline) + 1, 0)
    s_sup = supervision[sel]
    s_follow = followed[sel]
    s_done = done[sel]
    s_accepted = accepted[sel]
    s_susp = s_status == "suspended"
    patrol = channel[sel] == "patrol"
    last_change = np.nanmax(np.vstack([s_reg, t_acc[sel] * s_accepted,
                                       np.where(np.isnan(closed_at[sel]), 0, closed_at[sel]),
                                       stage_started[sel]]), axis=0)

    columns = {
        "id": _ints(ids),
        "number": numbers,
        "tracking_code": _tracking_codes(ids),
        "channel": _texts(channel[sel]),
        "category_id": _ints(cats.ids[cat[sel]]),
        "attributes": ["{}"] * len(sel),
        "description": descriptions,
        "area_id": [str(area_ids[gc]) for gc in grid_codes],
        "area_code": grid_codes,
        "address": addresses,
        "lng": lng.astype(str).tolist(),
        "lat": lat.astype(str).tolist(),
        "happened_at": _ts(happened),
        "people_band": _texts(band[sel]),
        "matter_id": [NULL] * len(sel),  # (no major matter: the city has none loaded)
        "is_major": _bools(is_major[sel]),
        "is_group": _bools(is_group[sel]),
        "is_repeat": _bools(is_repeat[sel]),
        "level": levels,
        "status": _texts(s_status),
        "queue_area_id": [str(area_ids[c]) for c in queue_codes],
        "assigned_unit_id": _ints(unit, ~s_disp),
        "suggested_unit_id": _ints(unit, s_disp | ~np.isin(s_status, ["registered",
                                                                       "accepted"])),
        "routing_rule_id": [NULL] * len(sel),
        "routing_note": [""] * len(sel),
        "outcome": _texts(s_outcome),
        "outcome_note": [OUTCOME_NOTES.get(o, "") for o in s_outcome.tolist()],
        "satisfaction": _ints(satisfaction[sel], ~s_follow),
        "reported_by_id": _ints(world.reporter[g], ~patrol),
        "registered_at": _ts(s_reg),
        "accepted_at": _ts(np.where(s_accepted, t_acc[sel], np.nan)),
        "dispatched_at": _ts(np.where(s_disp, t_disp[sel], np.nan)),
        "resolved_at": _ts(np.where(s_done, t_res[sel], np.nan)),
        "closed_at": _ts(closed_at[sel]),
        "stage_started_at": _ts(stage_started[sel]),
        "stage_due_at": _ts(stage_due[sel]),
        "handle_due_at": _ts(handle_due[sel]),
        "due_fallback_years": [""] * len(sel),
        "closed_on_time": _bools(on_time[sel], ~s_done),
        "closed_level": [lv if d else "" for lv, d in zip(levels, s_done.tolist(),
                                                          strict=True)],
        "supervision": _texts(s_sup),
        "supervision_reason": ["超期未办结" if s else "" for s in s_sup.tolist()],
        "suspended_from": ["handling" if s else "" for s in s_susp.tolist()],
        "suspended_at": _ts(np.where(s_susp, suspended_at[sel], np.nan)),
        "extensions_used": ["0"] * len(sel),
        "extension_days_used": ["0"] * len(sel),
        "merged_into_id": _ints(master, ~merged_sel),
        "escalations": _ints(escalated[sel].astype(np.int64)),
        "version": _ints(1 + s_accepted + s_disp + s_done * 2 + s_follow * 2),
        "updated_at": _ts(last_change),
    }
    handoffs = []
    for j in np.flatnonzero(s_status == "handed_off").tolist():
        at = float(handoff_at[sel][j])
        ack = at + 6 * HOUR if phrase_pick[j] % 2 else math.nan
        handoffs.append((int(ids[j]), int(unit[j]), unit_ids[f"{grid_codes[j][:6]}-fy"],
                         at, at + 3 * DAY, ack))
    return Chunk(columns=columns, rows=len(sel), handoffs=handoffs)


def _due(cats: Categories, cat: np.ndarray, start: np.ndarray, stage: str) -> np.ndarray:
    """The end of the due day (Asia/Shanghai) of `stage` begun at `start`, like
    workcalendar.due_datetime; NaN where the category has no limit or `start` is NaN."""
    return local_day_start(start + cats.sla_seconds[stage][cat]) + DAY - 1e-6


def _points_in(boxes: np.ndarray, fx: np.ndarray, fy: np.ndarray) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    """Points inside the boxes (west, south, east, north) at the fractions fx, fy of their
    width and height, kept off the edges."""
    lng = np.round(boxes[:, 0] + (boxes[:, 2] - boxes[:, 0]) * (0.02 + 0.96 * fx), 6)
    lat = np.round(boxes[:, 1] + (boxes[:, 3] - boxes[:, 1]) * (0.02 + 0.96 * fy), 6)
    return lng, lat


# The smallest stage's stride; set by the loader before generating (merge targets must be
# cases of the first stage, which every later stage has too).
_FIRST_STRIDE = [1]


def _master_index(idx: np.ndarray, timeline: Timeline) -> np.ndarray:
    stride = _FIRST_STRIDE[0]
    return np.maximum(0, (idx - 1) // stride * stride)


# --- loading -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    size: int
    previous: int  # the size loaded before (0 for the first stage)
    total: int  # the largest size of the run (the timeline)
    first: int  # the first stage's size (merge targets)

    def select(self, idx: np.ndarray) -> np.ndarray:
        mask = idx % (self.total // self.size) == 0
        if self.previous:
            mask &= idx % (self.total // self.previous) != 0
        return mask


# An odd multiplier makes id → id·K mod 32⁸ a bijection: distinct ids, distinct codes.
_CODE_SPACE = 32 ** 8
_CODE_MULTIPLIER = 0x2545F491


def _tracking_codes(ids: np.ndarray) -> list[str]:
    """Each case's resident tracking code (core/tracking.py's form), unique per id."""
    from civicgrid.core.tracking import ALPHABET, PAYLOAD_LENGTH, check_symbol

    codes = []
    for case_id in ids.astype(np.int64).tolist():
        n = (case_id * _CODE_MULTIPLIER) % _CODE_SPACE
        payload = "".join(ALPHABET[(n >> (5 * i)) & 31] for i in reversed(range(PAYLOAD_LENGTH)))
        codes.append(payload + check_symbol(payload))
    return codes


def _case_columns() -> list[str]:
    from civicgrid.cases.models import Case

    return [f.column for f in Case._meta.concrete_fields]


def load_cases(world: World, timeline: Timeline, stage: Stage, *, now: float,
               progress: Callable[[int], None] | None = None) -> int:
    """COPY the cases of `stage` that are not loaded yet; returns the number of rows."""
    from django.db import connection, transaction

    from civicgrid.cases.models import Case, HandOff

    _FIRST_STRIDE[0] = stage.total // stage.first
    columns = _case_columns()
    table = Case._meta.db_table
    loaded = 0
    handoffs: list[tuple] = []
    chunks = math.ceil(timeline.total / CHUNK)
    with transaction.atomic():
        cursor = connection.cursor().cursor  # the psycopg cursor, for COPY
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for chunk_no in range(chunks):
                lo = chunk_no * CHUNK
                idx = np.arange(lo, min(lo + CHUNK, timeline.total))
                select = stage.select(idx)
                if not select.any():
                    continue
                chunk = generate_chunk(world, timeline, chunk_no, select, now)
                missing = set(columns) ^ set(chunk.columns)
                if missing:
                    raise RuntimeError(f"case columns changed, update bench/load.py: {missing}")
                buffer = io.StringIO()
                for row in zip(*(chunk.columns[c] for c in columns), strict=True):
                    buffer.write("\t".join(row))
                    buffer.write("\n")
                copy.write(buffer.getvalue())
                loaded += chunk.rows
                handoffs += chunk.handoffs
                if progress:
                    progress(loaded)
        HandOff.objects.bulk_create([
            HandOff(case_id=case_id, kind="court", from_unit_id=from_unit, to_unit_id=to_unit,
                    note="诉调对接", created_at=_dt(at), receipt_due_at=_dt(due),
                    acknowledged_at=None if math.isnan(ack) else _dt(ack))
            for case_id, from_unit, to_unit, at, due, ack in handoffs], batch_size=2000)
        _ids_past(timeline)
        _number_sequences(world, timeline, now)
    return loaded


def _ids_past(timeline: Timeline) -> None:
    """Start the case id sequence past every id of the timeline and every id loaded: cases
    registered through intake between two stages must not take the id of a case a later
    stage loads. (PostgreSQL; SQLite's rowids follow the largest id by themselves.)"""
    from django.db import connection

    from civicgrid.cases.models import Case

    table = Case._meta.db_table
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as c:
        c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                  f"GREATEST((SELECT max(id) FROM {table}), %s))", [timeline.total])


def work_off(first_id: int) -> int:
    """The dispatch centre between two stages: the cases intake registered since the backlog
    (ids from `first_id`) and nobody dispatched are closed as rejected (不予受理: closed_at
    set, no deadline, as the generator's rejected cases), so that every stage's inboxes hold
    the generated cases and the backlog, not the previous stage's intake load. The rollup is
    rebuilt after the next load. Returns how many."""
    from django.db.models import F
    from django.utils import timezone

    from civicgrid.cases.models import Case

    return Case.objects.filter(pk__gte=first_id, status__in=("registered", "accepted")).update(
        status="rejected", closed_at=timezone.now(), stage_due_at=None,
        version=F("version") + 1)


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _dt_or_none(seconds: float) -> datetime | None:
    return None if math.isnan(seconds) else _dt(seconds)


# --- the backlog -------------------------------------------------------------------------------

BACKLOG_HOURS = 48
BACKLOG_ACCEPTED = 0.2
# The backlog's numbers are `<county>-<yyyymmdd>-9<nnnn>`: shard digit 9, which intake never
# hands out while CASE_NUMBER_SHARDS ≤ 9 (shards 0…8, ADR 0011), and which the timeline's day
# sequence `-<nnnnn>` would reach only past 90,000 cases in a day (5M cases: under 20,000).
BACKLOG_SHARD = 9


def load_backlog(world: World, timeline: Timeline, count: int, *, now: float) -> range:
    """Insert `count` hotline cases nobody has dispatched yet, registered uniformly over the
    48 hours before `now`: a dispatch centre's backlog, the same at every stage. Returns the
    ids, which follow every id of the timeline and every id in the table.

    Non-petition leaf categories by the generator's shares, grids by their weights and a
    point inside the grid; 80% registered (the accept deadline running), 20% accepted
    (accepted between registration and `now`, the dispatch deadline running and the
    handling deadline set, as case_accept does); the category's default level, its queue
    (the street, or the district at county level) and suggested unit; no reporter.

    Written with bulk_create of Case objects: fields added to Case later take their
    defaults, a field removed or renamed fails here (no column list to keep in sync)."""
    from django.db import connection, transaction

    from civicgrid.cases.models import Case

    rng = np.random.default_rng([world.seed, 202])
    cats = world.categories
    weights = np.where(np.array(cats.kinds) == "petition", 0.0, cats.weights)
    cat = rng.choice(len(cats.ids), size=count, p=weights / weights.sum())
    grid = rng.choice(len(world.grid_codes), size=count, p=world.grid_weights)
    reg = np.sort(now - rng.random(count) * BACKLOG_HOURS * HOUR)  # ids rise with time
    accepted = rng.random(count) < BACKLOG_ACCEPTED
    t_acc = np.where(accepted, reg + (now - reg) * rng.random(count), np.nan)
    stage_due = np.where(accepted, _due(cats, cat, t_acc, "dispatch"),
                         _due(cats, cat, reg, "accept"))
    handle_due = _due(cats, cat, t_acc, "handle")
    lng, lat = _points_in(world.grid_boxes[grid], rng.random(count), rng.random(count))
    phrase_pick = rng.integers(0, 1 << 30, count)
    days = np.datetime_as_string(((local_day_start(reg) + LOCAL_OFFSET) * 1e6)
                                 .astype("datetime64[us]"), unit="D")
    area_ids, unit_ids = world.index.area_ids, world.index.unit_ids
    table = Case._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT max(id) FROM {table}")  # noqa: S608
            first = max(cursor.fetchone()[0] or 0, timeline.total) + 1
        ids = range(first, first + count)
        codes = _tracking_codes(np.array(ids))
        numbered: dict[str, int] = {}  # county-day -> the last number given
        rows = []
        for j, case_id in enumerate(ids):
            c, gc = int(cat[j]), world.grid_codes[grid[j]]
            level, kind = cats.levels[c], cats.kinds[c]
            prefix = f"{gc[:6]}-{days[j].replace('-', '')}-{BACKLOG_SHARD}"
            numbered[prefix] = numbered.get(prefix, 0) + 1
            if numbered[prefix] > 9999:
                raise RuntimeError(f"more than 9,999 backlog cases on {prefix}")
            where = world.grid_address[grid[j]]
            rows.append(Case(
                id=case_id, number=f"{prefix}{numbered[prefix]:04d}",
                tracking_code=codes[j], channel="hotline", category_id=int(cats.ids[c]),
                description=PHRASES[kind][phrase_pick[j] % len(PHRASES[kind])]
                + f"({where}附近)",
                area_id=area_ids[gc], area_code=gc, address=where,
                lng=float(lng[j]), lat=float(lat[j]), level=level,
                status="accepted" if accepted[j] else "registered",
                queue_area_id=area_ids[gc[:6] if level == "county" else gc[:9]],
                suggested_unit_id=unit_ids[world.unit_code_for(c, level, gc)],
                registered_at=_dt(reg[j]), accepted_at=_dt_or_none(t_acc[j]),
                stage_started_at=_dt(reg[j] if np.isnan(t_acc[j]) else t_acc[j]),
                stage_due_at=_dt_or_none(stage_due[j]),
                handle_due_at=_dt_or_none(handle_due[j]), version=1 + int(accepted[j])))
        Case.objects.bulk_create(rows, batch_size=2000)
        _ids_past(timeline)
    return ids


def _number_sequences(world: World, timeline: Timeline, now: float) -> None:
    """Intake numbers cases `<county>-<yyyymmdd>-<shard><seq>` from CaseNumberSequence (ADR
    0011): start every shard of each county's anchor day above the generated numbers of that
    day (`-00001`…, which read as shard 0's up to 9999 and as shard s's from s·10000 on)."""
    from civicgrid.cases.models import CaseNumberSequence

    today = float(local_day_start(np.array([now]))[0])
    used = timeline.total - timeline.index_at(today) + 1
    day = datetime.fromtimestamp(today + LOCAL_OFFSET, tz=UTC).date()
    for county in world.index.district_codes:
        for shard in range(10):
            last = used if shard == 0 else min(used - shard * 10000, 9999)
            if last <= 0:
                continue
            row, _created = CaseNumberSequence.objects.get_or_create(
                county_code=county, day=day, shard=shard)
            if row.last < last:  # intake may have gone further already (between two stages)
                row.last = last
                row.save(update_fields=["last"])
