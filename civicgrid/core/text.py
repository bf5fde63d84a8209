"""Text that every format we write can carry.

XML 1.0 allows only tab, line feed, carriage return and the characters from U+0020 up,
without the surrogates and U+FFFE/U+FFFF (https://www.w3.org/TR/xml/#charsets). A text
pasted from Word carries a vertical tab for each soft line break (Shift+Enter), a form feed
for a page break; other programs leave NUL and other C0 controls; a broken client may send
a lone surrogate (which UTF-8 cannot even encode). One such character in one case's
description made every XML list that included the case unparseable for every client.
"""

from __future__ import annotations

import re

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
