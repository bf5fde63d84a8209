"""The standard address's one text form, written out by hand."""

from __future__ import annotations

import pytest

from civicgrid.registry.addresses import standard_address


@pytest.mark.parametrize(("parts", "expected"), [
    ({"street": "城东街道", "road": "人民路", "house_number": "88", "building": "3幢", "unit": 1,
      "room": "301"}, "城东街道人民路88号3幢1单元301室"),
    ({"street": "城东街道", "road": " 人民路 ", "house_number": "８８", "building": "3 幢",
      "unit": 1, "room": "301室"}, "城东街道人民路88号3幢1单元301室"),  # spaces, full-width
    ({"street": "城东街道", "road": "人民路", "house_number": "88-1", "building": "综合楼"},
     "城东街道人民路88-1综合楼"),  # a door number that is not a bare number keeps its form
    ({"street": "城东街道", "building": "3幢"}, "城东街道3幢"),
    ({"street": "城东街道", "road": "g204国道", "building": "a座", "unit": 1, "room": "b1-02"},
     "城东街道G204国道A座1单元B1-02室"),  # Latin letters in capitals
    ({"street": "城东街道", "road": "人民路", "house_number": "88号"}, "城东街道人民路88号"),
])
def test_standard_address(parts, expected):
    assert standard_address(**parts) == expected
