"""The report of a closed safety survey round (群众安全感调查报告), as a PDF and an XLSX.

`survey_report(round_, reader=)` gathers what both print — the method (frame, digest,
strata, allocation, the sample size worked through with the design's numbers, seed and
draw digest), the sample and its response (units issued, reserves used, final dispositions
by AAPOR code, RR1/RR2/COOP1/REF1/CON1), the index with its interval, n, design effect and
target, the index per area (withheld where the publication rule fails: 样本不足,不予公布),
every item's shares with their intervals, and the trend over the area's closed rounds —
and `survey_report_pdf` / `survey_report_xlsx` print it, so a figure reads the same in
both. Aggregates only: the answers of a text question are never printed, only how many
gave one.

It lives here, with the other reports, for the PDF furniture of civicgrid/cases/documents.py
(embedded fonts, Chinese line breaking, numbered pages), as the risk report does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib.enums import TA_RIGHT
from reportlab.platypus import Flowable, Spacer, Table

from civicgrid.cases.documents import (
    BODY_FLUSH,
    CELL_LABEL,
    CELL_SIZE,
    CONTENT_WIDTH,
    LABEL_FILL,
    build_pdf,
    grid_style,
    paragraph,
    paragraph_style,
    pdf_heading,
    pdf_title,
    table_cell,
)
from civicgrid.core.localized import enumeration
from civicgrid.core.xlsx import cell_text, column_widths, header_row, workbook_bytes
from civicgrid.surveys import design, dispositions
from civicgrid.surveys.models import Half, Mode, Round
from civicgrid.surveys.selectors import index_trend, progress

if TYPE_CHECKING:
    from civicgrid.core.scope import Reader

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHARE_FORMAT = "0.00%"
NUMBER = paragraph_style("survey_number", CELL_SIZE, 14.5, alignment=TA_RIGHT)
NOTE = paragraph_style("survey_note", 9.5, 14)
LABEL_WIDTH = 90.0


def withheld() -> str:
    """What an area's figure that fails the publication rule shows instead."""
    return _("样本不足,不予公布")


def percent(value: float | None) -> str:
    """0.666667 → "66.67%"; "—" for none."""
    return "—" if value is None else f"{value * 100:.2f}%"


def interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "—"
    return f"{low * 100:.2f}% – {high * 100:.2f}%"


@dataclass(frozen=True)
class Estimate:
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    deff: float | None
    suppressed: bool

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Estimate | None:
        if not data:
            return None
        return cls(data.get("value"), data.get("ci_low"), data.get("ci_high"),
                   int(data.get("n") or 0), data.get("deff"), bool(data.get("suppressed")))

    @property
    def interval_text(self) -> str:
        return interval(self.ci_low, self.ci_high)


@dataclass(frozen=True)
class DomainLine:
    code: str
    name: str
    estimate: Estimate | None

    @property
    def published(self) -> bool:
        return self.estimate is not None and not self.estimate.suppressed


@dataclass(frozen=True)
class OptionLine:
    label: str
    estimate: Estimate


@dataclass(frozen=True)
class ItemLine:
    key: str
    text: str
    kind: str
    n: int
    options: tuple[OptionLine, ...]


@dataclass(frozen=True)
class StratumLine:
    key: str
    name: str
    population: int
    allocated: int
    reserves: int
    interval: float | None
    start: float | None
    released: int
    reserves_used: int
    respondents: int


@dataclass(frozen=True)
class TrendLine:
    number: str
    period: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    current: bool


