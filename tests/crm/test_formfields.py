"""`|bootstrap_field` and `|bootstrap_form` write out the HTML crispy's templates render."""

import pytest
from crispy_forms.helper import FormHelper
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django import forms
from django.template import Context, Template
from django.test.html import parse_html
from django.utils import translation

from kernel.formfields import bootstrap_field, bootstrap_form
from kernel.widgets import DateInput
from projects.forms import ActionItemForm, ChangeRequestForm, InstallmentForm, MilestoneForm
from tests.factories import ClientFactory, MilestoneFactory, ProjectFactory


class Everything(forms.Form):
    required_css_class = "needed"

    title = forms.CharField(max_length=20, help_text="Short <b>and</b> sweet")
    count = forms.IntegerField(min_value=0, initial=3, required=False)
    email = forms.EmailField(label="Your & email")
    due = forms.DateField(widget=DateInput(), required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "class": "mine"}), required=False)
    kind = forms.ChoiceField(choices=[("", "Pick"), ("a", "A <one>"), ("Group", [("b", "B"), ("c", "C")])])
    agree = forms.BooleanField(required=False)  # a checkbox: crispy renders it
    secret = forms.CharField(widget=forms.HiddenInput(), required=False)


def same(ours, theirs):
    assert parse_html(str(ours)) == parse_html(str(theirs)), f"\n{ours}\n!=\n{theirs}"


@pytest.mark.parametrize("data", [None, {"title": "x" * 30, "count": "-1", "email": "nope", "kind": "z", "due": "x"}])
def test_every_field_as_crispy_renders_it(data):
    ours, theirs = Everything(data), Everything(data)
    for name in ours.fields:
        same(bootstrap_field(ours[name]), as_crispy_field(theirs[name]))
    same(bootstrap_form(Everything(data)), as_crispy_form(Everything(data)))


def test_non_field_errors_as_crispy_renders_them():
    class Checked(forms.Form):
        name = forms.CharField()

        def clean(self):
            raise forms.ValidationError("Both <wrong>.")

    same(bootstrap_form(Checked({"name": "x"})), as_crispy_form(Checked({"name": "x"})))


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_project_page_forms_as_crispy_renders_them(studio, language):
    project = ProjectFactory(studio=studio, client=ClientFactory(studio=studio))
    MilestoneFactory(project=project, title="Kick-off <1>")
    with translation.override(language):
        for make in (lambda: MilestoneForm(project=project), ActionItemForm, ChangeRequestForm):
            ours, theirs = make(), make()
            for name in ours.fields:
                same(bootstrap_field(ours[name]), as_crispy_field(theirs[name]))
        bound = {"amount": "-5", "days_after_milestone": "x", "after_milestone": "999"}
        for data in (None, bound):
            ours, theirs = InstallmentForm(data, project=project), InstallmentForm(data, project=project)
            same(bootstrap_form(ours), as_crispy_form(theirs))


def test_a_form_with_a_helper_goes_through_crispy():
    class Helped(forms.Form):
        name = forms.CharField()

        helper = FormHelper()

    form = Helped()
    assert str(bootstrap_field(form["name"])) == str(as_crispy_field(Helped()["name"]))


def test_the_filters():
    rendered = Template("{% load rapport %}{{ form.title|bootstrap_field }}{{ form|bootstrap_form }}").render(
        Context({"form": Everything()})
    )
    assert rendered.count('id="div_id_title"') == 2
