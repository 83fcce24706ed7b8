"""Secret link tokens (portal links, surveys, invitations): made at random, stored only as their SHA-256.

A lookup goes through the unique index on the hash: the hash of a random token gives a guesser no
timing to learn from, so no constant-time comparison is needed on top.
"""

import hashlib
import secrets


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
