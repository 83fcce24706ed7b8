"""The few forms a client fills in the guest portal: accept, decide, tick, write."""

from django import forms
from django.utils.translation import gettext_lazy as _

MESSAGE_MAX_LENGTH = 5000


class AcceptAgreementForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Typing your name is your signature."),
    )
    confirm = forms.BooleanField(
        label=_("I have read the scope, deliverables, price and deposit above, and I accept them."),
        error_messages={"required": _("Tick the box to confirm you have read the agreement.")},
    )


class ChangeDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("decline", _("Decline"))])

    @property
    def approved(self) -> bool:
        return self.cleaned_data["decision"] == "approve"


class StepForm(forms.Form):
    """Tick or untick one next step; ``done`` says which, so a double tap changes nothing twice."""

    done = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1")


class PortalMessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    text = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
