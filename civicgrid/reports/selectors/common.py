"""What the analysis reports and the safety data release share: the years one may be asked
for, month arithmetic, the category index (labels and the code prefixes behind each
kind's links) and the relative change printed beside a count."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from civicgrid.cases.models import Category
from civicgrid.core.localized import localized
from civicgrid.core.periods import add_months as add_months  # re-exported for the reports

YEARS = (2000, 2100)  # the years a report or release may be asked for


# --- categories --------------------------------------------------------------------------

@dataclass(frozen=True)
class CategoryInfo:
    pk: int
    code: str
    name: str
    kind: str
    top_code: str  # the shortest existing code that prefixes this one (its top group)
    kind_prefix: str  # the shortest code prefix whose categories are all of this kind
    name_en: str = ""

    @property
    def display_name(self) -> str:
        """The name in the reader's language (ADR 0009)."""
        return localized(self)


@dataclass(frozen=True)
class CategoryIndex:
    by_pk: dict[int, CategoryInfo]
    by_code: dict[str, CategoryInfo]

    def label(self, pk: int) -> str:
        info = self.by_pk[pk]
        top = self.by_code.get(info.top_code)
        if top is None or top.code == info.code:
            return info.display_name
        return f"{top.display_name} · {info.display_name}"


def category_index() -> CategoryIndex:
    """Every category with its top group and the code prefix that lists exactly the cases of
    its kind (the case list filters categories by code prefix), in one query.

    A prefix P is "pure" when every category whose code starts with P has the same kind;
    a category's kind prefix is its shortest pure prefix. In the built-in taxonomy that is
    the top group (01 矛盾纠纷, 02 民生服务, 03 安全隐患, 04 突发事件, 05 信访).
    """
    rows = list(Category.objects.order_by("code")
                .values_list("pk", "code", "name", "kind", "name_en"))
    codes = {code for _pk, code, _name, _kind, _en in rows}
    kinds_under: dict[str, set[str]] = defaultdict(set)
    for _pk, code, _name, kind, _en in rows:
        for length in range(1, len(code) + 1):
            if code[:length] in codes:
                kinds_under[code[:length]].add(kind)
    by_pk: dict[int, CategoryInfo] = {}
    for pk, code, name, kind, name_en in rows:
        prefixes = [code[:n] for n in range(1, len(code) + 1) if code[:n] in codes]
        top = next((p for p in prefixes if len(p) >= 2), code)
        pure = next((p for p in prefixes if kinds_under[p] == {kind}), "")
        by_pk[pk] = CategoryInfo(pk, code, name, kind, top, pure, name_en)
    return CategoryIndex(by_pk, {info.code: info for info in by_pk.values()})


def change(current: int, base: int) -> Decimal | None:
    """(current − base) ÷ base × 100, one decimal, half up; None when base is 0."""
    if base <= 0:
        return None
    value = Decimal(current - base) * 100 / Decimal(base)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
