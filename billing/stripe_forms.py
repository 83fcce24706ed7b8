"""The studio's Stripe keys: the secret ones are never shown again, only whether they are set."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PUBLISHABLE = re.compile(r"pk_(test|live)_[A-Za-z0-9]+")
SECRET = re.compile(r"(sk|rk)_(test|live)_[A-Za-z0-9]+")
WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")


class StripeKeysForm(forms.Form):
    publishable_key = forms.CharField(
        label=_("Publishable key"), max_length=200, required=False, help_text=_("Starts with pk_live_ or pk_test_.")
    )
    secret_key = forms.CharField(
        label=_("Secret key"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Starts with sk_ or rk_ (a restricted key). Leave empty to keep the one saved."),
    )
    webhook_secret = forms.CharField(
        label=_("Webhook signing secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Starts with whsec_. Leave empty to keep the one saved."),
    )

    def __init__(self, *args: Any, has_secret: bool = False, has_webhook_secret: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.has_secret, self.has_webhook_secret = has_secret, has_webhook_secret

    def _matching(self, name: str, pattern: re.Pattern[str], message: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if value and not pattern.fullmatch(value):
            raise ValidationError(message)
        return value

    def clean_publishable_key(self) -> str:
        return self._matching(
            "publishable_key", PUBLISHABLE, _("Publishable key: it starts with pk_live_ or pk_test_.")
        )

    def clean_secret_key(self) -> str:
        return self._matching("secret_key", SECRET, _("Secret key: it starts with sk_live_, sk_test_ or rk_."))

    def clean_webhook_secret(self) -> str:
        return self._matching("webhook_secret", WEBHOOK_SECRET, _("Webhook signing secret: it starts with whsec_."))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        publishable, secret = data.get("publishable_key", ""), data.get("secret_key", "")
        if "publishable_key" in self.errors or "secret_key" in self.errors:
            return data
        if publishable and not (secret or self.has_secret):
            self.add_error("secret_key", _("Secret key: needed with the publishable key."))
        if (secret or self.has_webhook_secret or data.get("webhook_secret")) and not publishable:
            self.add_error("publishable_key", _("Publishable key: needed with the secret key."))
        if publishable and secret and publishable.split("_")[1] != secret.split("_")[1]:
            self.add_error("secret_key", _("Secret key: one key is a test key and the other a live key."))
        return data
