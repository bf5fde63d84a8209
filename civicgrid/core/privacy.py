"""Sealed personal values: the one treatment of a citizen ID, another document number or a
phone, whichever module holds it (cases' parties, the registry's people, later imports).

A sealed value is kept as three columns: the value encrypted (`core.crypto`), a keyed hash
for exact search (the same purpose everywhere, so an ID number typed at intake finds the
registered person), and a mask for display (`core.masking`). Phones also keep their last four
digits (residents' tracking look-ups). The caller validates and normalises first
(`core.idnumbers`, the phone rule in cases.services.parties); showing a sealed value in clear
goes through `civicgrid.audit.privacy.reveal_sealed` (permission, reason, access record).
"""

from __future__ import annotations

from dataclasses import dataclass

from civicgrid.core.crypto import decrypt_text, encrypt_text, keyed_hash
from civicgrid.core.masking import mask_id_number, mask_phone, phone_last4

ID_NUMBER_PURPOSE = "id_number"
PHONE_PURPOSE = "phone"


@dataclass(frozen=True)
class Sealed:
    encrypted: str = ""
    hash: str = ""
    masked: str = ""
    last4: str = ""


def document_purpose(document_type: str) -> str:
    """The keyed hash's purpose for a document number: citizen IDs share one with the case
    module's parties; other documents (passports…) have one per type."""
    return ID_NUMBER_PURPOSE if document_type in ("", "id_card") else f"document:{document_type}"


def document_hash(normalized: str, document_type: str = "id_card") -> str:
    """The keyed hash alone (to find or compare a document without encrypting it)."""
    return keyed_hash(normalized, document_purpose(document_type)) if normalized else ""


def phone_hash(digits: str) -> str:
    return keyed_hash(digits, PHONE_PURPOSE) if digits else ""


def seal_document(normalized: str, document_type: str = "id_card") -> Sealed:
    """A normalised document number, sealed ("" gives the empty seal)."""
    if not normalized:
        return Sealed()
    return Sealed(encrypted=encrypt_text(normalized),
                  hash=document_hash(normalized, document_type),
                  masked=mask_id_number(normalized))


def seal_phone(digits: str) -> Sealed:
    """A normalised phone number (national digits, a landline's extension after a hyphen),
    sealed; the mask and the last four leave out the extension."""
    if not digits:
        return Sealed()
    number = digits.split("-")[0]
    return Sealed(encrypted=encrypt_text(digits), hash=phone_hash(digits),
                  masked=mask_phone(number), last4=phone_last4(number))


def unseal(encrypted: str) -> str:
    """The clear value of a sealed column ("" for none). Only for a reveal that has been
    allowed and recorded, or a document printed for the person it names."""
    return decrypt_text(encrypted) if encrypted else ""
