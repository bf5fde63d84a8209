"""What an import never brings in (BRIEF.md, scope; docs/security.md).

Exchange files from other systems carry columns civicgrid never stores: religion or belief,
HIV status, political attitude, "key person" and control (管控) flags, petitioner marks,
credit scores, blacklists, plates. Such a column is dropped when the header is read, before
any row is staged: its values reach no table, log or report — the report says only how many
values were dropped and the headers. A file whose every row is of an excluded kind (an HIV
register, a list of believers or of petitioners: the row's category column names an excluded
register) is refused whole; single rows of such a kind are dropped by policy.
"""

from __future__ import annotations

import re
import unicodedata

FORBIDDEN_HEADER = re.compile(
    r"宗教|信仰|信教|教派|艾滋|hiv|aids|感染者|政治态度|政治倾向|思想动态|重点人口|重点人员|"
    r"重点人|管控|布控|稳控|上访|访民|信访人员|信用分|黑名单|车牌|人脸|"
    r"relig|belief|faith|politic\w*(attitude|view|stance)|keyperson|watchlist|blacklist|"
    r"creditscore|petition|plate", re.IGNORECASE)

# The headers that say what kind of record a row is (人员类别…): a value naming an excluded
# register makes the row one civicgrid will not hold.
CATEGORY_HEADER = re.compile(r"人员类别|人员分类|特殊人群类别|人群类别|类别|category", re.I)
EXCLUDED_KIND = re.compile(
    r"艾滋|hiv|aids|感染者|宗教|信教|信徒|重点人|管控|稳控|上访|访民|信访", re.IGNORECASE)


def _folded(text: str) -> str:
    return re.sub(r"[\s_]", "", unicodedata.normalize("NFKC", text or ""))


def forbidden_header(header: str) -> bool:
    return bool(FORBIDDEN_HEADER.search(_folded(header)))


def category_header(header: str) -> bool:
    return bool(CATEGORY_HEADER.search(_folded(header)))


def excluded_kind(value: str) -> bool:
    """The value of a category column names a register civicgrid never keeps."""
    return bool(EXCLUDED_KIND.search(_folded(value)))
