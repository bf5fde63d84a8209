"""The standard address (标准地址) in its one normalised text form.

A place is named street/road (街路巷), door number (门牌号), building (楼栋), unit (单元),
room (室). People and other systems write the same place with full-width digits, spaces and
lower-case letters, so a place is stored with one text made the same way every time: NFKC
(full-width to ASCII), whitespace removed, Latin letters in capitals
(`core.idnumbers.clean_code`), the door number followed by 号 when it is a bare number, the
unit by 单元 and the room by 室. The street's name leads. Matching an imported row to a
building or room compares these texts (issue 16); other spellings of the same place ("3号楼"
for "3幢", "1-301" for 1单元301室) are not reconciled here.
"""

from __future__ import annotations

from civicgrid.core.idnumbers import clean_code as _clean


def standard_address(*, street: str, road: str = "", house_number: str = "",
                     building: str = "", unit: int | None = None, room: str = "") -> str:
    """`城东街道人民路88号3幢1单元301室`: the parts that are given, in that order."""
    number = _clean(house_number)
    if number.isdigit():
        number += "号"
    parts = [_clean(street), _clean(road), number, _clean(building)]
    if unit is not None:
        parts.append(f"{unit}单元")
    room_text = _clean(room)
    if room_text:
        parts.append(room_text if room_text.endswith("室") else f"{room_text}室")
    return "".join(parts)
