"""Tracking codes (查询码): what a resident keeps to look a case up, instead of its number.

The case number (320602-20260101-00001) is sequential: knowing one, anyone can guess the
next. A tracking code is random and says nothing about the case:

- 8 symbols drawn with `secrets` from Crockford's base-32 alphabet (digits and capital
  letters without I, L, O and U, which are mistaken for 1, 1, 0 and V), i.e. 40 bits;
- then 1 check symbol from the same alphabet (Luhn mod 32), which catches every single
  mistyped symbol and most swaps of two neighbours before the database is asked;
- stored as the 9 symbols (`ABCD2345K`), shown in groups for reading aloud: `ABCD-2345-K`.

Input is read leniently: any case, spaces, hyphens and full-width characters are accepted,
and the letters Crockford maps (O → 0, I and L → 1) are read as the digits they look like.
"""

from __future__ import annotations

import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
PAYLOAD_LENGTH = 8
LENGTH = PAYLOAD_LENGTH + 1  # with the check symbol
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = frozenset(" -_.·\u00a0\u2010\u2011\u2012\u2013\u2014\u2212")


def check_symbol(payload: str) -> str:
    """The Luhn mod 32 check symbol of `payload` (symbols of ALPHABET)."""
    n = len(ALPHABET)
    total, factor = 0, 2
    for symbol in reversed(payload):
        addend = factor * ALPHABET.index(symbol)
        total += addend // n + addend % n
        factor = 3 - factor  # 2, 1, 2, 1, ... from the right
    return ALPHABET[(n - total % n) % n]


def new_tracking_code() -> str:
    """A fresh random code with its check symbol (9 symbols, no separators)."""
    payload = "".join(secrets.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH))
    return payload + check_symbol(payload)


def parse_tracking_code(raw: str) -> str | None:
    """The stored form of what a resident typed, or None when it cannot be a tracking code
    (wrong length, a symbol outside the alphabet, or a check symbol that does not match)."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    text = "".join(ch for ch in text if ch not in _SEPARATORS and not ch.isspace())
    text = text.translate(_READ_AS)
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    payload, check = text[:PAYLOAD_LENGTH], text[PAYLOAD_LENGTH:]
    return text if check_symbol(payload) == check else None


def format_tracking_code(code: str) -> str:
    """`ABCD2345K` → `ABCD-2345-K`, for reading aloud and copying down."""
    if len(code) != LENGTH:
        return code
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"
