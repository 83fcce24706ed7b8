"""Forms of the invoice pages and the studio's billing settings; they validate, services write."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import bic as std_bic
from stdnum import iban as std_iban
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn as std_inn

from billing.models import BillingProfile, Invoice
from billing.numbering import validate_pattern
from billing.reminders import MAX_STEP_DAYS, clean_steps
from billing.services import LineSpec
from clients.models import Client, Payment
from kernel.forms import CurrencyField
from kernel.models import Studio
from kernel.widgets import DateInput
from projects.forms import to_major, to_minor
from projects.models import Project

KPP = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")
ACCOUNT_WEIGHTS = (7, 1, 3) * 8


def percent_to_bp(percent: Decimal | None) -> int:
    return 0 if percent is None else int((percent * 100).to_integral_value())


def bp_to_percent(rate_bp: int) -> Decimal:
    return (Decimal(rate_bp) / 100).normalize() if rate_bp else Decimal(0)


def account_key_ok(bik: str, account: str, *, correspondent: bool) -> bool:
    """The Bank of Russia control key of a 20-digit account against its bank's BIK."""
    prefix = "0" + bik[4:6] if correspondent else bik[-3:]
    digits = prefix + account
    return sum(int(digit) * weight % 10 for digit, weight in zip(digits, ACCOUNT_WEIGHTS, strict=False)) % 10 == 0


