"""Which kernel a network runs, and on how many threads.

A network's kernel is either the serial one or the multi-threaded one: the state
update and threshold of neuron groups are split into fixed chunks of neurons, and
synaptic propagation into ranges of target neurons, so that no two threads write one
value and the results do not depend on the number of threads (``docs/performance.md``).
The two kernels give the same bits unless the code draws random numbers: the
multi-threaded kernel draws them per element from a counter-based generator, so that
a noisy network gives the same results on 1, 2 or 64 threads, but not the same as the
serial kernel.

The choice, in order of precedence:

1. :func:`set_threads`: ``1`` for the serial kernel, ``n > 1`` for the multi-threaded
   kernel on ``n`` threads, ``None`` for the automatic choice;
2. the environment variable ``JNSIM_THREADS``, read the same way;
3. automatic: the multi-threaded kernel on all of Numba's threads (``NUMBA_NUM_THREADS``,
   the number of cores by default) for networks of at least :data:`AUTO_MIN_NEURONS`
   neurons, the serial kernel below. The kernel follows from the size alone, not from
   the machine: on one core (or in a sweep worker, ``NUMBA_NUM_THREADS=1``) a large
   network runs the multi-threaded kernel on one thread, and so gives the same
   results as on many.

The number of threads never exceeds ``NUMBA_NUM_THREADS``. Threading layer: unless
``NUMBA_THREADING_LAYER`` is set, jnsim asks Numba for a thread-safe one (TBB or
OpenMP), so kernels running in several Python threads at once cannot abort the
process; without one, kernels stay serial. A process forked after it ran a
multi-threaded kernel on GNU OpenMP (which cannot run in such a child) runs serial
kernels.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import NamedTuple

import numba

from .errors import JnsimError

__all__ = ["AUTO_MIN_NEURONS", "ENVIRONMENT_VARIABLE", "KernelThreads", "get_threads",
           "kernel_threads", "limit_threads",
           "parallel_available", "running_threads", "set_threads"]

#: The environment variable giving the number of threads (``1``: serial kernels).
ENVIRONMENT_VARIABLE = "JNSIM_THREADS"

#: Networks with at least this many neurons run the multi-threaded kernel by default;
#: ``None``: never by default (only with :func:`set_threads` or ``JNSIM_THREADS``).
#: Measured with ``benchmarks/threads.py`` on the development machine (2 cores, CUBA):
#: 2 threads against the serial kernel 0.88-1.41x at 32 000 neurons, 1.50-1.61x at
#: 64 000, 1.38-1.50x at 128 000, 1.49-1.76x at 256 000 (docs/performance.md).
AUTO_MIN_NEURONS: int | None = 64_000


class KernelThreads(NamedTuple):
    """The kernel a network runs: the multi-threaded one or not, and its threads."""

    multithreaded: bool
    count: int


SERIAL = KernelThreads(False, 1)

_setting: list[int | None] = [None]
#: At most this many threads whatever the setting (sweep workers: 1); ``None``: no limit.
_limit: list[int | None] = [None]
#: Whether this process ran a multi-threaded kernel (and on which threading layer).
_launched: list[str | None] = [None]
#: Set in a child forked after a launch on GNU OpenMP: multi-threading is off there.
_forked_unsafe: list[bool] = [False]


def set_threads(n: int | None) -> None:
    """Set the number of threads of network kernels.

    Parameters
    ----------
    n
        A positive number of threads (``1``: the serial kernel; more: the
        multi-threaded kernel), or ``None`` for the automatic choice
        (``JNSIM_THREADS`` if set, else the multi-threaded kernel on all cores for
        networks of at least :data:`AUTO_MIN_NEURONS` neurons). The number used never
        exceeds ``NUMBA_NUM_THREADS``.

    Raises
    ------
    JnsimError
        If ``n`` is not a positive integer or ``None``.
    """
    if n is not None:
        n = _positive_count(n, "set_threads()")
    _setting[0] = n


def limit_threads(n: int | None) -> None:
    """Run kernels on at most ``n`` threads (``None``: no limit), without changing which
    kernel a network runs: a sweep worker runs a large network's multi-threaded kernel
    on one thread, so that its results are those of the same run outside the sweep."""
    _limit[0] = None if n is None else _positive_count(n, "limit_threads()")


def get_threads() -> int | None:
    """The value given to :func:`set_threads` (``None``: automatic)."""
    return _setting[0]


def _positive_count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise JnsimError(f"{what} takes a positive number of threads or None, not {value!r}",
                         hint="e.g. set_threads(2), set_threads(1) for serial kernels, "
                              "set_threads(None) for the automatic choice")
    return int(value)


def _environment_threads() -> int | None:
    """``JNSIM_THREADS`` as a number, ``None`` when unset or empty."""
    text = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise JnsimError(f"{ENVIRONMENT_VARIABLE}={text!r} is not a positive number of threads",
                         hint=f"set {ENVIRONMENT_VARIABLE}=1 for serial kernels, a larger "
                              "number for that many threads, or unset it")
    return value


def choose_threads(neurons: int, requested: int | None, available: int,
                   minimum: int | None = AUTO_MIN_NEURONS) -> KernelThreads:
    """The kernel for a network of ``neurons`` neurons (a pure function).

    Parameters
    ----------
    neurons
        Neurons of the network's groups.
    requested
        Threads asked for (:func:`set_threads` or ``JNSIM_THREADS``; ``1``: the serial
        kernel), ``None`` for the automatic choice.
    available
        Threads Numba may use (``NUMBA_NUM_THREADS``).
    minimum
        The automatic choice runs the multi-threaded kernel on every thread from this
        many neurons on (``None``: the serial kernel whatever the size).
    """
    if requested is None:
        if minimum is None or neurons < minimum:
            return SERIAL
        return KernelThreads(True, max(1, available))
    if requested == 1:
        return SERIAL
    return KernelThreads(True, max(1, min(requested, available)))


def kernel_threads(neurons: int) -> KernelThreads:
    """The kernel of a network of ``neurons`` neurons, and the threads it runs on.

    Follows :func:`set_threads`, then ``JNSIM_THREADS``, then the automatic choice;
    the serial kernel wherever multi-threaded kernels cannot run safely
    (:func:`parallel_available`).
    """
    requested = _setting[0] if _setting[0] is not None else _environment_threads()
    available = numba.config.NUMBA_NUM_THREADS
    if _limit[0] is not None:
        available = min(available, _limit[0])
    choice = choose_threads(neurons, requested, available, AUTO_MIN_NEURONS)
    if choice.multithreaded and not parallel_available():
        return SERIAL
    return choice


def _threadsafe_layer() -> str | None:
    """The threading layer Numba will use for jnsim's kernels, ``None`` if none is safe."""
    configured = os.environ.get("NUMBA_THREADING_LAYER")
    if configured:  # the user's choice, whatever it is
        return configured
    for layer, module in (("tbb", "tbbpool"), ("omp", "omppool")):
        try:
            importlib.import_module(f"numba.np.ufunc.{module}")
        except ImportError:
            continue
        return layer
    return None


def parallel_available() -> bool:
    """Whether multi-threaded kernels can run in this process.

    They need a thread-safe threading layer (TBB or OpenMP; Numba's own workqueue
    aborts the process when two threads use it at once), and cannot run in a
    process forked after GNU OpenMP was used.
    """
    if _forked_unsafe[0]:
        return False
    layer = _threadsafe_layer()
    if layer is None:
        return False
    if not os.environ.get("NUMBA_THREADING_LAYER") and numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = "threadsafe"
    return True


def _after_fork_in_child() -> None:
    if _launched[0] == "omp":
        try:
            from numba.np.ufunc import omppool
        except ImportError:  # pragma: no cover - omp was launched, so it imports
            return
        if getattr(omppool, "openmp_vendor", "GNU") == "GNU":
            _forked_unsafe[0] = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@contextmanager
def running_threads(threads: int) -> Iterator[None]:
    """Run the enclosed kernel calls on ``threads`` threads (Numba's per-thread setting),
    and restore the previous number afterwards; ``0``: leave it (a serial kernel)."""
    if threads < 1:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        yield
    finally:
        numba.set_num_threads(previous)
        if _launched[0] is None:
            with suppress(ValueError):  # (no parallel region ran)
                _launched[0] = numba.threading_layer()
