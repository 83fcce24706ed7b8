"""The studio's Stripe keys: stored encrypted, shown masked, owners only."""

import pytest
from django.urls import reverse

from billing.models import BillingProfile
from billing.stripe_pay import mask, stripe_keys
from tests.billing.stripe_helpers import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET

URL = reverse("billing:stripe")
KEYS = {"publishable_key": PUBLISHABLE_KEY, "secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET}


def test_keys_are_stored_encrypted_and_shown_masked(owner_client, studio, now):
    response = owner_client.post(URL, KEYS)
    assert response.status_code == 302

    profile = BillingProfile.objects.get(studio=studio)
    assert profile.stripe_publishable_key == PUBLISHABLE_KEY
    assert SECRET_KEY not in profile.stripe_secret_key_encrypted
    assert WEBHOOK_SECRET not in profile.stripe_webhook_secret_encrypted
    keys = stripe_keys(profile)
    assert (keys.secret, keys.webhook_secret) == (SECRET_KEY, WEBHOOK_SECRET)
    html = owner_client.get(URL).content.decode()
    assert SECRET_KEY not in html
    assert WEBHOOK_SECRET not in html
    assert "sk_test_…f456" in html
    assert f"/hooks/stripe/{studio.slug}/" in html
    assert "On: clients can pay" in owner_client.get(reverse("billing:settings")).content.decode()


def test_blank_secrets_keep_the_saved_ones(owner_client, studio, now):
    owner_client.post(URL, KEYS)
    owner_client.post(URL, {"publishable_key": "pk_test_newkey99", "secret_key": "", "webhook_secret": ""})

    keys = stripe_keys(BillingProfile.objects.get(studio=studio))
    assert (keys.publishable, keys.secret, keys.webhook_secret) == ("pk_test_newkey99", SECRET_KEY, WEBHOOK_SECRET)


def test_keys_can_be_removed(owner_client, studio, now):
    owner_client.post(URL, KEYS)
    owner_client.post(URL, {"remove": "1"})

    profile = BillingProfile.objects.get(studio=studio)
    assert (profile.stripe_publishable_key, profile.stripe_secret_key_encrypted) == ("", "")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**KEYS, "publishable_key": "sk_test_wrong"}, "Publishable key"),
        ({**KEYS, "secret_key": "pk_test_wrong"}, "Secret key"),
        ({**KEYS, "webhook_secret": "secret"}, "Webhook signing secret"),
        ({**KEYS, "secret_key": "sk_live_abc"}, "test key"),
        ({"publishable_key": PUBLISHABLE_KEY, "secret_key": "", "webhook_secret": ""}, "Secret key"),
    ],
)
def test_bad_keys_are_refused_with_the_field_named(owner_client, studio, data, field):
    response = owner_client.post(URL, data)

    assert response.status_code == 200
    assert field in response.content.decode()
    assert not BillingProfile.objects.filter(studio=studio).exclude(stripe_publishable_key="").exists()


def test_only_owners_reach_the_page(client, member, charlie_client, studio):
    client.force_login(member)
    assert client.get(URL).status_code == 404
    assert charlie_client.post(URL, KEYS).status_code in (302, 404)
    assert not BillingProfile.objects.filter(studio=studio).exclude(stripe_publishable_key="").exists()


def test_mask():
    assert mask("") == ""
    assert mask("sk_live_1234567890") == "sk_live_…7890"
    assert mask("whsec_abcdefgh") == "whsec_…efgh"