@dataclass(frozen=True)
class SurveyReport:
    round: Round
    size: design.SampleSize
    strata: tuple[StratumLine, ...]
    issued: int  # main units drawn (all released)
    reserves_drawn: int
    reserves_used: int
    dispositions: tuple[tuple[str, str, str, int], ...]  # code, label, category, units
    rates: dict[str, float | None]
    index: Estimate | None
    domains: tuple[DomainLine, ...]
    items: tuple[ItemLine, ...]
    trend: tuple[TrendLine, ...]
    responses: int
    poststratified: bool

    @property
    def title(self) -> str:
        return _("%(title)s报告") % {"title": self.round.title}

    @property
    def period(self) -> str:
        return half_text(self.round.year, self.round.half)

    @property
    def confidence(self) -> str:
        return f"{float(self.round.confidence) * 100:g}%"

    @property
    def target(self) -> float:
        return float(self.round.index_target)

    @property
    def met(self) -> bool | None:
        if self.index is None or self.index.value is None:
            return None
        return self.index.value >= self.target

    @property
    def met_text(self) -> str:
        return {True: _("达到目标"), False: _("未达到目标"), None: "—"}[self.met]

    def method_lines(self) -> list[str]:
        """The method in sentences, every number from the design."""
        r, s = self.round, self.size
        population = f"{s.population:,}" if s.population else "—"
        lines = [
            _("抽样框:%(source)s,冻结时共 %(size)s 个单位;抽样框摘要(SHA-256):%(digest)s。")
            % {"source": r.get_frame_source_display(), "size": f"{r.frame_size:,}",
               "digest": r.frame_digest or "—"},
            _("分层:%(strat)s,共 %(n)s 层;样本分配:%(alloc)s;各层内按抽样框顺序"
              "(网格、楼栋、房号)随机起点等距抽样,并按同样方法抽取备用样本"
              "(备用比例 %(reserve)s)。") % {
                "strat": r.get_stratification_display(), "n": len(self.strata),
                "alloc": r.get_allocation_display(), "reserve": f"{float(r.reserve_ratio):g}"},
            _("样本量:预期比例 p = %(p)s,允许误差 e = %(e)s,置信水平 %(conf)s(z = %(z)s):"
              "n0 = z² × p(1 − p) ÷ e² = %(z)s² × %(p)s × %(q)s ÷ %(e)s² = %(raw)s,"
              "向上取整为 %(n0)s;") % {
                "p": f"{s.p:g}", "q": f"{1 - s.p:g}", "e": f"{s.margin:g}",
                "conf": self.confidence, "z": f"{s.z:.4f}",
                "raw": f"{s.z * s.z * s.p * (1 - s.p) / (s.margin * s.margin):.2f}",
                "n0": s.n0},
            _("有限总体校正 n = n0 ÷ (1 + (n0 − 1) ÷ N) = %(n0)s ÷ (1 + %(n0m)s ÷ %(N)s),"
              "向上取整为 %(nf)s;乘以设计效应 %(deff)s 得 %(nd)s(目标完成样本量);"
              "除以预期应答率 %(rr)s 得 %(ni)s(抽取样本量)。") % {
                "n0": s.n0, "n0m": s.n0 - 1, "N": population, "nf": s.n_fpc,
                "deff": f"{s.deff:g}", "nd": s.n_design, "rr": f"{s.response_rate:g}",
                "ni": s.n_issued},
            _("随机种子:%(seed)s;样本摘要(SHA-256):%(digest)s。任何人可用同一抽样框、"
              "同一种子重新抽样核对。") % {"seed": r.seed or "—", "digest": r.draw_digest or "—"},
            _("加权:各层权数 = 层内抽样框单位数 ÷ 层内有效受访人数%(post)s;"
              "标准误按分层泰勒线性化计算(含有限总体校正)。") % {
                "post": _(",并按年龄×性别事后分层") if self.poststratified else ""},
        ]
        return lines


def half_text(year: int, half: int) -> str:
    return _("%(year)s年%(half)s") % {"year": year, "half": Half(half).label}


