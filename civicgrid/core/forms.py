"""Form plumbing every app's pages share: Tabler/Bootstrap classes on every widget, the
invalid state after errors, live counters on long texts, date and datetime inputs. Forms
parse and validate what people type; the rules are the services'."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from civicgrid.core.widgets import QuickSelect

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DATETIME_INPUTS = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_LOCAL)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


TOO_LONG = _("最多%(limit_value)d个字,现有%(show_value)d个字,请删减后再提交。")


def counted(widget: forms.Widget, limit: int) -> forms.Widget:
    """A long text with a live counter (core/static/core/counter.js reads data-maxlength)
    instead of the maxlength attribute, with which a browser cuts a pasted text silently:
    the whole text is sent and a longer one is refused with the limit (the form, and the
    service that writes). Without script the refusal says the limit all the same."""
    widget.attrs.pop("maxlength", None)
    widget.attrs["data-maxlength"] = str(limit)
    widget.attrs["data-over-text"] = _("超出{n}个字,请删减")
    return widget


class StyledForm(forms.Form):
    """Gives every widget its Tabler/Bootstrap class, and the invalid state after errors.
    A long text (a textarea with a limit) gets its live counter (`counted`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            limit = getattr(field, "max_length", None)
            if limit:
                field.error_messages.setdefault("max_length", TOO_LONG)
                if isinstance(widget, forms.Textarea):
                    counted(widget, limit)
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect
                          | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
                if type(widget) is forms.Select:  # same HTML, without a template per option
                    widget.__class__ = QuickSelect
            elif isinstance(widget, forms.HiddenInput):
                continue
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def full_clean(self):
        super().full_clean()
        if self.is_bound:
            for name in self.errors:
                if name in self.fields:
                    widget = self.fields[name].widget
                    widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
                    widget.attrs["aria-invalid"] = "true"


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal on the form: each message on the field it names, the rest on
    the whole form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        field = name if name in form.fields else None
        for message in messages:
            form.add_error(field, message)


def saved_with(request: HttpRequest, form: Any, call: Callable[[Any], object], done: str
               ) -> bool:
    """Run a service with a valid form's input on a page of its own: True when it was
    saved (its message queued), False when the form or the service refused (the errors on
    the form, which the page shows again with what was typed). A refusal for scope answers
    like a missing record."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        call(form)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    flash.success(request, done)
    return True


def acted_with(request: HttpRequest, call: Callable[[], object], done: str) -> None:
    """Run a service for a button without a form: its refusal becomes the page's message,
    its success the next page's (the caller redirects). A refusal for scope answers like a
    missing record."""
    try:
        call()
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, done)
