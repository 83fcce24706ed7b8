"""Form fields in crispy-forms' Bootstrap 5 markup, written out in Python.

``{{ form.field|as_crispy_field }}`` renders three templates per field (crispy's field, Django's
widget, its attributes); a page with a dozen fields spent a third of its time there. `bootstrap_field`
gives the same HTML (label, control, errors, help text) for the common widgets (text-like inputs,
textareas, selects) and hands any other widget to crispy. ``tests/test_formfields.py`` holds the two
side by side.
"""

from __future__ import annotations

from typing import Any

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django.conf import settings
from django.forms import BoundField, Form
from django.template.defaultfilters import unordered_list
from django.utils.safestring import SafeString, mark_safe

from kernel.markup import escaped

INPUT_TEMPLATES = {
    f"django/forms/widgets/{kind}.html"
    for kind in ("input", "text", "number", "email", "url", "password", "date", "datetime", "time", "search", "tel")
}
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"
SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
ASTERISK = '<span class="asteriskField">*</span>'
esc = escaped  # as the templates' autoescaping: markup stays, anything else is escaped


def attributes(attrs: dict[str, Any]) -> str:
    """`` name="value"`` pairs as django/forms/widgets/attrs.html writes them (True bare, False left out)."""
    return "".join(
        f" {esc(name)}" if value is True else f' {esc(name)}="{esc(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{esc(str(widget["value"]))}"'
    return f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"{value}{attributes(widget["attrs"])}>'


def _textarea(widget: dict[str, Any]) -> str:
    value = esc(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{esc(widget["name"])}"{attributes(widget["attrs"])}>\n{value}</textarea>'


def _option(option: dict[str, Any]) -> str:
    return (
        f'\n  <option value="{esc(str(option["value"]))}"{attributes(option["attrs"])}>{esc(option["label"])}</option>'
    )


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{esc(widget["name"])}"{attributes(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if any(option["template_name"] != OPTION_TEMPLATE for option in options):
            return None
        if group_name:
            parts.append(f'\n  <optgroup label="{esc(group_name)}">')
        parts.extend(_option(option) for option in options)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _control(bound: BoundField, css_class: str) -> str | None:
    """The widget's HTML with crispy's classes, or None for a widget not written out here."""
    widget = bound.field.widget
    template = widget.template_name
    if template not in INPUT_TEMPLATES and template not in (TEXTAREA_TEMPLATE, SELECT_TEMPLATE):
        return None
    if template == SELECT_TEMPLATE and widget.allow_multiple_selected:
        return None
    name = type(widget).__name__.lower()
    name = getattr(settings, "CRISPY_CLASS_CONVERTERS", {}).get(name, name)
    own = widget.attrs.get("class", "")
    classes = (f"{own} {name}" if name not in own else own) if own else name
    classes += "".join(f" {extra}" for extra in css_class.split() if extra not in classes.split())
    widget.attrs["class"] = classes  # as crispy does: the form's own copy of the widget
    attrs = bound.build_widget_attrs({}, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    if bound.field.localize:
        widget.is_localized = True
    context = widget.get_context(bound.html_name, bound.value(), attrs)["widget"]
    if template == TEXTAREA_TEMPLATE:
        return _textarea(context)
    if template == SELECT_TEMPLATE:
        return _select(context)
    return _input(context)


def _field(bound: BoundField) -> str | None:
    """crispy's bootstrap5/field.html for one field without a form helper, or None for a widget not written out here."""
    widget = bound.field.widget
    if bound.is_hidden or getattr(widget, "widgets", None) or bound.use_fieldset:
        return None
    errors = bound.errors
    css_class = "form-select" if widget.template_name == SELECT_TEMPLATE else "form-control"
    if errors:
        css_class += " is-invalid"
    control = _control(bound, css_class)
    if control is None:
        return None
    auto_id = esc(bound.auto_id)
    required = bound.field.required
    parts = [f'<div id="div_{auto_id}" class="{esc(f"mb-3 {bound.css_classes()}".rstrip())}">']
    if label := bound.label:
        label_for = f' for="{esc(bound.id_for_label)}"' if bound.id_for_label else ""
        if required:
            parts.append(f'<label{label_for} class="form-label requiredField">{esc(label)}{ASTERISK}</label>')
        else:
            parts.append(f'<label{label_for} class="form-label">{esc(label)}</label>')
    parts.append(control)
    if errors:
        field_id = esc(getattr(errors, "field_id", None) or bound.auto_id)
        lines = "".join(
            f'<p id="error_{number}_{auto_id}"><strong>{esc(error)}</strong></p>'
            for number, error in enumerate(errors, start=1)
        )
        parts.append(f'<div id="{field_id}_error" class="invalid-feedback">{lines}</div>')
    if bound.help_text:
        hint_id = f'id="{auto_id}_helptext" ' if bound.auto_id else ""
        parts.append(
            f'<div {hint_id}class="form-text">{bound.help_text}</div>'
        )  # markup, as Django's templates show it
    parts.append("</div>")
    return "".join(parts)


def bootstrap_field(bound: BoundField) -> SafeString:
    """``{{ bound|as_crispy_field }}``, written out here when the widget allows and the form has no helper."""
    html = None if getattr(bound.form, "helper", None) is not None else _field(bound)
    return as_crispy_field(bound) if html is None else _markup(html)


def bootstrap_form(form: Form) -> SafeString:
    """``{{ form|crispy }}``: the form's errors, then every field; all through crispy if a widget isn't written here."""
    fields = [_field(bound) for bound in form]
    if None in fields:
        return as_crispy_form(form)
    errors = form.non_field_errors()
    head = (
        f'<div class="alert alert-block alert-danger"><ul class="m-0">{unordered_list(errors)}</ul></div>'
        if errors
        else ""
    )
    return _markup(head + "".join(fields))


def _markup(html: str) -> SafeString:
    """HTML built above, where every value in it went through `esc` (the help text aside, markup by design)."""
    return mark_safe(html)  # noqa: S308
