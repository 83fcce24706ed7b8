"""Short-lived app links to one file: ``/files/s/<token>/`` works for ``RAPPORT_FILE_LINK_SECONDS``.

A link is a bearer key: whoever holds it may download the file until it expires, with no session.
The token is the file's id signed with the secret key and the time it was made (``TimestampSigner``,
salted for this use only), so it can't be forged, altered or made to live longer. The link still
answers from the app: each use checks that the file exists and hands it out like any download.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner, b62_decode, b62_encode
from django.urls import reverse

from files.models import ProjectFile

SALT = "rapport.files.signed-link"


class _Signer(TimestampSigner):
    """A TimestampSigner whose clock is the ``now`` it is given (the app's clock rule)."""

    def __init__(self, *, now: datetime | None = None) -> None:
        super().__init__(salt=SALT)
        self.now = now

    def timestamp(self) -> str:
        return b62_encode(int(self.now.timestamp()))


def signed_token(file: ProjectFile, *, now: datetime) -> str:
    return _Signer(now=now).sign(str(file.pk))


def signed_url(file: ProjectFile, *, now: datetime) -> str:
    """The path of a link that downloads ``file`` for ``RAPPORT_FILE_LINK_SECONDS`` from ``now``."""
    return reverse("files:signed", kwargs={"token": signed_token(file, now=now)})


def file_id_from_token(token: str, *, now: datetime) -> int:
    """The file id a token was made for.

    Raises ``SignatureExpired`` for a genuine token past its lifetime (or made in the future) and
    ``BadSignature`` for anything altered or made up.
    """
    signer = _Signer()
    value_and_time = super(TimestampSigner, signer).unsign(token)  # the signature alone, no clock yet
    value, _sep, made = value_and_time.rpartition(signer.sep)
    try:
        made_at = b62_decode(made)
        pk = int(value)
    except ValueError as error:
        raise BadSignature("Malformed file link.") from error
    age = now.timestamp() - made_at
    if age > settings.RAPPORT_FILE_LINK_SECONDS or age < -60:
        raise SignatureExpired(f"File link made {age:.0f} s ago.")
    return pk