class PercentField(forms.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_value", Decimal(100))
        kwargs.setdefault("required", False)
        super().__init__(max_digits=5, decimal_places=2, **kwargs)


class BillingProfileForm(forms.ModelForm):
    tax_rate = PercentField(label=_("Default tax rate (%)"), help_text=_("0 when you charge no tax."))
    reminders = forms.CharField(
        label=_("Payment reminders (days from the due date)"), required=False, max_length=100,
        help_text=_("Comma-separated: -3 is three days before the due date, 0 the day itself, 7 a week late. "
                    "Empty: no reminders."),
    )  # fmt: skip

    class Meta:
        model = BillingProfile
        fields = [
            "legal_name", "address", "vat_id", "inn", "kpp", "iban", "bic",
            "ru_bank_name", "ru_bic", "ru_account", "ru_corresp_account",
            "number_pattern", "tax_exemption_text", "payment_terms_days",
        ]  # fmt: skip
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["number_pattern"].validators.append(validate_pattern)
        self.fields["tax_rate"].initial = bp_to_percent(self.instance.tax_rate_bp)
        self.fields["reminders"].initial = ", ".join(str(day) for day in clean_steps(self.instance.reminder_days))

    def _compact(self, name: str) -> str:
        return re.sub(r"[\s-]", "", self.cleaned_data.get(name) or "").upper()

    def clean_iban(self) -> str:
        value = self._compact("iban")
        if value:
            try:
                std_iban.validate(value)
            except StdnumError:
                raise ValidationError(_("IBAN: not a valid IBAN (check the digits).")) from None
        return value

    def clean_bic(self) -> str:
        value = self._compact("bic")
        if value:
            try:
                std_bic.validate(value)
            except StdnumError:
                raise ValidationError(_("BIC: 8 or 11 characters, e.g. DEUTDEFF.")) from None
        return value

    def clean_inn(self) -> str:
        value = self._compact("inn")
        if value:
            try:
                std_inn.validate(value)
            except StdnumError:
                raise ValidationError(_("INN: 10 or 12 digits with a valid check digit.")) from None
        return value

    def clean_kpp(self) -> str:
        value = self._compact("kpp")
        if value and not KPP.match(value):
            raise ValidationError(_("KPP: 9 characters, e.g. 773601001."))
        return value

    def clean_ru_bic(self) -> str:
        value = self._compact("ru_bic")
        if value and not re.fullmatch(r"\d{9}", value):
            raise ValidationError(_("BIK: 9 digits."))
        return value

    def clean_ru_account(self) -> str:
        return self._account("ru_account")

    def clean_ru_corresp_account(self) -> str:
        return self._account("ru_corresp_account")

    def _account(self, name: str) -> str:
        value = self._compact(name)
        if value and not re.fullmatch(r"\d{20}", value):
            raise ValidationError(_("An account number has 20 digits."))
        return value

    def clean_reminders(self) -> list[int]:
        days = set()
        for part in re.split(r"[,;\s]+", self.cleaned_data.get("reminders") or ""):
            if not part:
                continue
            if not re.fullmatch(r"[-+−]?\d{1,3}", part) or abs(int(part.replace("−", "-"))) > MAX_STEP_DAYS:
                raise ValidationError(
                    _("Payment reminders: whole numbers of days from %(least)s to %(most)s, separated by commas.")
                    % {"least": -MAX_STEP_DAYS, "most": MAX_STEP_DAYS}
                )
            days.add(int(part.replace("−", "-")))
        return sorted(days)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        bik = data.get("ru_bic") or ""
        for name, correspondent in (("ru_account", False), ("ru_corresp_account", True)):
            account = data.get(name) or ""
            if account and not bik and name not in self.errors:
                self.add_error("ru_bic", _("BIK: needed to check the accounts."))
            elif account and bik and not account_key_ok(bik, account, correspondent=correspondent):
                self.add_error(name, _("The account's control digit does not match the BIK."))
        return data

    def save(self, commit: bool = True) -> BillingProfile:
        raise NotImplementedError("Saved by the view through billing_profile_update.")

    def profile_values(self) -> dict[str, Any]:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["tax_rate_bp"] = percent_to_bp(self.cleaned_data.get("tax_rate"))
        values["reminder_days"] = self.cleaned_data.get("reminders") or []
        return values


class InvoiceForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"))
    project = forms.ModelChoiceField(queryset=Project.objects.none(), label=_("Project"), required=False)
    currency = CurrencyField(initial="EUR")
    due_on = forms.DateField(
        label=_("Due on"), required=False, widget=DateInput(),
        help_text=_("Empty: the payment terms of your billing settings, from the issue date."),
    )  # fmt: skip
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    buyer_address = forms.CharField(
        label=_("Client's billing address"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    buyer_vat_id = forms.CharField(label=_("Client's VAT number"), required=False, max_length=20)
    buyer_inn = forms.CharField(label=_("Client's INN"), required=False, max_length=12)
    buyer_kpp = forms.CharField(label=_("Client's KPP"), required=False, max_length=9)

    def __init__(self, *args: Any, studio: Studio, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(studio=studio).order_by("name")
        self.fields["project"].queryset = (
            Project.objects.filter(studio=studio).select_related("client").order_by("title")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        client, project = data.get("client"), data.get("project")
        if client and project and project.client_id != client.pk:
            self.add_error("project", _("This project belongs to another client."))
        return data

    def buyer(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(f"buyer_{key}", "") for key in ("address", "vat_id", "inn", "kpp")}

    @staticmethod
    def initial_for(invoice: Invoice) -> dict[str, Any]:
        buyer = invoice.buyer or {}
        return {
            "client": invoice.client_id, "project": invoice.project_id, "currency": invoice.currency,
            "due_on": invoice.due_on, "notes": invoice.notes,
            **{f"buyer_{key}": buyer.get(key, "") for key in ("address", "vat_id", "inn", "kpp")},
        }  # fmt: skip


class LineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=300)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000, initial=1)
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=12, decimal_places=2)
    tax_rate = PercentField(label=_("Tax (%)"))

    def has_changed(self) -> bool:
        """A line without a description and a price is an empty line, whatever its quantity and tax say."""
        typed = (self.data.get(self.add_prefix(name), "").strip() for name in ("description", "unit_price"))
        return any(typed) and super().has_changed()

    def spec(self) -> LineSpec:
        data = self.cleaned_data
        return LineSpec(
            description=data["description"], quantity=data["quantity"],
            unit_price_minor=to_minor(data["unit_price"]) or 0, tax_rate_bp=percent_to_bp(data.get("tax_rate")),
        )  # fmt: skip

    @staticmethod
    def initial_for(line: Any) -> dict[str, Any]:
        return {
            "description": line.description, "quantity": line.quantity,
            "unit_price": to_major(line.unit_price_minor), "tax_rate": bp_to_percent(line.tax_rate_bp),
        }  # fmt: skip


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self.specs():
            raise ValidationError(_("Add at least one line."))

    def specs(self) -> list[LineSpec]:
        return [
            form.spec()
            for form in self.forms
            if form.cleaned_data.get("description") and not form.cleaned_data.get("DELETE")
        ]


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=2, can_delete=True, max_num=100, validate_max=True
)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput())
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices, initial=Payment.Method.BANK)
