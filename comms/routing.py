"""Which studio an inbound email belongs to, read from the address it was sent to.

Each studio receives at ``<slug>.<inbound_key>@RAPPORT_INBOUND_DOMAIN``. The key is the secret
part: knowing a studio's slug (it is in public URLs) is not enough to drop mail into its inbox.
``<slug>.<key>+bcc@…`` is the same mailbox, meant for the Bcc line of mail the freelancer sends
from their own mail program; ``comms.inbound.receive`` logs those as sent because they come
*from* the studio's own address, so the tag is only a label (any ``+tag`` is ignored).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import getaddresses

from django.conf import settings
from django.utils.crypto import constant_time_compare

from kernel.models import Studio

BCC_TAG = "bcc"


@dataclass(frozen=True)
class InboundAddress:
    slug: str
    key: str
    tag: str


def inbound_domain() -> str:
    return settings.RAPPORT_INBOUND_DOMAIN.strip().lower()


def inbound_address(studio: Studio) -> str:
    """Where clients' mail (ESP route, forwarding rule) is sent for this studio."""
    return f"{studio.slug}.{studio.inbound_key}@{inbound_domain()}"


def bcc_address(studio: Studio) -> str:
    """What the freelancer puts in Bcc when writing to a client from their own mail program."""
    return f"{studio.slug}.{studio.inbound_key}+{BCC_TAG}@{inbound_domain()}"


def parse_inbound_address(address: str) -> InboundAddress | None:
    """The slug, key and tag of one of our inbound addresses (any case), or None for any other address."""
    local, at, domain = (address or "").strip().strip("<>").rpartition("@")
    if not at or domain.lower() != inbound_domain():
        return None
    local, _plus, tag = local.partition("+")
    slug, dot, key = local.rpartition(".")
    if not dot or not slug or not key:
        return None
    return InboundAddress(slug=slug.lower(), key=key.lower(), tag=tag.lower())


def studio_for_address(address: str) -> Studio | None:
    parsed = parse_inbound_address(address)
    if parsed is None:
        return None
    studio = Studio.objects.filter(slug__iexact=parsed.slug).first()
    if studio is None or not constant_time_compare(studio.inbound_key.lower(), parsed.key):
        return None
    return studio


def studio_for_recipients(addresses: Iterable[str]) -> Studio | None:
    """The studio of the first of ``addresses`` that is a studio's inbound address (slug and key both match).

    Addresses may carry display names or be whole header values ("A <a@x>, b@y"); order matters
    only when a mail was sent to two studios at once, where the first (the envelope) wins.
    """
    for _name, address in getaddresses([value for value in addresses if value]):
        studio = studio_for_address(address)
        if studio is not None:
            return studio
    return None


def is_bcc_address(address: str) -> bool:
    parsed = parse_inbound_address(address)
    return parsed is not None and parsed.tag == BCC_TAG