def survey_report(round_: Round, *, reader: Reader) -> SurveyReport:
    """What the report of a closed round prints (the round read by the caller through
    `restrict()`; the trend lists the area's closed rounds the reader may see)."""
    results = round_.results or {}
    size = design.sample_size(
        p=float(round_.expected_p), margin=float(round_.margin),
        confidence=float(round_.confidence), deff=float(round_.deff),
        response_rate=float(round_.response_rate), population=round_.frame_size or None)
    counts = progress(round_)
    respondents = results.get("strata", {})
    strata = tuple(StratumLine(
        key=s.key, name=s.area.name + (f"({s.urban_rural_class})" if s.urban_rural_class
                                       else ""),
        population=s.population, allocated=s.allocated, reserves=s.reserves,
        interval=s.interval, start=s.start,
        released=counts.get(s.key, {}).get("released", 0),
        reserves_used=counts.get(s.key, {}).get("reserves_used", 0),
        respondents=int(respondents.get(s.key, {}).get("respondents") or 0))
        for s in round_.strata.select_related("area").order_by("key"))
    rates = results.get("rates", {})
    by_code = rates.get("by_code", {})
    lines = tuple((code, dispositions.label(code), dispositions.category(code) or "UO",
                   int(by_code[code])) for code in sorted(by_code, key=_code_order))
    items = []
    for item in results.get("items", []):
        options = tuple(OptionLine(o.get("label", ""), estimate)
                        for o in item.get("options", [])
                        if (estimate := Estimate.of(o)) is not None)
        items.append(ItemLine(item["key"], item.get("text", ""), item["kind"],
                              int(item.get("n") or 0), options))
    trend = []
    for other in index_trend(reader, round_.area):
        index = (other.results or {}).get("index") or {}
        trend.append(TrendLine(other.number, half_text(other.year, other.half),
                               index.get("value"), index.get("ci_low"), index.get("ci_high"),
                               int(index.get("n") or 0), other.pk == round_.pk))
    return SurveyReport(
        round=round_, size=size, strata=strata,
        issued=sum(s.allocated for s in strata),
        reserves_drawn=sum(s.reserves for s in strata),
        reserves_used=sum(s.reserves_used for s in strata),
        dispositions=lines,
        rates={k: rates.get(k) for k in ("rr1", "rr2", "coop1", "ref1", "con1")},
        index=Estimate.of(results.get("index")),
        domains=tuple(DomainLine(d["code"], d["name"], Estimate.of(d.get("index")))
                      for d in results.get("domains", [])),
        items=tuple(items), trend=tuple(trend),
        responses=int(results.get("responses") or 0),
        poststratified=bool(results.get("poststratified")))


def _code_order(code: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in code.split("."))


RATE_LABELS = (("rr1", "RR1"), ("rr2", "RR2"), ("coop1", "COOP1"), ("ref1", "REF1"),
               ("con1", "CON1"))


def rate_notes() -> str:
    return _("按 AAPOR 标准定义:RR1 = I ÷ D,RR2 = (I + P) ÷ D,COOP1 = I ÷ (I + P + R + O),"
             "REF1 = R ÷ D,CON1 = (I + P + R + O) ÷ D,其中 D = I + P + R + NC + O + UH + UO;"
             "I 完成、P 部分完成、R 拒绝、NC 未接触、O 其他、UH/UO 资格未知,"
             "NE(不符合条件)不计入。")


def _domain_texts(line: DomainLine) -> list[str]:
    e = line.estimate
    if e is None:
        return [line.name, "0", _("无受访者"), "—"]
    if e.suppressed:
        return [line.name, str(e.n), withheld(), "—"]
    return [line.name, str(e.n), percent(e.value), e.interval_text]


# --- PDF ---------------------------------------------------------------------------------

