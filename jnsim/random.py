"""Seeding every random number generator jnsim uses, for reproducible runs."""

from __future__ import annotations

import numba
import numpy as np

from .evaluate import seed_generator

__all__ = ["last_seed", "seed"]

_last_seed: list[int | None] = [None]


def last_seed() -> int | None:
    """The value last given to :func:`seed` (``None`` if never seeded), for reports."""
    return _last_seed[0]


@numba.njit(cache=True)
def _seed_kernels(value: int) -> None:  # pragma: no cover - runs compiled
    np.random.seed(value)


def seed(value: int | None = None) -> None:
    """Seed the random numbers of kernels and of string expressions.

    With the same seed, the same script gives bit-for-bit the same results.
    ``seed()`` without a value picks a fresh random seed.
    """
    if value is None:
        value = int(np.random.SeedSequence().entropy % (2**32))
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 0:
        from .errors import JnsimError

        raise JnsimError(f"a seed must be a non-negative integer, not {value!r}")
    value = int(value) % (2**32)
    _last_seed[0] = value
    np.random.seed(value)
    seed_generator(value)
    _seed_kernels(value)
