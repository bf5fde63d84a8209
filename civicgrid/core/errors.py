"""Errors that every channel (pages, the JSON API, Open311, the portal) reports alike."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class RuleViolation(ValidationError):
    """The input is well formed but a rule of the service refuses it: a unit that may not
    take the case, a place outside the actor's jurisdiction, a hand-off to the wrong kind of
    institution. Pages show the message on the field it names (it is a ValidationError);
    the JSON API answers 409 `rule_violation` with the same message; nothing changed."""
