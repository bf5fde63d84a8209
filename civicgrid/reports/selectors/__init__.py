"""Reads of the reports app, by concern (docs/reports.md explains every number):

    analysis.py      the weekly, monthly and quarterly analysis reports of an area
    release.py       the monthly safety data release: live data, public version, published
    presentation.py  what pages and exports print: tables of linked cells, release lines
    common.py        what they share: month arithmetic, the category index, changes

Every read that returns something a user sees takes the reader (`actor`) and applies the
reader's scope itself; an area outside it answers like a missing one (Area.DoesNotExist,
404 in pages). The names below are the app's public read API.
"""

from __future__ import annotations

from civicgrid.reports.selectors.analysis import (
    BROWSE_LEVELS,
    CASE_INDICATORS,
    CATEGORY_MEASURES,
    COMPARED,
    MONTHLY_TREND,
    OVERDUE_LIMIT,
    REPORT_KINDS,
    TOP_GRIDS,
    WEEKLY_TREND,
    AnalysisReport,
    OverdueLine,
    Span,
    analysis_report,
    report_areas,
    report_children,
    report_span,
)
from civicgrid.reports.selectors.common import (
    YEARS,
    CategoryIndex,
    CategoryInfo,
    add_months,
    category_index,
    change,
)
from civicgrid.reports.selectors.presentation import (
    Cell,
    Part,
    ReleaseCell,
    ReleaseChild,
    ReleaseLine,
    ReleaseView,
    Row,
    Table,
    release_view,
)
from civicgrid.reports.selectors.release import (
    COLUMNS,
    FLAG_MINIMUM,
    FLAG_TOP,
    RELEASE_LEVELS,
    RELEASE_MEASURES,
    RELEASE_PARTS,
    RELEASE_TOTAL,
    SCHEMA,
    public_release,
    public_release_for,
    public_releases,
    release_data,
    release_label,
    release_month,
    release_published,
    release_snapshot,
    release_versions,
    releases_in_scope,
)

__all__ = [
    "AnalysisReport",
    "BROWSE_LEVELS",
    "CASE_INDICATORS",
    "CATEGORY_MEASURES",
    "COLUMNS",
    "COMPARED",
    "CategoryIndex",
    "CategoryInfo",
    "Cell",
    "FLAG_MINIMUM",
    "FLAG_TOP",
    "MONTHLY_TREND",
    "OVERDUE_LIMIT",
    "OverdueLine",
    "Part",
    "RELEASE_LEVELS",
    "RELEASE_MEASURES",
    "RELEASE_PARTS",
    "RELEASE_TOTAL",
    "REPORT_KINDS",
    "ReleaseCell",
    "ReleaseChild",
    "ReleaseLine",
    "ReleaseView",
    "Row",
    "SCHEMA",
    "Span",
    "TOP_GRIDS",
    "Table",
    "WEEKLY_TREND",
    "YEARS",
    "add_months",
    "analysis_report",
    "category_index",
    "change",
    "public_release",
    "public_release_for",
    "public_releases",
    "release_data",
    "release_label",
    "release_month",
    "release_published",
    "release_snapshot",
    "release_versions",
    "release_view",
    "releases_in_scope",
    "report_areas",
    "report_children",
    "report_span",
]
