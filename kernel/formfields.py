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
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

INPUT_TEMPLATES = {
    f"django/forms/widgets/{kind}.html"
    for kind in ("input", "text", "number", "email", "url", "password", "date", "datetime", "time", "search", "tel")
}
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"
SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
# Constant markup, no data in it.
ASTERISK = mark_safe('<span class="asteriskField">*</span>')
NOTHING = mark_safe("")
END_OPTGROUP, END_SELECT, END_DIV = mark_safe("\n  </optgroup>"), mark_safe("\n</select>"), mark_safe("</div>")


def attributes(attrs: dict[str, Any]) -> SafeString:
    """`` name="value"`` pairs as django/forms/widgets/attrs.html writes them (True bare, False left out)."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value)),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def _input(widget: dict[str, Any]) -> SafeString:
    value = NOTHING if widget["value"] is None else format_html(' value="{}"', str(widget["value"]))
    return format_html(
        '<input type="{}" name="{}"{}{}>', widget["type"], widget["name"], value, attributes(widget["attrs"])
    )


def _textarea(widget: dict[str, Any]) -> SafeString:
    return format_html(
        '<textarea name="{}"{}>\n{}</textarea>', widget["name"], attributes(widget["attrs"]), widget["value"] or ""
    )


def _option(option: dict[str, Any]) -> SafeString:
    return format_html(
        '\n  <option value="{}"{}>{}</option>', str(option["value"]), attributes(option["attrs"]), option["label"]
    )


def _select(widget: dict[str, Any]) -> SafeString | None:
    parts = [format_html('<select name="{}"{}>', widget["name"], attributes(widget["attrs"]))]
    for group_name, options, _index in widget["optgroups"]:
        if any(option["template_name"] != OPTION_TEMPLATE for option in options):
            return None
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        parts.extend(_option(option) for option in options)
        if group_name:
            parts.append(END_OPTGROUP)
    parts.append(END_SELECT)
    return joined(parts)


def joined(parts: list[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _control(bound: BoundField, css_class: str) -> SafeString | None:
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


def _field(bound: BoundField) -> SafeString | None:
    """crispy's bootstrap5/field.html for one field without a form helper, or None for a widget not written out here."""
    widget = bound.field.widget
    if bound.is_hidden or getattr(widget, "widgets", None) or bound.use_fieldset:
        return None
    css_class = "form-select" if widget.template_name == SELECT_TEMPLATE else "form-control"
    if bound.errors:
        css_class += " is-invalid"
    control = _control(bound, css_class)
    if control is None:
        return None
    required = bound.field.required
    wrapper_class = f"mb-3 {bound.css_classes()}".rstrip()
    parts = [format_html('<div id="div_{}" class="{}">', bound.auto_id, wrapper_class)]
    if bound.label:
        parts.append(
            format_html(
                '<label{} class="form-label{}">{}{}</label>',
                format_html(' for="{}"', bound.id_for_label) if bound.id_for_label else NOTHING,
                " requiredField" if required else "",
                bound.label,
                ASTERISK if required else NOTHING,
            )
        )
    parts.append(control)
    if bound.errors:
        field_id = getattr(bound.errors, "field_id", None) or bound.auto_id
        lines = format_html_join(
            "",
            '<p id="error_{}_{}"><strong>{}</strong></p>',
            ((number, bound.auto_id, error) for number, error in enumerate(bound.errors, start=1)),
        )
        parts.append(format_html('<div id="{}_error" class="invalid-feedback">{}</div>', field_id, lines))
    if bound.help_text:
        hint_id = format_html('id="{}_helptext" ', bound.auto_id) if bound.auto_id else NOTHING
        help_text = mark_safe(bound.help_text)  # noqa: S308 -- a form's help text is markup, as in Django's and crispy's templates
        parts.append(format_html('<div {}class="form-text">{}</div>', hint_id, help_text))
    parts.append(END_DIV)
    return joined(parts)


def bootstrap_field(bound: BoundField) -> SafeString:
    """``{{ bound|as_crispy_field }}``, written out here when the widget allows and the form has no helper."""
    html = None if getattr(bound.form, "helper", None) is not None else _field(bound)
    return as_crispy_field(bound) if html is None else html


def bootstrap_form(form: Form) -> SafeString:
    """``{{ form|crispy }}``: the form's errors, then every field; all through crispy if a widget isn't written here."""
    fields = [_field(bound) for bound in form]
    if None in fields:
        return as_crispy_form(form)
    errors = form.non_field_errors()
    head = (
        format_html('<div class="alert alert-block alert-danger"><ul class="m-0">{}</ul></div>', unordered_list(errors))
        if errors
        else NOTHING
    )
    return joined([head, *fields])
