"""The IMAP mailbox form of the Mail sources page."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from comms.imap import is_loopback
from comms.models import ImapAccount
from comms.secrets import SecretError, decrypt, encrypt

# Changing any of these points the account at another mailbox: polling starts over from "now".
MAILBOX_IDENTITY = ("host", "username", "folder")


class ImapAccountForm(forms.ModelForm):
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted. Leave blank to keep the saved one. An app password is best."),
    )

    class Meta:
        model = ImapAccount
        fields = ["host", "port", "security", "username", "password", "folder", "enabled"]
        labels = {
            "host": _("IMAP server"),
            "port": _("Port"),
            "security": _("Connection security"),
            "username": _("User name"),
            "folder": _("Folder"),
            "enabled": _("Check this mailbox for client mail every few minutes"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["host"].widget.attrs["placeholder"] = "imap.example.com"
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("host", css_class="col-md-6"), Column("port", css_class="col-md-2"), Column("security")),
            Row(Column("username"), Column("password")),
            "folder",
            "enabled",
        )
        self.helper.add_input(Submit("save", _("Save")))
        test = Submit("test", _("Test connection"))
        test.field_classes = "btn btn-outline-secondary ms-2"
        self.helper.add_input(test)

    @property
    def has_saved_password(self) -> bool:
        return bool(self.instance.pk and self.instance.password_encrypted)

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if not password and not self.has_saved_password:
            raise forms.ValidationError(_("Enter the mailbox password."))
        return password

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("security") == "none" and cleaned.get("host") and not is_loopback(cleaned["host"]):
            self.add_error(
                "security",
                _("Without encryption the password would cross the network in clear text: choose SSL/TLS or STARTTLS."),
            )
        return cleaned

    def connection_settings(self) -> dict[str, Any]:
        """The entered settings for ``comms.imap.check_connection`` (the saved password when none was typed)."""
        data = self.cleaned_data
        password = data.get("password") or ""
        if not password and self.has_saved_password:
            try:
                password = decrypt(self.instance.password_encrypted)
            except SecretError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return {
            "host": data["host"],
            "port": data["port"],
            "security": data["security"],
            "username": data["username"],
            "password": password,
            "folder": data["folder"],
        }

    def save(self, commit: bool = True) -> ImapAccount:
        """Save the settings only: never the poll state a running poll may be advancing."""
        account = super().save(commit=False)
        fields = ["host", "port", "security", "username", "folder", "enabled", "last_error"]
        if password := self.cleaned_data.get("password"):
            account.password_encrypted = encrypt(password)
            fields.append("password_encrypted")
        if not self.instance._state.adding and any(name in self.changed_data for name in MAILBOX_IDENTITY):
            account.uid_validity, account.last_uid = None, 0
            fields += ["uid_validity", "last_uid"]
        account.last_error = ""  # new settings: the last poll's error no longer says anything
        if commit:
            if account._state.adding:
                account.save()
            else:
                account.save(update_fields=fields)
        return account
