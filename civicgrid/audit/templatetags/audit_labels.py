"""`{% load audit_labels %}` `{{ entry.event_type|event_label }}`: an audit event type's label
in the reader's language (civicgrid/audit/events.py LABELS)."""

from django import template

from civicgrid.audit.events import event_label as _event_label

register = template.Library()


@register.filter
def event_label(value):
    return _event_label(str(value))
