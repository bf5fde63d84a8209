"""Text that every format we write can carry.

XML 1.0 allows only tab, line feed, carriage return and the characters from U+0020 up,
without the surrogates and U+FFFE/U+FFFF (https://www.w3.org/TR/xml/#charsets). A text
pasted from Word carries a vertical tab for each soft line break (Shift+Enter), a form feed
for a page break; other programs leave NUL and other C0 controls; a broken client may send
a lone surrogate (which UTF-8 cannot even encode). One such character in one case's
description made every XML list that included the case unparseable for every client.
"""

from __future__ import annotations

import json
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _

# Word's soft line break (VT) and page break (FF): a line break is what the writer meant.
_BREAKS = re.compile("[\x0b\x0c]")
# Everything else outside XML 1.0's Char production.
_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` with only characters XML 1.0 allows: a vertical tab or form feed becomes a
    line break; NUL and the other C0 controls, U+FFFE/U+FFFF and lone surrogates are
    dropped. Everything printable (Chinese, emoji, line breaks) is kept as is."""
    if text.isprintable():  # the usual case: nothing to do (and no regex)
        return text
    return _FORBIDDEN.sub("", _BREAKS.sub("\n", text))


# --- what no database text column can hold -------------------------------------------------
# PostgreSQL refuses U+0000 in every text value ("text fields cannot contain NUL"), and no
# database can store a lone surrogate (UTF-8 cannot encode it; a JSON body can carry one as
# "\ud800"). Either in a path, a query argument or a body field reached the database as a
# 500. Django's form fields refuse NUL already (ProhibitNullCharactersValidator) and decode
# forms and URLs without surrogates; the rest is screened at the edge: RefuseNulMiddleware
# (pages), the JSON API's middleware, Open311's body reader.
NUL = "\x00"
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unstorable_text(text: str) -> bool:
    return NUL in text or (not text.isprintable() and _SURROGATE.search(text) is not None)


def unstorable_in(value: object) -> bool:
    """Does `value` (a text, or JSON-like lists and dicts of them, keys included) hold NUL
    or a lone surrogate?"""
    if isinstance(value, str):
        return _unstorable_text(value)
    if isinstance(value, dict):
        return any(unstorable_in(k) or unstorable_in(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(unstorable_in(v) for v in value)
    return False


def unstorable_in_request(request: HttpRequest, *, body: bool) -> str | None:
    """Where a request holds text no database can store — "path", "query", "body" — or
    None. `body`: look at a JSON or form body too; a JSON body that does not parse is left
    to the view to refuse, while a form body that does not parse raises Django's error
    here (MultiPartParserError, SuspiciousOperation…): reading it again later would find
    it silently empty."""
    if unstorable_in(request.path):
        return "path"
    if any(unstorable_in(key) or unstorable_in(values) for key, values in request.GET.lists()):
        return "query"
    if body and request.method in ("POST", "PUT", "PATCH"):
        if (request.content_type or "") == "application/json":
            try:
                data = json.loads(request.body or b"null")
            except ValueError:
                return None
            return "body" if unstorable_in(data) else None
        if any(unstorable_in(key) or unstorable_in(values)
               for key, values in request.POST.lists()):
            return "body"
    return None


def refuse_too_long(text: str, limit: int, field: str, label: object) -> str:
    """`text` if it is at most `limit` characters; else a refusal that says the limit and
    how many there are (never cut silently: the person decides what to leave out)."""
    if len(text) > limit:
        raise ValidationError({field: _("%(label)s最多%(limit)d个字,现有%(n)d个字,请删减后再提交。")
                               % {"label": label, "limit": limit, "n": len(text)}})
    return text


def refuse_longer_than_field(model: type[models.Model], name: str, text: str,
                             field: str | None = None) -> str:
    """`refuse_too_long` with the limit and label of the model field that stores `text`
    (a CharField's max_length): what does not fit is refused, never cut."""
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.CharField) and model_field.max_length
    return refuse_too_long(text, model_field.max_length, field or name,
                           model_field.verbose_name)
