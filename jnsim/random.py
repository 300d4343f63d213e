"""Seeding every random number generator jnsim uses, for reproducible runs."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import _helperlib  # Numba's own (thread-local) Mersenne Twister

from .evaluate import random_generator, seed_generator

__all__ = ["kernel_state", "last_seed", "random_state", "seed", "seed_numba_generator",
           "set_random_state"]

_last_seed: list[int | None] = [None]

#: State of the generator used inside kernels (xoshiro256+, four 64-bit words).
#: Generated code draws with ``_rand(_rng)`` / ``_randn(_rng)`` (see
#: ``jnsim.codegen.printer.HELPERS``); the array is passed to every kernel call.
_KERNEL_STATE = np.zeros(4, dtype=np.uint64)


def _splitmix64(value: int) -> tuple[int, int]:
    """One step of SplitMix64: (new state, output), the usual way to seed xoshiro."""
    mask = (1 << 64) - 1
    value = (value + 0x9E3779B97F4A7C15) & mask
    z = value
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return value, z ^ (z >> 31)


def _seed_kernel_state(value: int) -> None:
    state = value
    for k in range(4):
        state, output = _splitmix64(state)
        _KERNEL_STATE[k] = np.uint64(output)


def kernel_state() -> np.ndarray:
    """The state array of the kernels' random number generator (shared by all kernels)."""
    return _KERNEL_STATE


_seed_kernel_state(int(np.random.SeedSequence().entropy % (2**63)))


def last_seed() -> int | None:
    """The value last given to :func:`seed` (``None`` if never seeded), for reports."""
    return _last_seed[0]


#: A seed given to :func:`seed` and not yet applied to Numba's generator.
_pending_numba_seed: list[int | None] = [None]


@numba.njit(cache=True)
def _seed_kernels(value: int) -> None:  # pragma: no cover - runs compiled
    np.random.seed(value)


def seed_numba_generator() -> None:
    """Apply a pending :func:`seed` to Numba's generator, before a kernel that uses it.

    Kernels draw ``rand()``/``randn()`` from jnsim's own generator, but binomial and
    Poisson numbers from Numba's ``np.random``, whose state is seeded only from
    compiled code. That costs a compilation, so it happens only when a kernel needs it;
    nothing draws from that generator in between, so the numbers are the same.
    """
    value = _pending_numba_seed[0]
    if value is not None:
        _pending_numba_seed[0] = None
        _seed_kernels(value)


def seed(value: int | None = None) -> None:
    """Seed the random numbers of kernels and of string expressions.

    With the same seed, the same script gives bit-for-bit the same results.
    ``seed()`` without a value picks a fresh random seed. Seeds are 64-bit: every value
    from 0 to 2**64 - 1 gives its own random numbers (seeds below 2**32 give the numbers
    they gave before 64-bit seeds were accepted).
    """
    if value is None:
        value = int(np.random.SeedSequence().entropy % (2**32))
    if (not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 0
            or value >= 2**64):
        from .errors import JnsimError

        raise JnsimError(f"a seed must be an integer from 0 to 2**64 - 1, not {value!r}",
                         hint="e.g. seed(42), or a value from "
                              "numpy.random.SeedSequence(...).generate_state(1, np.uint64)")
    value = int(value)
    _last_seed[0] = value
    _seed_kernel_state(value)
    # NumPy's legacy generator takes 32-bit words; Numba's compiled np.random.seed one
    # 32-bit value: a 64-bit seed is given whole to the first and hashed for the second.
    low, high = value & 0xFFFFFFFF, value >> 32
    np.random.seed(low if high == 0 else np.array([low, high], dtype=np.uint32))
    seed_generator(value)
    _pending_numba_seed[0] = low if high == 0 else int(
        np.random.SeedSequence(value).generate_state(1)[0])


def random_state() -> dict[str, Any]:
    """The state of every generator jnsim draws from (for ``store()``)."""
    return {
        "kernels": _KERNEL_STATE.copy(),
        "expressions": random_generator().bit_generator.state,
        "numpy": np.random.get_state(),
        "numba": (_pending_numba_seed[0],
                  _helperlib.rnd_get_state(_helperlib.rnd_get_np_state_ptr())),
        "seed": _last_seed[0],
    }


def set_random_state(state: dict[str, Any]) -> None:
    """Return every generator to a state from :func:`random_state`."""
    _KERNEL_STATE[:] = state["kernels"]
    random_generator().bit_generator.state = state["expressions"]
    np.random.set_state(state["numpy"])
    pending, numba_state = state["numba"]
    _pending_numba_seed[0] = pending
    if pending is None:
        _helperlib.rnd_set_state(_helperlib.rnd_get_np_state_ptr(), numba_state)
    _last_seed[0] = state["seed"]
