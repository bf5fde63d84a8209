"""KPI indicators (目标管理考核): numerator, denominator and factor over the rollup measures.

    结案率      = 结案数 ÷ (应结案数 − 缓办数) × 100%
    按期结案率  = 按期结案数 ÷ (应结案数 − 缓办数) × 100%
    调处成功率  = 调解成功数 ÷ 调处数 × 100%            (disputes whose mediation ended)
    初信初访化解率 = 初信初访化解数 ÷ 初信初访数 × 100%  (first petitions, closed resolved)
    回访满意率  = 回访满意数 (4–5 星) ÷ 回访数 × 100%
    村(社区)/镇(街道)/区县化解占比 = closed at that level ÷ 结案数 × 100%  (小事不出村)
    周排查上报率 / 及时率 = reports (zero reports included) / on time ÷ expected reporters
    群众安全感指数 = the latest closed safety survey's weighted share answering 很安全 / 安全 /
                     基本安全 (civicgrid/surveys/figures.py: the area's own round, or its
                     result in a round above, or that round as a whole), with its 95%
                     interval; target: the administrator's, else the round's own (90%).
                     A suppressed estimate (n < 100 or a half-width above 5 points) is
                     shown marked 样本不足,仅供参考: neither met nor unmet, never ranked

Every term is a sum of measures with a sign, so each number also defines the case list
behind it (civicgrid/stats/selectors.py drilldown_q).

`DIRECTION` says, figure by figure and written by hand, whether a rise is good news: the
colour of every change the dashboard shows, the order of the KPI rankings and what "met"
means against a target all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from civicgrid.core.numbers import ratio
from civicgrid.stats.models import Indicator

if TYPE_CHECKING:
    from civicgrid.surveys.figures import AreaIndex

Terms = tuple[tuple[str, int], ...]  # ((measure, +1/-1), ...)


@dataclass(frozen=True)
class IndicatorDef:
    code: Indicator
    numerator: Terms
    denominator: Terms
    factor: int = 100
    # "cases" (the rollup), "checks" (weekly checks) or "surveys" (the safety survey: no
    # numerator or denominator, a weighted estimate with its interval; see SurveyKpiValue)
    source: str = "cases"

    @property
    def label(self):
        return self.code.label


DUE_NOT_SUSPENDED: Terms = (("due", 1), ("suspended", -1))

INDICATORS: dict[str, IndicatorDef] = {d.code: d for d in (
    IndicatorDef(Indicator.CLOSURE_RATE, (("closed", 1),), DUE_NOT_SUSPENDED),
    IndicatorDef(Indicator.ON_TIME_RATE, (("closed_on_time", 1),), DUE_NOT_SUSPENDED),
    IndicatorDef(Indicator.MEDIATION_SUCCESS, (("mediated", 1),), (("mediation_total", 1),)),
    IndicatorDef(Indicator.FIRST_PETITION_RESOLUTION, (("first_petitions_resolved", 1),),
                 (("first_petitions", 1),)),
    IndicatorDef(Indicator.SATISFACTION, (("satisfied", 1),), (("followed_up", 1),)),
    IndicatorDef(Indicator.CLOSED_AT_COMMUNITY, (("closed_community", 1),), (("closed", 1),)),
    IndicatorDef(Indicator.CLOSED_AT_STREET, (("closed_street", 1),), (("closed", 1),)),
    IndicatorDef(Indicator.CLOSED_AT_COUNTY, (("closed_county", 1),), (("closed", 1),)),
    IndicatorDef(Indicator.CHECK_COMPLETENESS, (("reports", 1),), (("expected", 1),),
                 source="checks"),
    IndicatorDef(Indicator.CHECK_TIMELINESS, (("on_time", 1),), (("expected", 1),),
                 source="checks"),
    IndicatorDef(Indicator.SAFETY_INDEX, (), (), source="surveys"),
)}

# Whether a rise of a figure is good news (written by hand, one row per figure shown with a
# change or ranked; docs/statistics.md explains each). A figure missing here has no colour
# decided for it: `tone` raises KeyError, so whoever shows a new figure decides.
HIGHER_IS_BETTER, NEUTRAL, LOWER_IS_BETTER = 1, 0, -1
DIRECTION: dict[str, int] = {
    # indicators (rates, %)
    Indicator.CLOSURE_RATE: HIGHER_IS_BETTER,
    Indicator.ON_TIME_RATE: HIGHER_IS_BETTER,
    Indicator.MEDIATION_SUCCESS: HIGHER_IS_BETTER,
    Indicator.FIRST_PETITION_RESOLUTION: HIGHER_IS_BETTER,
    Indicator.SATISFACTION: HIGHER_IS_BETTER,
    Indicator.CLOSED_AT_COMMUNITY: HIGHER_IS_BETTER,  # 小事不出村
    Indicator.CLOSED_AT_STREET: NEUTRAL,  # more here can mean less at the community
    Indicator.CLOSED_AT_COUNTY: LOWER_IS_BETTER,  # 矛盾不上交
    Indicator.CHECK_COMPLETENESS: HIGHER_IS_BETTER,
    Indicator.CHECK_TIMELINESS: HIGHER_IS_BETTER,
    Indicator.SAFETY_INDEX: HIGHER_IS_BETTER,
    # counts (measures of civicgrid/stats/measures.py)
    "registered": NEUTRAL,  # more reports may be more trust as much as more trouble
    "closed": HIGHER_IS_BETTER,
    "closed_on_time": HIGHER_IS_BETTER,
    "closed_in_month": HIGHER_IS_BETTER,
    "open": LOWER_IS_BETTER,
    "overdue": LOWER_IS_BETTER,  # 超期数
    "major": LOWER_IS_BETTER,
    "group": LOWER_IS_BETTER,
}


def tone(figure: str, change: Decimal | int | None) -> str:
    """"good", "bad" or "neutral" for a change of `figure`; "" for no change (0 or none).
    KeyError for a figure `DIRECTION` does not list."""
    direction = DIRECTION[figure]
    if not change:
        return ""
    if direction == NEUTRAL:
        return "neutral"
    return "good" if (change > 0) == (direction == HIGHER_IS_BETTER) else "bad"


TWO_PLACES = Decimal("0.01")


def evaluate(terms: Terms, totals: dict[str, int]) -> int:
    return sum(sign * totals.get(name, 0) for name, sign in terms)


@dataclass(frozen=True)
class KpiValue:
    indicator: IndicatorDef
    numerator: int
    denominator: int
    value: Decimal | None
    target: Decimal | None

    @property
    def met(self) -> bool | None:
        """At least the target; at most it for a figure where lower is better."""
        if self.value is None or self.target is None:
            return None
        if DIRECTION.get(self.indicator.code) == LOWER_IS_BETTER:
            return self.value <= self.target
        return self.value >= self.target

    @property
    def gap(self) -> Decimal | None:
        if self.value is None or self.target is None:
            return None
        return self.value - self.target


@dataclass(frozen=True)
class SurveyKpiValue(KpiValue):
    """群众安全感指数: an estimate, not a ratio of counts (numerator and denominator are 0).
    `survey` is the civicgrid.surveys.figures.AreaIndex it comes from (None: no round yet),
    `target_source` "kpi" (the administrator's target) or "round" (the round's own)."""

    survey: AreaIndex | None = None
    target_source: str = ""

    @property
    def suppressed(self) -> bool:
        """The estimate is too weak to publish (样本不足): shown for reference only, never
        judged against the target nor ranked, withheld from the public release."""
        return self.survey is not None and self.survey.suppressed

    @property
    def met(self) -> bool | None:
        return None if self.suppressed else super().met

    @property
    def gap(self) -> Decimal | None:
        return None if self.suppressed else super().gap

    @property
    def ci_low(self) -> Decimal | None:
        return self.survey.ci_low_percent if self.survey is not None else None

    @property
    def ci_high(self) -> Decimal | None:
        return self.survey.ci_high_percent if self.survey is not None else None

    @property
    def basis_text(self) -> str:
        """Whose figure it is, in words (the page shows it beside the value)."""
        survey = self.survey
        if survey is None:
            return str(_("暂无调查"))
        if survey.basis == "own":
            return str(_("本区域调查"))
        if survey.basis == "domain":
            return str(_("%(round)s中%(area)s的结果") % {"round": survey.round.title,
                                                    "area": survey.area_name})
        return str(_("%(round)s总体结果(本区域无单独结果)") % {"round": survey.round.title})


def survey_kpi(definition: IndicatorDef, survey: AreaIndex | None,
               target: Decimal | None = None) -> SurveyKpiValue:
    """The safety index of an area (`survey`: an AreaIndex or None) against `target` (the
    administrator's, in %), else the round's own target."""
    source = "kpi" if target is not None else ""
    if target is None and survey is not None:
        target, source = survey.target_percent, "round"
    return SurveyKpiValue(definition, 0, 0, survey.percent if survey is not None else None,
                          target, survey=survey, target_source=source)


def kpi_value(definition: IndicatorDef, totals: dict[str, int],
              target: Decimal | None = None) -> KpiValue:
    numerator = evaluate(definition.numerator, totals)
    denominator = evaluate(definition.denominator, totals)
    return KpiValue(definition, numerator, denominator,
                    ratio(numerator, denominator, definition.factor), target)