def _table(header: list[str], rows: list[list[str]], widths: list[float]) -> Table:
    data: list[list[Any]] = [[paragraph(h, CELL_LABEL) for h in header]]
    data += [[table_cell(row[0]), *(paragraph(t, NUMBER) for t in row[1:])] for row in rows]
    return Table(data, colWidths=widths, repeatRows=1,
                 style=grid_style(("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL)))


def _facts(report: SurveyReport) -> Table:
    r = report.round
    half = (CONTENT_WIDTH - 2 * LABEL_WIDTH) / 2

    def label(text: str) -> Flowable:
        return paragraph(text, CELL_LABEL)

    opened = timezone.localtime(r.opened_at).strftime("%Y-%m-%d") if r.opened_at else "—"
    closed = timezone.localtime(r.closed_at).strftime("%Y-%m-%d") if r.closed_at else "—"
    return Table([
        [label(_("调查编号")), table_cell(r.number), label(_("调查区域")),
         table_cell(f"{r.area.name}({r.area_code})")],
        [label(_("调查期")), table_cell(report.period), label(_("调查方式")),
         table_cell(enumeration(dict(_modes()).get(m, m) for m in r.modes))],
        [label(_("实施时间")),
         table_cell(_("%(start)s 至 %(end)s") % {"start": opened, "end": closed}),
         label(_("有效样本")),
         table_cell(str(report.responses))],
    ], colWidths=[LABEL_WIDTH, half, LABEL_WIDTH, half], style=grid_style(
        ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL), ("BACKGROUND", (2, 0), (2, -1), LABEL_FILL)))


def _modes() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Mode.choices]


def _index_sentence(report: SurveyReport) -> str:
    e = report.index
    if e is None or e.value is None:
        return _("没有受访者回答安全感题,未能计算安全感指数。")
    text = _("群众安全感指数为 %(value)s(%(conf)s置信区间 %(ci)s,n = %(n)s,设计效应 %(deff)s);"
             "目标 %(target)s,%(met)s。") % {
        "value": percent(e.value), "conf": report.confidence, "ci": e.interval_text,
        "n": e.n, "deff": f"{e.deff:.2f}" if e.deff is not None else "—",
        "target": percent(report.target), "met": report.met_text}
    if e.suppressed:
        text += _("(有效样本少于 100 人或区间半宽超过 5 个百分点,结果仅供参考。)")
    return text


def survey_report_pdf(report: SurveyReport) -> bytes:
    story: list[Flowable] = [pdf_title(report.title), Spacer(0, 4), _facts(report)]
    story.extend(pdf_heading(_("一、调查方法")))
    story.extend(paragraph(line, BODY_FLUSH) for line in report.method_lines())
    story.append(Spacer(0, 4))
    story.append(_table(
        [_("层"), _("抽样框单位数 N_h"), _("样本量 n_h"), _("备用"), _("抽样间距"),
         _("随机起点"), _("有效受访")],
        [[f"{s.name} {s.key}", f"{s.population:,}", str(s.allocated), str(s.reserves),
          f"{s.interval:.4f}" if s.interval is not None else "—",
          f"{s.start:.4f}" if s.start is not None else "—", str(s.respondents)]
         for s in report.strata],
        [CONTENT_WIDTH - 6 * 58, *([58.0] * 6)]))

    story.extend(pdf_heading(_("二、样本与应答")))
    story.append(paragraph(_("抽取样本 %(issued)s 个,备用样本 %(drawn)s 个,启用备用样本 %(used)s 个"
                             "(仅替换无法完成访问的样本)。") % {
        "issued": report.issued, "drawn": report.reserves_drawn, "used": report.reserves_used},
        BODY_FLUSH))
    story.append(_table([_("结果代码"), _("说明"), _("AAPOR 类别"), _("样本数")],
                        [[code, label, category, str(n)]
                         for code, label, category, n in report.dispositions]
                        or [["—", "—", "—", "0"]],
                        [70.0, CONTENT_WIDTH - 70 - 80 - 60, 80.0, 60.0]))
    story.append(Spacer(0, 4))
    story.append(_table([_("应答率指标"), _("数值")],
                        [[label, percent(report.rates.get(key))] for key, label in RATE_LABELS],
                        [CONTENT_WIDTH - 120, 120.0]))
    story.append(paragraph(rate_notes(), NOTE))

    story.extend(pdf_heading(_("三、群众安全感指数")))
    story.append(paragraph(_index_sentence(report), BODY_FLUSH))
    story.append(paragraph(_("安全感指数 = 回答“很安全”“安全”“基本安全”的受访者(加权)所占比例。"),
                           NOTE))
    if report.domains:
        story.append(Spacer(0, 4))
        story.append(_table([_("区域"), _("受访人数"), _("安全感指数"),
                             _("%(conf)s置信区间") % {"conf": report.confidence}],
                            [_domain_texts(d) for d in report.domains],
                            [CONTENT_WIDTH - 70 - 130 - 150, 70.0, 130.0, 150.0]))
        story.append(paragraph(_("受访少于 100 人或区间半宽超过 5 个百分点的区域,"
                                 "结果显示为“样本不足,不予公布”。"), NOTE))

    story.extend(pdf_heading(_("四、各题结果")))
    for number, item in enumerate(report.items, start=1):
        story.append(paragraph(f"{number}. {item.text}", BODY_FLUSH))
        if item.kind == "text":
            story.append(paragraph(_("开放题,%(n)s 人作答;原文不列入报告。") % {"n": item.n},
                                   NOTE))
            continue
        story.append(_table([_("选项"), _("比例"), _("%(conf)s置信区间") % {
            "conf": report.confidence}, _("回答人数")],
            [[o.label, percent(o.estimate.value), o.estimate.interval_text, str(o.estimate.n)]
             for o in item.options] or [["—", "—", "—", str(item.n)]],
            [CONTENT_WIDTH - 90 - 150 - 70, 90.0, 150.0, 70.0]))
        story.append(Spacer(0, 4))

    story.extend(pdf_heading(_("五、历次调查")))
    story.append(_table([_("调查"), _("调查期"), _("安全感指数"), _("置信区间"), _("受访人数")],
                        [[t.number, t.period, percent(t.value), interval(t.ci_low, t.ci_high),
                          str(t.n)] for t in report.trend] or [["—", "—", "—", "—", "—"]],
                        [CONTENT_WIDTH - 100 - 90 - 150 - 60, 100.0, 90.0, 150.0, 60.0]))
    r = report.round
    return build_pdf(story, title=report.title, author=r.area.name, subject=r.number)


# --- XLSX --------------------------------------------------------------------------------

def _share_row(sheet, values: list[Any], share_columns: tuple[int, ...]) -> None:
    sheet.append([cell_text(v) for v in values])
    for index in share_columns:
        cell = sheet.cell(row=sheet.max_row, column=index)
        if isinstance(cell.value, float):
            cell.number_format = SHARE_FORMAT


def survey_report_xlsx(report: SurveyReport) -> bytes:
    """Sheets: 概况与方法, 抽样层, 样本与应答, 安全感指数, 各题结果, 历次调查. Shares are
    numbers (fractions shown as percentages), texts are never formulas."""
    r = report.round
    book = Workbook()
    info = book.active
    info.title = _("概况与方法")
    info.append([cell_text(report.title)])
    info["A1"].font = Font(bold=True, size=14)
    header_row(info, [_("项目"), _("内容")])
    e = report.index
    rows: list[tuple[str, Any]] = [
        (_("调查编号"), r.number), (_("调查区域"), f"{r.area.name}({r.area_code})"),
        (_("调查期"), report.period), (_("有效样本"), report.responses),
        (_("安全感指数"), e.value if e else None),
        (_("置信区间下限"), e.ci_low if e else None),
        (_("置信区间上限"), e.ci_high if e else None),
        (_("置信水平"), float(r.confidence)),
        (_("回答安全感题人数"), e.n if e else 0),
        (_("设计效应"), e.deff if e else None),
        (_("目标"), report.target), (_("是否达到目标"), report.met_text),
        (_("抽样框"), r.get_frame_source_display()), (_("抽样框单位数"), r.frame_size),
        (_("抽样框摘要"), r.frame_digest), (_("分层方式"), r.get_stratification_display()),
        (_("样本分配"), r.get_allocation_display()), (_("随机种子"), r.seed),
        (_("样本摘要"), r.draw_digest), (_("n0"), report.size.n0),
        (_("有限总体校正后"), report.size.n_fpc), (_("目标完成样本量"), report.size.n_design),
        (_("抽取样本量"), report.size.n_issued),
    ]
    shares = {_("安全感指数"), _("置信区间下限"), _("置信区间上限"), _("目标"), _("置信水平")}
    for label, value in rows:
        _share_row(info, [label, value], (2,) if label in shares else ())
    info.append([])
    for line in report.method_lines():
        info.append([cell_text(line)])
    column_widths(info, [22, 70])

    strata = book.create_sheet(_("抽样层"))
    header_row(strata, [_("层"), _("区域"), _("抽样框单位数"), _("样本量"), _("备用样本"),
                        _("抽样间距"), _("随机起点"), _("已启用"), _("启用备用"), _("有效受访")])
    for s in report.strata:
        strata.append([cell_text(v) for v in (
            s.key, s.name, s.population, s.allocated, s.reserves, s.interval, s.start,
            s.released, s.reserves_used, s.respondents)])
    column_widths(strata, [12, 18, 12, 10, 10, 10, 10, 10, 10, 10])

    response = book.create_sheet(_("样本与应答"))
    header_row(response, [_("结果代码"), _("说明"), _("AAPOR 类别"), _("样本数")])
    for disposition in report.dispositions:
        response.append([cell_text(v) for v in disposition])
    response.append([])
    response.append([_("抽取样本"), report.issued])
    response.append([_("备用样本"), report.reserves_drawn])
    response.append([_("启用备用样本"), report.reserves_used])
    response.append([])
    for key, label in RATE_LABELS:
        _share_row(response, [label, report.rates.get(key)], (2,))
    response.append([cell_text(rate_notes())])
    column_widths(response, [14, 28, 12, 10])

    index = book.create_sheet(_("安全感指数"))
    header_row(index, [_("区域"), _("代码"), _("受访人数"), _("安全感指数"), _("置信区间下限"),
                       _("置信区间上限"), _("说明")])
    if e is not None:
        _share_row(index, [_("全部"), r.area_code, e.n, e.value, e.ci_low, e.ci_high, ""],
                   (4, 5, 6))
    for d in report.domains:
        de = d.estimate
        if d.published and de is not None:
            _share_row(index, [d.name, d.code, de.n, de.value, de.ci_low, de.ci_high, ""],
                       (4, 5, 6))
        else:
            index.append([cell_text(d.name), d.code, de.n if de else 0, None, None, None,
                          withheld()])
    column_widths(index, [18, 12, 10, 12, 12, 12, 20])

    items = book.create_sheet(_("各题结果"))
    header_row(items, [_("题目代码"), _("题目"), _("选项"), _("比例"), _("置信区间下限"),
                       _("置信区间上限"), _("回答人数")])
    for item in report.items:
        if item.kind == "text":
            items.append([item.key, cell_text(item.text), _("开放题(原文不列入)"), None, None,
                          None, item.n])
            continue
        for option in item.options:
            o = option.estimate
            _share_row(items, [item.key, item.text, option.label, o.value, o.ci_low,
                               o.ci_high, o.n], (4, 5, 6))
    column_widths(items, [12, 40, 16, 10, 12, 12, 10])

    trend = book.create_sheet(_("历次调查"))
    header_row(trend, [_("调查"), _("调查期"), _("安全感指数"), _("置信区间下限"),
                       _("置信区间上限"), _("受访人数")])
    for t in report.trend:
        _share_row(trend, [t.number, t.period, t.value, t.ci_low, t.ci_high, t.n], (3, 4, 5))
    column_widths(trend, [18, 16, 12, 12, 12, 10])
    return workbook_bytes(book)
