"""Form widgets rendered in Python where Django's templates cost too much.

Django renders a `<select>` through one template and one template include per option; the
case list's filters have a few hundred options (every street and community in the reader's
scope, the categories) and rendering them took about a fifth of the page. `QuickSelect`
writes the same HTML with `format_html`, so pages look and behave exactly as before.
"""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict) -> str:
    """Attributes as Django's django/forms/widgets/attrs.html writes them."""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items() if value is not False)


class QuickSelect(forms.Select):
    """A single-choice `<select>`, byte for byte what forms.Select renders."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        # The layout (newlines, indents) of django/forms/widgets/select.html and option.html.
        parts = [format_html('<select name="{}"', widget["name"]), _attrs(widget["attrs"]), ">"]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            parts.extend(
                format_html('\n  <option value="{}"', option["value"]) + _attrs(option["attrs"])
                + format_html(">{}</option>\n", option["label"])
                for option in options)
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308  (every part went through format_html)
