"""Forms of the inbox and the compose page. Datetimes are read in the active (studio) time zone."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from comms import compose, drafts
from comms.models import Message
from kernel.models import Studio
from kernel.widgets import DateTimeInput

LANGUAGE_CHOICES = [("en", "English"), ("ru", "Русский")]
# A logged call may be entered a few minutes ahead of the clock; further ahead is a typo.
LOG_FUTURE_TOLERANCE = timedelta(minutes=5)


class AddressListField(forms.CharField):
    """Comma-separated email addresses ("Ann <ann@x.com>" accepted); cleans to a list of addresses."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2000)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value)
        valid, invalid = compose.parse_addresses(text)
        if invalid:
            raise forms.ValidationError(
                _("“%(entry)s” is not an email address. Separate addresses with commas."),
                code="invalid",
                params={"entry": invalid[0]},
            )
        if self.required and not valid:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return valid


def _coach_attrs(trigger: str) -> dict[str, str]:
    """htmx: post the whole form to the coach and show its findings beside the form."""
    return {
        "hx-post": reverse("comms:coach"),
        "hx-trigger": trigger,
        "hx-target": "#coach-panel",
        "hx-swap": "innerHTML",
    }


class ComposeForm(forms.Form):
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none(), required=False)
    to = AddressListField(label=_("To"), help_text=_("Several addresses: separate them with commas."))
    cc = AddressListField(label=_("Cc"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=998)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 14}))
    template = forms.ChoiceField(label=_("Template"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, initial="en")
    project = forms.ModelChoiceField(label=_("Project"), queryset=Client.objects.none(), required=False)
    requires_action = forms.BooleanField(label=_("This email asks the client to act"), required=False)
    promised_by = forms.DateTimeField(
        label=_("Full answer by"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Your local time. The email states it and Rapport tracks the promise."),
    )
    send_now = forms.BooleanField(label=_("Send now, even outside working hours"), required=False)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    from_draft = forms.CharField(widget=forms.HiddenInput, max_length=80, required=False)

    def __init__(self, *args: Any, studio: Studio, acknowledgment: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("token", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.studio = studio
        self.acknowledgment = acknowledgment
        self.fields["client"].queryset = Client.objects.filter(studio=studio, archived_at__isnull=True)
        self.fields["project"].queryset = studio.projects.select_related("client")
        self.fields["template"].choices = [("", _("No template")), *compose.template_choices(studio)]
        self.fields["promised_by"].required = acknowledgment
        self.fields["subject"].widget.attrs.update(_coach_attrs("keyup changed delay:700ms"))
        self.fields["body"].widget.attrs.update(_coach_attrs("keyup changed delay:700ms"))
        self.fields["requires_action"].widget.attrs.update(_coach_attrs("change"))
        self.client_draft = self._client_draft()

    def _client_draft(self) -> drafts.ClientDraft | None:
        """The app's draft this email sends (``?draft=``): its client and project are fixed, not chosen."""
        reference = (self.data.get("from_draft") if self.is_bound else self.initial.get("from_draft")) or ""
        if not reference:
            return None
        client_draft = drafts.load(self.studio, reference)
        if client_draft is not None:
            self.initial.update(client=client_draft.client, project=client_draft.project)
            self.fields["client"].disabled = self.fields["project"].disabled = True
        return client_draft

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if missing := compose.unfilled_placeholders(body):
            raise forms.ValidationError(
                _("Fill in %(names)s before sending: the template had no value for it."),
                params={"names": ", ".join(f"[{name}]" for name in missing)},
            )
        return body

    def clean_subject(self) -> str:
        subject = " ".join(self.cleaned_data["subject"].split())
        if missing := compose.unfilled_placeholders(subject):
            raise forms.ValidationError(
                _("Fill in %(names)s before sending."), params={"names": ", ".join(f"[{n}]" for n in missing)}
            )
        return subject

    def clean_promised_by(self):
        promised_by = self.cleaned_data.get("promised_by")
        if promised_by is not None and promised_by <= timezone.now():
            raise forms.ValidationError(_("The promised time has already passed: choose a later one."))
        return promised_by

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        client, project = data.get("client"), data.get("project")
        if project is not None and client is not None and project.client_id != client.pk:
            self.add_error("project", _("This project belongs to another client."))
        if self.acknowledgment and client is None:
            self.add_error("client", _("An acknowledgment records a promise to a client: choose the client."))
        if data.get("from_draft") and self.client_draft is None:
            raise forms.ValidationError(_("This draft no longer exists; write the email without it."))
        return data

    def draft(self, *, reply_to: Message | None) -> compose.Draft:
        data = self.cleaned_data
        return compose.Draft(
            to=data["to"],
            cc=data["cc"],
            subject=data["subject"],
            body=data["body"],
            client=data["client"],
            project=data["project"],
            reply_to=reply_to,
            template=data["template"],
            language=data["language"],
            requires_action=data["requires_action"],
            promised_by=data["promised_by"] if self.acknowledgment else None,
        )


class CoachForm(forms.Form):
    """What the coach reads from the compose form (the htmx request posts the whole form)."""

    subject = forms.CharField(required=False, max_length=998)
    body = forms.CharField(required=False, max_length=100_000)
    requires_action = forms.BooleanField(required=False)


LOGGABLE_CHANNELS = {Message.Channel.EMAIL, Message.Channel.CALL, Message.Channel.MEETING, Message.Channel.NOTE}


class LogForm(forms.Form):
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none())
    channel = forms.ChoiceField(
        label=_("How"),
        choices=[(value, label) for value, label in Message.Channel.choices if value in LOGGABLE_CHANNELS],
        initial=Message.Channel.CALL,
    )
    direction = forms.ChoiceField(
        label=_("Who got in touch"),
        choices=[
            (Message.Direction.OUTBOUND, _("We contacted them")),
            (Message.Direction.INBOUND, _("They contacted us")),
        ],
        initial=Message.Direction.OUTBOUND,
        widget=forms.RadioSelect,
        help_text=_("Contacting the client answers their open emails: it stops the reply clock."),
    )
    when = forms.DateTimeField(label=_("When"), widget=DateTimeInput(), help_text=_("Your local time."))
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args: Any, studio: Studio, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("when", timezone.now().replace(second=0, microsecond=0))
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(studio=studio, archived_at__isnull=True)

    def clean_when(self):
        when = self.cleaned_data["when"]
        if when > timezone.now() + LOG_FUTURE_TOLERANCE:
            raise forms.ValidationError(_("This is in the future: log what already happened."))
        return when

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("subject") and data.get("channel") and data.get("client"):
            channel = dict(Message.Channel.choices)[data["channel"]]
            data["subject"] = _("%(channel)s with %(client)s") % {
                "channel": channel.capitalize(),
                "client": data["client"],
            }
        return data


class AssignForm(forms.Form):
    """Unmatched mail: file it under an existing client, or create the client from the sender."""

    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none(), required=False)
    create = forms.BooleanField(required=False)
    client_name = forms.CharField(label=_("New client's name"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("Contact's name"), max_length=200, required=False)

    def __init__(self, *args: Any, studio: Studio, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(studio=studio)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("create") and data.get("client") is None and not self.has_error("client"):
            self.add_error("client", _("Choose a client, or create one from the sender."))
        return data
