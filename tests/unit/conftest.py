"""The unit tier: core's use cases on storage in memory (tests/unit/fakes.py)."""

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

import core.users.passwords
from tests.unit.fakes import FakeDatabase


@pytest.fixture
def fake() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2 with the least work it allows: the same hashing and checking, in a fraction
    of a millisecond instead of ~90 ms. The cached unmatched hash is made again either side
    of the test, so no test elsewhere gets a cheap one."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(core.users.passwords, "_hasher", cheap)
    core.users.passwords.unmatched_hash.cache_clear()
    yield
    core.users.passwords.unmatched_hash.cache_clear()
