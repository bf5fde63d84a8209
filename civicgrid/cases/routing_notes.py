"""The routing note (分流说明): written in Chinese, shown in the reader's language (ADR 0009).

Routing explains its choice in one sentence of three kinds. The sentence is stored as the
record of what routing decided, always in the deployment's language (Chinese), whoever's
language was active when the case was filed or escalated. A page does not show the stored
text as it is: `display_note` recognises which of the three sentences it is and writes it
again through gettext, with the current names of the rule, specialty and unit where they
are still the ones the note speaks of. A note it does not recognise is shown as stored.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from civicgrid.cases.models import Case

RULE = gettext_noop("分流规则 #%(id)d:%(rule)s")
SPECIALTY = gettext_noop("按专业领域“%(s)s”匹配:%(u)s")
NO_MATCH = gettext_noop("无匹配规则,进入街道调度中心待派遣")

_RULE = re.compile(r"^分流规则 #(?P<id>\d+):(?P<rule>.*)$", re.S)
_SPECIALTY = re.compile(r"^按专业领域“(?P<s>.*?)”匹配:(?P<u>.*)$", re.S)

MAX_LENGTH = 200  # Case.routing_note


def stored_note(template: str, values: dict[str, object] | None = None) -> str:
    """One of the three sentences, in the deployment's language, cut to the column."""
    with translation.override(settings.LANGUAGE_CODE):
        text = _(template)
        if values is not None:
            text = text % {k: (v if isinstance(v, int) else str(v)) for k, v in values.items()}
    return text[:MAX_LENGTH]


def display_note(case: Case) -> str:
    """The case's routing note in the active language."""
    note = case.routing_note or ""
    if note == NO_MATCH:
        return _(NO_MATCH)
    match = _RULE.match(note)
    if match:
        rule_id = int(match["id"])
        rule = case.routing_rule if case.routing_rule_id == rule_id else None
        return _(RULE) % {"id": rule_id, "rule": str(rule) if rule else match["rule"]}
    match = _SPECIALTY.match(note)
    if match:
        specialty = case.category.specialty
        name = specialty.display_name() if specialty is not None and \
            specialty.name == match["s"] else match["s"]
        return _(SPECIALTY) % {"s": name, "u": match["u"]}
    return note
