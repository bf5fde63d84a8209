"""The social-stability risk assessment report (社会稳定风险评估报告) as an A4 PDF.

Built from an assessment of civicgrid/risk with the PDF furniture of the case documents
(civicgrid/cases/documents.py: embedded fonts, Chinese line breaking, numbered pages). It
lives here, with the other reports, because the risk module sits below cases in the layers
and the PDF machinery belongs to cases. The report is an official document: written in
Chinese whatever the reader's language, like the mediation agreement.
"""

from __future__ import annotations

from django.utils import timezone, translation
from reportlab.lib.enums import TA_JUSTIFY
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from civicgrid.cases.documents import (
    BODY,
    CELL,
    CELL_LABEL,
    CELL_SIZE,
    CONTENT_WIDTH,
    LABEL_FILL,
    SIGN,
    build_pdf,
    grid_style,
    paragraph,
    paragraph_style,
    pdf_heading,
    pdf_title,
    table_cell,
)
from civicgrid.risk.levels import clause_text
from civicgrid.risk.models import Assessment, Procedure

LABEL_WIDTH = 64.0
TEXT = paragraph_style("risk_text", CELL_SIZE + 0.5, 18, alignment=TA_JUSTIFY,
                       firstLineIndent=2 * (CELL_SIZE + 0.5))


def _lines(text: str, style=TEXT, empty: str = "无") -> list[Flowable]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return [paragraph(line, style) for line in lines] or [paragraph(empty, style)]


def _label(text: str) -> Flowable:
    return paragraph(text, CELL_LABEL)


def _date(value) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y年%m月%d日")


def render_assessment_report(assessment: Assessment) -> bytes:
    """The report of a rated assessment (its level set): facts, plan, opinions heard, risk
    items with their scores, the level with the clauses of the rule that gave it, the
    conclusion."""
    with translation.override("zh-hans"):
        return _render(assessment)


def _render(a: Assessment) -> bytes:
    matter = a.matter
    half = (CONTENT_WIDTH - 2 * LABEL_WIDTH) / 2
    procedure = a.get_procedure_display()
    if a.procedure == Procedure.SIMPLIFIED:
        procedure += f"(理由:{a.simplified_reason})"
    assessor = a.assessor_unit.name if a.assessor_unit else a.assessor_name
    people = matter.get_people_band_display()
    if matter.people_count is not None:
        people += f"(约{matter.people_count}人)"
    facts = Table([
        [_label("事项名称"), table_cell(matter.title), "", ""],
        [_label("事项编号"), table_cell(matter.number), _label("事项类别"),
         table_cell(matter.kind.name)],
        [_label("所属区域"), table_cell(matter.area.name), _label("涉及人数"), table_cell(people)],
        [_label("责任单位"), table_cell(matter.responsible_unit.name), _label("决策机关"),
         table_cell(matter.deciding_body)],
        [_label("评估主体"), table_cell(assessor), _label("评估轮次"),
         table_cell(f"第{a.round}轮")],
        [_label("评估程序"), table_cell(procedure), "", ""],
    ], colWidths=[LABEL_WIDTH, half, LABEL_WIDTH, half], style=grid_style(
        ("SPAN", (1, 0), (3, 0)), ("SPAN", (1, 5), (3, 5)),
        ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
        ("BACKGROUND", (2, 1), (2, 4), LABEL_FILL)))
    story: list[Flowable] = [pdf_title("社会稳定风险评估报告"), Spacer(0, 4), facts]

    story.extend(pdf_heading("一、事项概要"))
    story.extend(_lines(matter.summary))
    story.extend(pdf_heading("二、评估方案"))
    story.extend(_lines(a.plan))

    story.extend(pdf_heading("三、征求意见情况"))
    activities = list(a.activities.all())
    if activities:
        rows = [[_label("方式"), _label("日期"), _label("参与"), _label("情况记录")]]
        for act in activities:
            record = act.record
            if act.answered:
                record += (f"(有效问卷{act.answered}份:支持{act.support}、反对{act.oppose}、"
                           f"无所谓或不清楚{act.neutral})")
            rows.append([table_cell(act.get_kind_display()),
                         table_cell(act.held_on.strftime("%Y-%m-%d")),
                         table_cell(str(act.participants)), table_cell(record)])
        story.append(Table(rows, colWidths=[60, 70, 40, CONTENT_WIDTH - 170],
                           repeatRows=1, style=grid_style(("BACKGROUND", (0, 0), (-1, 0),
                                                           LABEL_FILL))))
    else:
        story.append(paragraph("未开展征求意见活动(简易程序)。", TEXT))

    story.extend(pdf_heading("四、风险点与防范化解措施"))
    items = list(a.items.all())
    if items:
        rows = [[_label("维度"), _label("风险描述"), _label("评分"), _label("防范化解措施"),
                 _label("责任"), _label("措施后")]]
        for item in items:
            rows.append([
                table_cell(item.get_dimension_display()), table_cell(item.description),
                table_cell(f"{item.likelihood}×{item.impact}={item.score}"),
                table_cell(item.mitigation or "无"), table_cell(item.owner or ""),
                table_cell(f"{item.residual_likelihood}×{item.residual_impact}="
                           f"{item.residual_score}")])
        wide = CONTENT_WIDTH - 50 - 62 - 62 - 62
        story.append(Table(rows, colWidths=[50, wide / 2, 62, wide / 2, 62, 62], repeatRows=1,
                           style=grid_style(("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL))))
        story.append(paragraph("评分 = 可能性(1-5)× 影响程度(1-5);等级按措施后的分值评定。", CELL))
    else:
        story.append(paragraph("未识别出风险点。", TEXT))

    story.extend(pdf_heading("五、风险等级"))
    rule = f"(依据风险等级评定规则第{a.level_rule.version}版)" if a.level_rule else ""
    story.append(paragraph(f"评定为{a.get_level_display()}{rule}。", BODY))
    story.extend(paragraph(f"· {clause_text(r)}", TEXT) for r in a.level_reasons)

    story.extend(pdf_heading("六、评估结论与建议"))
    story.extend(_lines(a.conclusion))

    signed = Table([[paragraph(f"评估主体:{assessor}", SIGN),
                     paragraph(f"定级日期:{_date(a.rated_at)}", SIGN)]],
                   colWidths=[CONTENT_WIDTH / 2, CONTENT_WIDTH / 2])
    story.extend([Spacer(0, 16), KeepTogether([signed])])
    return build_pdf(story, title=f"社会稳定风险评估报告 {matter.number}", author=assessor,
                     subject=matter.title)
