"""Password hashing (argon2id). Clear-text passwords are never stored or logged."""

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def unmatched_hash() -> str:
    """A hash of a random password, made like a real one: checking a password against it
    costs what checking against a user's does, and never succeeds."""
    return _hasher.hash(secrets.token_urlsafe(32))


def generate_password() -> str:
    return secrets.token_urlsafe(12)
