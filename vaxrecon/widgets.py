"""Widgets whose HTML is built in Python: the same markup as Django's templates give, for the
fields a page repeats many times (the case page has a dose form per record of the person, each
with three selects: through the templates, an include per option, 3-4 ms a form)."""

from __future__ import annotations

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


def attributes(attrs: dict) -> str:
    """Django's widgets/attrs.html: ' name="value"' each, a True value bare, a False one left out."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value)))
    return "".join(parts)


class PlainSelect(forms.Select):
    """forms.Select rendered without a template per option (widgets/select.html and
    select_option.html, byte for byte: tests/foundation/test_plain_select.py holds them equal)."""

    def _render(self, template_name, context, renderer=None) -> SafeString:
        widget = context["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), attributes(widget["attrs"]), ">"]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                parts.append(format_html('\n  <option value="{}"', str(option["value"])))
                parts.append(attributes(option["attrs"]))
                # "\n": select_option.html, included per option, ends with a line break
                parts.append(">" + conditional_escape(option["label"]) + "</option>\n")
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # nosec B308 B703 # every part above is escaped
