"""Tests of the notices app. `says(text)`: the text_key and params of a notice that says
`text` as written (the sentence "remind_text", which shows its words unchanged in every
language), for tests about sending, counting and delivering rather than wording."""

from __future__ import annotations

from typing import Any


def says(text: str) -> dict[str, Any]:
    return {"text_key": "remind_text", "params": {"text": text}}
