from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Contact, Payment, Touchpoint
from kernel.forms import CurrencyField, LongSelect, timezone_choices
from kernel.models import Studio
from kernel.widgets import DateInput


def _helper(submit_label: str) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", submit_label))
    return helper


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


class ClientForm(forms.ModelForm):
    tags_text = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas, e.g. e-commerce, retainer."),
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        widget=LongSelect,
        choices=lambda: [("", _("Same as the studio"))] + timezone_choices(),
    )

    class Meta:
        model = Client
        fields = [
            "name", "kind", "status", "language", "timezone", "source", "referred_by",
            "difficulty", "client_since", "notes",
        ]  # fmt: skip
        widgets = {
            "client_since": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 4}),
            "difficulty": forms.Select(
                choices=[(0, _("0 — easy")), (1, _("1")), (2, _("2")), (3, _("3 — very demanding"))]
            ),
        }

    def __init__(self, *args: Any, studio: Studio, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.studio = studio
        referrers = Client.objects.filter(studio=studio, archived_at__isnull=True)
        if self.instance.pk:
            referrers = referrers.exclude(pk=self.instance.pk)
            self.fields["tags_text"].initial = ", ".join(tag.name for tag in self.instance.tags.all())
        self.fields["referred_by"].queryset = referrers
        self.fields["difficulty"].help_text = _("Suggests a markup on quotes: %(markups)s %%.") % {
            "markups": " / ".join(str(m) for m in studio.difficulty_markups)
        }
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "name",
            Row(Column("kind"), Column("status"), Column("language")),
            Row(Column("source"), Column("referred_by")),
            Row(Column("timezone"), Column("client_since"), Column("difficulty")),
            "tags_text",
            "notes",
        )
        self.helper.add_input(Submit("submit", _("Save client")))

    def clean_tags_text(self) -> list[str]:
        """The tag names, each at most 40 characters, in order, without repeats."""
        return list(dict.fromkeys(tag[:40] for tag in split_list(self.cleaned_data["tags_text"])))


class ContactForm(forms.ModelForm):
    other_emails_text = forms.CharField(label=_("Other emails"), required=False, help_text=_("Separated by commas."))

    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "role", "preferred_channel", "is_primary"]

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        if self.instance.pk:
            self.fields["other_emails_text"].initial = ", ".join(self.instance.other_emails)
        elif not client.contacts.filter(is_primary=True).exists():
            self.fields["is_primary"].initial = True
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("name"), Column("role")),
            Row(Column("email"), Column("other_emails_text")),
            Row(Column("phone"), Column("preferred_channel")),
            "is_primary",
        )
        self.helper.add_input(Submit("submit", _("Save contact")))

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        self._refuse_taken(email, "email")
        return email

    def clean_other_emails_text(self) -> list[str]:
        emails = [email.lower() for email in split_list(self.cleaned_data["other_emails_text"])]
        for email in emails:
            try:
                forms.EmailField().clean(email)
            except forms.ValidationError as error:
                raise forms.ValidationError(_("“%(email)s” is not an email address.") % {"email": email}) from error
            self._refuse_taken(email, "other_emails_text")
        return emails

    def _refuse_taken(self, email: str, field: str) -> None:
        """A contact email belongs to one contact per studio; point at the one that has it."""
        others = Contact.objects.filter(studio=self.client.studio).select_related("client")
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        existing = others.filter(email__iexact=email).first() or next(
            (contact for contact in others.filter(other_emails__icontains=email) if email in contact.other_emails), None
        )
        if existing:
            raise forms.ValidationError(
                format_html(
                    '{} already belongs to <a href="{}">{}</a> at {}.',
                    email,
                    reverse("clients:detail", args=[existing.client_id]),
                    existing.name,
                    existing.client.name,
                )
            )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"), help_text=_("e.g. 1200.50")
    )
    is_refund = forms.BooleanField(label=_("This is a refund (money paid back)"), required=False)
    currency = CurrencyField()
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput())
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
    project = forms.ModelChoiceField(
        label=_("For project"),
        queryset=None,
        required=False,
        empty_label=_("No particular project"),
        help_text=_("A payment for a project counts towards its deposit."),
    )

    def __init__(self, *args: Any, studio: Studio, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.studio = studio
        self.fields["project"].queryset = client.projects.exclude(status="cancelled").order_by("-created_at")
        self.fields["currency"].initial = studio.currency
        self.fields["paid_on"].initial = studio.local_now().date()
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("amount"), Column("currency"), Column("paid_on")), Row(Column("method"), Column("project")),
            "note", "is_refund",
        )  # fmt: skip
        self.helper.add_input(Submit("submit", _("Record payment")))

    def clean_paid_on(self) -> Any:
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > self.studio.local_now().date():
            raise forms.ValidationError(_("A payment can't be in the future; record it when it arrives."))
        return paid_on

    def payment_fields(self) -> dict[str, Any]:
        minor = int((self.cleaned_data["amount"] * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        return {
            "amount_minor": -minor if self.cleaned_data["is_refund"] else minor,
            "currency": self.cleaned_data["currency"].upper(),
            "paid_on": self.cleaned_data["paid_on"],
            "method": self.cleaned_data["method"],
            "note": self.cleaned_data["note"],
            "project": self.cleaned_data["project"],
        }


class TouchpointForm(forms.ModelForm):
    class Meta:
        model = Touchpoint
        fields = ["kind", "happened_on", "note"]
        widgets = {"happened_on": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, studio: Studio, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.studio = studio
        self.fields["happened_on"].initial = studio.local_now().date()
        self.helper = _helper(_("Log touchpoint"))

    def clean_happened_on(self) -> Any:
        happened_on = self.cleaned_data["happened_on"]
        if happened_on > self.studio.local_now().date():
            raise forms.ValidationError(_("Log a touchpoint once it has happened."))
        return happened_on


class PinForm(forms.Form):
    tier_pin = forms.ChoiceField(label=_("Tier"), choices=Client.Pin.choices, required=False)
