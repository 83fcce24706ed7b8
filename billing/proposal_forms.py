"""Forms of the proposal pages (freelancer) and of signing in the portal; they validate, services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.forms import PercentField, bp_to_percent, percent_to_bp
from billing.models import Proposal, ProposalItem
from billing.proposals import ItemSpec
from kernel.widgets import DateInput
from projects.forms import to_major, to_minor


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    intro = forms.CharField(label=_("Introduction"), max_length=5000, required=False,
                            widget=forms.Textarea(attrs={"rows": 4}))  # fmt: skip
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DateInput)
    deposit_percent = forms.IntegerField(label=_("Deposit (%)"), min_value=0, max_value=100)
    apply_markup = forms.BooleanField(label=_("Apply the suggested markup"), required=False)
    agreement_text = forms.CharField(
        label=_("Agreement"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Placeholders: {client}, {project}, {total}, {deposit}, {studio}, {valid_until}."),
    )

    def __init__(self, *args: Any, suggested_markup: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suggested_markup = suggested_markup
        self.fields["apply_markup"].label = _("Apply the client's difficulty markup (%(percent)s %%)") % {
            "percent": suggested_markup
        }
        self.fields["apply_markup"].help_text = _("Suggested for this client; every price is raised by it.")

    @staticmethod
    def initial_for(proposal: Proposal) -> dict[str, Any]:
        return {
            "title": proposal.title, "intro": proposal.intro, "valid_until": proposal.valid_until,
            "deposit_percent": proposal.deposit_percent, "apply_markup": proposal.markup_percent > 0,
            "agreement_text": proposal.agreement_text,
        }  # fmt: skip

    def markup_percent(self, current: int) -> int:
        """The suggested markup when ticked; a markup applied before stays as it was."""
        if not self.cleaned_data.get("apply_markup"):
            return 0
        return current or self.suggested_markup


class ItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ProposalItem.Kind.choices, initial=ProposalItem.Kind.ITEM)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=2000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000, initial=1)
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=12, decimal_places=2, min_value=0)
    tax_rate = PercentField(label=_("Tax (%)"))
    optional = forms.BooleanField(label=_("Optional add-on"), required=False)
    selected = forms.BooleanField(label=_("Ticked by default"), required=False)

    def has_changed(self) -> bool:
        typed = (self.data.get(self.add_prefix(name), "").strip() for name in ("title", "unit_price"))
        return any(typed) and super().has_changed()

    def spec(self) -> ItemSpec:
        data = self.cleaned_data
        return ItemSpec(
            title=data["title"], quantity=data["quantity"], unit_price_minor=to_minor(data["unit_price"]) or 0,
            kind=data["kind"], description=data.get("description", ""),
            tax_rate_bp=percent_to_bp(data.get("tax_rate")), optional=data.get("optional", False),
            selected=data.get("selected", False),
        )  # fmt: skip

    @staticmethod
    def initial_for(item: ProposalItem) -> dict[str, Any]:
        return {
            "kind": item.kind, "title": item.title, "description": item.description, "quantity": item.quantity,
            "unit_price": to_major(item.unit_price_minor), "tax_rate": bp_to_percent(item.tax_rate_bp),
            "optional": item.optional, "selected": item.selected,
        }  # fmt: skip


class BaseItemFormSet(forms.BaseFormSet):
    def specs(self) -> list[ItemSpec]:
        return [
            form.spec() for form in self.forms if form.cleaned_data.get("title") and not form.cleaned_data.get("DELETE")
        ]


ItemFormSet = forms.formset_factory(ItemForm, formset=BaseItemFormSet, extra=2, can_delete=True, max_num=100)


class AgreementRevisionForm(forms.Form):
    text = forms.CharField(label=_("Agreement"), max_length=20000, widget=forms.Textarea(attrs={"rows": 14}))


class SignForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Typing your name is your signature."),
    )
    agree = forms.BooleanField(
        label=_("I agree to the agreement above."),
        error_messages={"required": _("Tick “I agree” to sign.")},
    )


class AcceptProposalForm(SignForm):
    options = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    shown_total = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, option_ids: list[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["options"].choices = [(pk, str(pk)) for pk in option_ids]
