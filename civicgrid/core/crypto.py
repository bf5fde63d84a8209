"""Encryption of sensitive data at rest (PIPL Art. 28; 等保 2.0 数据保密性).

Keys come from FIELD_ENCRYPTION_KEYS (Fernet keys, newest first). Encryption uses the
newest; decryption tries each, so keys rotate by prepending a new key, re-encrypting
(`manage.py rotate_encryption_keys`), then removing the old one. Without configured keys
(local and test settings only; production refuses to start, see core.checks) a key is
derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = hashlib.sha256(("civicgrid-field-key:" + secret_key).encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt_text(plain: str) -> str:
    return _current().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    return _current().decrypt(token.encode("ascii")).decode("utf-8")


def reencrypt_text(token: str) -> str:
    """Re-encrypt under the newest key (for key rotation)."""
    return _current().rotate(token.encode("ascii")).decode("ascii")


def keyed_hash(value: str, purpose: str) -> str:
    """A keyed hash for exact-match search of encrypted values (never reversible)."""
    key = hashlib.sha256(("civicgrid-search:" + purpose + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
