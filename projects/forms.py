import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from kernel.forms import CurrencyField
from kernel.models import Studio
from kernel.widgets import DateInput
from projects.models import ActionItem, ChangeRequest, MaintenancePlan, Milestone, Project, Resource


def to_minor(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def to_major(minor: int | None) -> Decimal | None:
    return None if minor is None else Decimal(minor) / 100


class MoneyField(forms.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", Decimal("0"))
        super().__init__(max_digits=12, decimal_places=2, **kwargs)


# With a client's name, difficulty and markup; static/js/project_form.js fills the same sentence in.
MARKUP_HINT = _("%(client)s's difficulty (%(level)s of 3) suggests adding %(markup)s %% to your usual price.")


class ClientSelect(forms.Select):
    """A client picker whose options carry the client's difficulty, for the markup hint."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        client = getattr(value, "instance", None)
        if isinstance(client, Client):
            option["attrs"]["data-difficulty"] = client.difficulty
        return option


def markup_hint(studio: Studio, client: Client | None) -> str:
    """The quote's help text: the suggested markup for `client`, in an element the page's script rewrites.

    The client's name is user text: it is escaped here, since form help texts are rendered as HTML.
    """
    markups = [studio.markup_percent(level) for level in range(4)]
    text = ""
    if client is not None and (markup := studio.markup_percent(client.difficulty)):
        text = str(MARKUP_HINT) % {"client": client.name, "level": client.difficulty, "markup": markup}
    return format_html(
        '<span data-markup-hint data-template="{}" data-markups="{}">{}</span>',
        str(MARKUP_HINT), json.dumps(markups), text,
    )  # fmt: skip


class ProjectForm(forms.ModelForm):
    """Project details; money in major units in the form, minor units in the database."""

    quote_low = MoneyField(label=_("Quote from"))
    quote_high = MoneyField(label=_("Quote up to"))
    price = MoneyField(label=_("Agreed price"), help_text=_("Once the scope is clear."))
    deposit_amount = MoneyField(label=_("Deposit amount"), help_text=_("Or a percentage below."))
    currency = CurrencyField()

    class Meta:
        model = Project
        fields = [
            "client", "title", "currency", "deposit_percent", "start_on", "deadline_on",
            "deliverables", "scope", "extras_policy", "friday_auto_send",
        ]  # fmt: skip
        labels = {"client": _("Client")}
        widgets = {
            "client": ClientSelect(attrs={"data-markup-client": ""}),
            "start_on": DateInput(),
            "deadline_on": DateInput(),
            "deliverables": forms.Textarea(attrs={"rows": 2}),
            "scope": forms.Textarea(attrs={"rows": 3}),
            "extras_policy": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, studio: Studio, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.studio = studio
        self.fields["client"].queryset = Client.objects.filter(studio=studio, archived_at__isnull=True)
        if not self.instance.pk:
            self.fields["currency"].initial = studio.currency
            self.fields["deposit_percent"].initial = studio.default_deposit_percent
        for field, attribute in (("quote_low", "quote_low_minor"), ("quote_high", "quote_high_minor"),
                                 ("price", "price_minor"), ("deposit_amount", "deposit_amount_minor")):  # fmt: skip
            self.fields[field].initial = to_major(getattr(self.instance, attribute))
        client = self.instance.client if self.instance.client_id else self.initial.get("client")
        self.fields["quote_low"].help_text = markup_hint(studio, client if isinstance(client, Client) else None)
        self.fields["quote_high"].help_text = _("Quote a range until the scope is clear.")
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("client"), Column("title")),
            Fieldset(
                _("Money"),
                Row(Column("currency"), Column("quote_low"), Column("quote_high")),
                Row(Column("price"), Column("deposit_percent"), Column("deposit_amount")),
            ),
            Fieldset(_("Dates"), Row(Column("start_on"), Column("deadline_on"))),
            Fieldset(_("Agreement"), "deliverables", "scope", "extras_policy"),
            Fieldset(_("Friday update"), "friday_auto_send"),
        )
        self.helper.add_input(Submit("submit", _("Save project")))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, deadline = cleaned.get("start_on"), cleaned.get("deadline_on")
        if start and deadline and deadline < start:
            self.add_error("deadline_on", _("The deadline is before the start."))
        low, high = cleaned.get("quote_low"), cleaned.get("quote_high")
        if low is not None and high is not None and high < low:
            self.add_error("quote_high", _("The upper end of the range is below the lower end."))
        price, deposit = cleaned.get("price"), cleaned.get("deposit_amount")
        if price is not None and deposit is not None and deposit > price:
            self.add_error("deposit_amount", _("The deposit is larger than the price."))
        percent = cleaned.get("deposit_percent")
        if percent is not None and percent > 100:
            self.add_error("deposit_percent", _("A deposit can't be more than 100 %."))
        return cleaned

    def save(self, commit: bool = True) -> Project:
        project = super().save(commit=False)
        project.studio = self.studio
        project.quote_low_minor = to_minor(self.cleaned_data["quote_low"])
        project.quote_high_minor = to_minor(self.cleaned_data["quote_high"])
        project.price_minor = to_minor(self.cleaned_data["price"])
        project.deposit_amount_minor = to_minor(self.cleaned_data["deposit_amount"])
        project.save()
        return project


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Project.Status.choices)
    override_reason = forms.CharField(
        required=False, max_length=300, label=_("Start without the full deposit because (optional)")
    )


class DeadlineForm(forms.Form):
    new_date = forms.DateField(label=_("New date"), widget=DateInput())
    reason = forms.CharField(
        label=_("Why it moves"), widget=forms.Textarea(attrs={"rows": 2}), help_text=_("The client will read this.")
    )
    milestone = forms.ModelChoiceField(queryset=Milestone.objects.none(), required=False, label=_("Milestone"))

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = project.milestones.all()
        self.fields["milestone"].empty_label = _("The project deadline")
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Move the date")))


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "due_on", "order"]
        widgets = {"due_on": DateInput()}

    def __init__(self, *args: Any, project: Project, next_order: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["order"].initial = project.milestones.count() + 1 if next_order is None else next_order

    def clean_due_on(self) -> Any:
        due = self.cleaned_data["due_on"]
        if due and self.project.start_on and due < self.project.start_on:
            raise forms.ValidationError(_("This is before the project starts."))
        if due and self.project.deadline_on and due > self.project.deadline_on:
            raise forms.ValidationError(_("This is after the project's deadline."))
        return due


class ActionItemForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = ["owner", "text", "due_on"]
        widgets = {"due_on": DateInput()}


class ChangeRequestForm(forms.ModelForm):
    price = MoneyField(label=_("Price"), required=True)

    class Meta:
        model = ChangeRequest
        fields = ["title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def save(self, commit: bool = True) -> ChangeRequest:
        self.instance.price_minor = to_minor(self.cleaned_data["price"])
        return super().save(commit=commit)


class ResourceForm(forms.ModelForm):
    url = forms.URLField(label=_("Link"), required=False, assume_scheme="https")

    class Meta:
        model = Resource
        fields = ["kind", "title", "url", "answer"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Add to library")))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == Resource.Kind.FAQ and not cleaned.get("answer"):
            self.add_error("answer", _("An FAQ entry needs its answer."))
        if kind in (Resource.Kind.SCREENCAST, Resource.Kind.DOCUMENT) and not cleaned.get("url"):
            self.add_error("url", _("Give the link to the screencast or document."))
        return cleaned


class InstallmentForm(forms.Form):
    amount = MoneyField(label=_("Amount"), required=True, min_value=Decimal("0.01"))
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DateInput())
    after_milestone = forms.ModelChoiceField(
        label=_("or after milestone"), queryset=Milestone.objects.none(), required=False
    )
    days_after_milestone = forms.IntegerField(label=_("days after it"), min_value=0, max_value=365, initial=7)

    def __init__(self, *args: Any, project: Project, milestones: list[Milestone] | None = None, **kwargs: Any) -> None:
        """With ``milestones`` (the project's, already read) the form is only shown: it lists them, checks nothing."""
        super().__init__(*args, **kwargs)
        field = self.fields["after_milestone"]
        if milestones is None:
            field.queryset = project.milestones.all()
        else:
            empty = [("", field.empty_label)] if field.empty_label is not None else []
            field.choices = [*empty, *((row.pk, field.label_from_instance(row)) for row in milestones)]


class MaintenancePlanForm(forms.ModelForm):
    monthly_price = MoneyField(label=_("Monthly price"), required=True, min_value=Decimal("0.01"))
    currency = CurrencyField()

    class Meta:
        model = MaintenancePlan
        fields = ["currency", "included", "start_on", "end_on"]
        widgets = {"start_on": DateInput(), "end_on": DateInput(), "included": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("monthly_price"), Column("currency")), "included", Row(Column("start_on"), Column("end_on"))
        )
        self.helper.add_input(Submit("submit", _("Save maintenance plan")))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start_on"), cleaned.get("end_on")
        if start and end and end < start:
            self.add_error("end_on", _("The plan ends before it starts."))
        return cleaned
