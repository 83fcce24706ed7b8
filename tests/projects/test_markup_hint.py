"""The new-project form's markup hint: escaped server-side, and carrying what the page's script needs."""

import json

from django.test import Client
from django.urls import reverse

from kernel.models import Studio
from tests.factories import ClientFactory


def test_every_client_option_carries_its_difficulty_and_the_hint_its_sentence(owner_client: Client, studio: Studio):
    Studio.objects.filter(pk=studio.pk).update(difficulty_markups=[0, 10, 25, 50])
    easy = ClientFactory(studio=studio, difficulty=0)
    hard = ClientFactory(studio=studio, difficulty=3)

    page = owner_client.get(reverse("projects:create")).content.decode()

    assert "data-markup-client" in page
    assert f'<option value="{easy.pk}" data-difficulty="0">' in page
    assert f'<option value="{hard.pk}" data-difficulty="3">' in page
    hint = page[page.index("<span data-markup-hint") :]
    assert json.loads(hint.split('data-markups="')[1].split('"')[0]) == [0, 10, 25, 50]
    assert "suggests adding %(markup)s %% to your usual price." in hint.split(">")[0]
    assert hint.split(">")[1].startswith("</span")  # no client picked yet: no suggestion


def test_a_preselected_clients_hint_is_filled_in_and_escaped(owner_client: Client, studio: Studio):
    Studio.objects.filter(pk=studio.pk).update(difficulty_markups=[0, 10, 25, 50])
    tricky = ClientFactory(studio=studio, difficulty=2, name="<b>Bold</b> & Co")

    page = owner_client.get(reverse("projects:create"), {"client": tricky.pk}).content.decode()

    assert (
        "&lt;b&gt;Bold&lt;/b&gt; &amp; Co&#x27;s difficulty (2 of 3) suggests adding 25 % to your usual price." in page
    )
    assert "<b>Bold</b>" not in page


def test_the_form_still_saves_with_the_new_client_picker(owner_client: Client, studio: Studio):
    customer = ClientFactory(studio=studio)

    response = owner_client.post(
        reverse("projects:create"), {"client": customer.pk, "title": "Shop", "currency": "EUR", "deposit_percent": "50"}
    )

    assert response.status_code == 302
    assert customer.projects.get().title == "Shop"
