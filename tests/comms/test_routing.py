import pytest

from comms.routing import (
    bcc_address,
    inbound_address,
    is_bcc_address,
    parse_inbound_address,
    studio_for_recipients,
)
from kernel.models import Studio

KEY = "0a1b2c3d4e"


@pytest.fixture
def routed(settings, studio: Studio) -> Studio:
    settings.RAPPORT_INBOUND_DOMAIN = "inbound.test"
    Studio.objects.filter(pk=studio.pk).update(inbound_key=KEY)
    studio.refresh_from_db()
    return studio


def test_a_studio_receives_at_its_slug_and_secret_key(routed: Studio):
    assert inbound_address(routed) == "northlight.0a1b2c3d4e@inbound.test"
    assert bcc_address(routed) == "northlight.0a1b2c3d4e+bcc@inbound.test"


def test_the_domain_comes_from_the_setting(routed: Studio, settings):
    settings.RAPPORT_INBOUND_DOMAIN = "Mail.Rapport.Example"
    assert inbound_address(routed).endswith("@mail.rapport.example")


@pytest.mark.parametrize(
    "recipients",
    [
        ["northlight.0a1b2c3d4e@inbound.test"],
        ["NorthLight.0A1B2C3D4E@Inbound.Test"],
        ["northlight.0a1b2c3d4e+bcc@inbound.test"],
        ["northlight.0a1b2c3d4e+anything@inbound.test"],
        ["Northlight <northlight.0a1b2c3d4e@inbound.test>"],
        ["someone@client.example", "", "Studio <northlight.0a1b2c3d4e@inbound.test>"],
        ['"A, B" <a@client.example>, northlight.0a1b2c3d4e@inbound.test'],
    ],
)
def test_recipients_find_the_studio_whatever_the_case_tag_or_display_name(routed: Studio, recipients):
    assert studio_for_recipients(recipients) == routed


@pytest.mark.parametrize(
    "recipients",
    [
        [],
        ["northlight@inbound.test"],
        ["northlight.ffffffffff@inbound.test"],  # right slug, wrong key
        ["northlight.0a1b2c3d4e@elsewhere.test"],  # right address, another domain
        ["elsewhere.0a1b2c3d4e@inbound.test"],  # another studio's slug with this key
        ["nobody.0a1b2c3d4e@inbound.test"],
        [".0a1b2c3d4e@inbound.test", "northlight.@inbound.test", "not an address"],
    ],
)
def test_slug_and_key_must_both_match(routed: Studio, other_studio: Studio, recipients):
    assert studio_for_recipients(recipients) is None


def test_the_first_matching_recipient_wins(routed: Studio, other_studio: Studio):
    other = inbound_address(other_studio)

    assert studio_for_recipients([other, inbound_address(routed)]) == other_studio


def test_the_bcc_tag_is_recognised(routed: Studio):
    assert is_bcc_address(bcc_address(routed))
    assert not is_bcc_address(inbound_address(routed))
    assert not is_bcc_address("northlight.0a1b2c3d4e+bcc@elsewhere.test")
    assert parse_inbound_address("Northlight.0A1B2C3D4E+BCC@inbound.test").tag == "bcc"
