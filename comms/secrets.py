"""Secrets Rapport must store and read back (IMAP passwords), encrypted with Fernet.

The key comes from ``RAPPORT_ENCRYPTION_KEY`` when set (a Fernet key as is, e.g. from
``Fernet.generate_key()``, or any long random string, stretched with HKDF-SHA256), else it is
derived from ``SECRET_KEY`` with HKDF-SHA256. Decryption also tries the keys
derived from ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``: setting ``RAPPORT_ENCRYPTION_KEY`` later,
or rotating ``SECRET_KEY`` the Django way, keeps stored passwords readable until they are saved again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"rapport stored secrets v1"


class SecretError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


def _fernet_for(material: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def _configured_fernet(value: str) -> Fernet:
    try:
        return Fernet(value)
    except ValueError:  # not a Fernet key: a passphrase
        return _fernet_for(value)


def _fernet() -> MultiFernet:
    keys = []
    if configured := getattr(settings, "RAPPORT_ENCRYPTION_KEY", ""):
        keys.append(_configured_fernet(configured))
    for material in dict.fromkeys([settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]):
        if material:
            keys.append(_fernet_for(material))
    return MultiFernet(keys)


def encrypt(plaintext: str) -> str:
    """The encrypted form of ``plaintext``, as ASCII text for a TextField (empty stays empty)."""
    if not plaintext:
        return ""
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The plaintext of a value ``encrypt`` produced; ``SecretError`` when no configured key opens it."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise SecretError(
            "The stored password cannot be decrypted: RAPPORT_ENCRYPTION_KEY or SECRET_KEY changed since it "
            "was saved. Enter the password again on the Mail sources page."
        ) from exc
