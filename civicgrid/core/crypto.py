"""Encryption of sensitive data at rest (PIPL Art. 28; 等保 2.0 数据保密性).

Keys come from FIELD_ENCRYPTION_KEYS (Fernet keys, newest first). Encryption uses the
newest; decryption tries each, so keys rotate by prepending a new key, re-encrypting
(`manage.py rotate_encryption_keys`), then removing the old one. Without configured keys
(the embedded default) a key is derived from SECRET_KEY; `check --deploy` reports an
error for a production deployment without keys (civicgrid.core.checks). The derived key
stays last in the list for decryption, so a deployment that starts without keys can add
them and re-encrypt with the rotate command.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    derived = hashlib.sha256(("civicgrid-field-key:" + secret_key).encode()).digest()
    all_keys = [*keys, base64.urlsafe_b64encode(derived).decode()]
    try:
        return MultiFernet([Fernet(k.encode()) for k in all_keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes)."
        ) from exc


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt_text(plain: str) -> str:
    return _current().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    return _current().decrypt(token.encode("ascii")).decode("utf-8")


def encrypt_bytes(plain: bytes) -> bytes:
    return _current().encrypt(plain)


def decrypt_bytes(token: bytes) -> bytes:
    return _current().decrypt(token)


def reencrypt_text(token: str) -> str:
    """Re-encrypt under the newest key (for key rotation)."""
    return _current().rotate(token.encode("ascii")).decode("ascii")


def keyed_hash(value: str, purpose: str) -> str:
    """A keyed hash for exact-match search of encrypted values (never reversible)."""
    key = hashlib.sha256(("civicgrid-search:" + purpose + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
