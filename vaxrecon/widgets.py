"""Form HTML built in Python: the same markup as Django's templates give, for what a page repeats
many times (the case page has a dose form per record of the person, each with three selects and
five labelled fields: through the templates, an include per option and three templates per
field, 3-4 ms a form)."""

from __future__ import annotations

from django import forms
from django.forms.renderers import DjangoTemplates
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


def _field_group(context) -> str:
    """django/forms/field.html, stripped as the renderer strips it."""
    field = context["field"]
    if field.use_fieldset:
        described = field.aria_describedby
        described = format_html(' aria-describedby="{}"', described) if described else ""
        head = f"<fieldset{described}>\n  " + (str(field.legend_tag()) if field.label else "") + "\n"
    else:
        head = (str(field.label_tag()) if field.label else "") + "\n"
    helptext = ""
    if field.help_text:
        ident = format_html(' id="{}_helptext"', field.auto_id) if field.auto_id else ""
        helptext = f'<div class="helptext"{ident}>{field.help_text}</div>'
    html = f"{head}\n{helptext}\n{field.errors}\n{field}" + ("</fieldset>" if field.use_fieldset else "")
    return html.strip()


def _label(context) -> str:
    """django/forms/label.html."""
    label = conditional_escape(context["label"])
    if not context["use_tag"]:
        return label
    tag = conditional_escape(context["tag"])
    return f"<{tag}{attributes(context['attrs'] or {})}>{label}</{tag}>"


def _no_errors(context) -> str | None:
    """django/forms/errors/list/default.html of an empty list ("" ); None for a list with errors."""
    return "" if not context["errors"] else None


def _input(context) -> str:
    """django/forms/widgets/input.html (text, password, email, number, hidden, date: each includes it)."""
    widget = context["widget"]
    value = format_html(' value="{}"', str(widget["value"])) if widget["value"] is not None else ""
    return (format_html('<input type="{}" name="{}"', widget["type"], widget["name"]) + value
            + attributes(widget["attrs"]) + ">")


class PlainRenderer(DjangoTemplates):
    """FORM_RENDERER: Django's own, but the templates every field renders once or more (its group,
    label, empty error list, a text-like input) written in Python; any other template as before.
    tests/foundation/test_plain_select.py holds every form of the pages to the templates' HTML."""

    PLAIN = {"django/forms/field.html": _field_group, "django/forms/label.html": _label,
             "django/forms/errors/list/default.html": _no_errors,
             **{f"django/forms/widgets/{name}.html": _input
                for name in ("input", "text", "password", "email", "number", "hidden", "date")}}

    def render(self, template_name, context, request=None):
        plain = self.PLAIN.get(template_name)
        html = plain(context) if plain is not None else None
        if html is None:
            return super().render(template_name, context, request=request)
        return mark_safe(html)  # nosec B308 B703 # every value above is escaped or already safe
