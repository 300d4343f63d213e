"""Networks: collect objects, generate one kernel for them, run it in chunks.

The time loop runs inside the generated kernel.  Python regains control only
between chunks of steps: to report progress, to grow monitor buffers, to let
Ctrl-C through, and to check the state for NaNs.  The kernel's source depends
only on the model's structure; values (parameters, ``dt``, state) are passed
as arguments, so rerunning with new values never recompiles.
"""

from __future__ import annotations

import contextlib
import pickle
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .base import JnsimObject, current_scope
from .clock import defaultclock, time_in_seconds
from .codegen import parallel as parallel_code
from .codegen.blocks import NJIT_OPTIONS, SLOTS, Operation, helper_sources
from .codegen.fusion import fuse_chunk_loops, fusion_pairs
from .codegen.inline import inline_body
from .codegen.parallel import PARALLEL_NJIT_OPTIONS, SITE_PLACEHOLDER, prange_pointers
from .codegen.pointers import argument_values, pointer_arguments, pointer_candidate, pointer_import
from .compiler import Kernel, compile_kernel
from .errors import JnsimError, RunError, errors_within
from .namespace import caller_namespace
from .protocol import record_run
from .random import kernel_state, random_state, seed_numba_generator, set_random_state
from .threads import kernel_threads, running_threads
from .units import Quantity, registry

__all__ = ["Network", "collect", "restore", "run", "store"]

_HEADER = "import math\nimport numba\nimport numpy as np\n"
#: Arrays that ``run()`` passes to every driver, and their kinds.
_RUN_ARRAYS = {"_progress": ("int64", 1), "_nan_flag": ("int64", 1)}
_KEY = re.compile(r"\b[on]\d+__\w+")


@dataclass(frozen=True)
class KernelPlan:
    """The generated kernel of a network for one structure.

    Attributes
    ----------
    source
        The complete module source.
    keys
        Keys of the network's values that the driver takes, in order.
    operations
        The operations it runs.
    arguments
        The driver's arguments after the leading three (step, stop, dt): ``(key,
        form)``, where form says how the argument is made from the value
        (``jnsim.codegen.pointers``); ``_progress`` and ``_nan_flag`` come first.
    pointers
        ``{key: (dtype, ndim)}`` of the arrays passed as the address of their data.
    threads
        The number of threads it runs on (:mod:`jnsim.threads`).
    multithreaded
        Whether it is the multi-threaded kernel (whose results are the same on any
        number of threads, one included).
    """

    source: str
    keys: tuple[str, ...]
    operations: tuple[Operation, ...]
    arguments: tuple[tuple[str, str], ...] = ()
    pointers: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    threads: int = 1
    multithreaded: bool = False

    def argument_values(self, values: Mapping[str, Any]) -> list[Any]:
        """The driver's arguments after the leading three, from the network's values
        (with ``_progress`` and ``_nan_flag``)."""
        return argument_values(self.arguments, values, self.pointers)


def build_kernel_source(operations: Iterable[Operation],
                        candidates: Mapping[str, tuple[str, int]] | None = None,
                        threads: int = 1, multithreaded: bool | None = None) -> KernelPlan:
    """Assemble the module with every operation and the driver loop.

    ``candidates`` (``{key: (dtype, ndim)}``, see ``jnsim.codegen.pointers``) are the
    array arguments that may be passed as pointers where the driver's code allows it
    (and, for a multi-threaded kernel, ``'bool'`` arrays, which its ``prange`` bodies
    read through byte pointers: :func:`jnsim.codegen.parallel.prange_pointers`).
    In the multi-threaded kernel (``multithreaded``; by default ``threads > 1``),
    operations with a multi-threaded variant run it (:mod:`jnsim.codegen.parallel`;
    the others run as in the serial kernel; a group's threshold in the region of its
    state update where that is safe, :mod:`jnsim.codegen.fusion`), and the driver
    draws the step's random key where they need one; if no operation has such a
    variant, the kernel is the serial one (and the plan's ``threads`` 1).
    """
    operations = tuple(sorted(operations, key=lambda o: (SLOTS.index(o.slot), o.order, o.name)))
    # (without a multi-threaded operation, Numba's slower parallel compilation buys nothing)
    if multithreaded is None:
        multithreaded = threads > 1
    multithreaded = multithreaded and any(op.parallel_source for op in operations)
    threads = threads if multithreaded else 1
    if multithreaded:  # (arrays stay arrays: prange bodies make their own pointers)
        operations = _multithreaded(operations)
    keyed = any("_rkey" in op.arguments for op in operations)
    keys = sorted({k for op in operations for k in op.arguments
                   if k not in ("t", "_nan_flag", "_step", "_rkey")}
                  | {k for op in operations for r in op.room for k in _KEY.findall(r)}
                  | ({"_rng"} if keyed else set()))
    helpers = set().union(*(op.helpers for op in operations)) if operations else set()
    if keyed:
        helpers |= {"_rand", "_rand_key", "_mix64"}
    parts = [_HEADER]
    if helpers:
        parts.append(helper_sources(helpers))
    bodies = {op.name: inline_body(op.source, op.arguments, f"_o{k}_")
              for k, op in enumerate(operations)}
    parts += [op.source for op in operations if bodies[op.name] is None]
    fused = _fuse_regions(operations, bodies) if multithreaded else set()
    driver = [
        "    while _step < _stop:",
        "        _block = _stop - _step",
    ]
    # Blocks of steps that fit every buffer: no test inside the loop over a block.
    # (No builtin min: Numba compiles it as a function of its own, once per process.)
    for room in (r for op in operations for r in op.room):
        driver += [f"        _room = {room}", "        if _room < _block:",
                   "            _block = _room"]
    # (a counting while loop: Numba compiles it faster than a range loop, see
    # jnsim.codegen.inline)
    driver += ["        if _block < 1:", "            break", "        _end = _step + _block",
               "        while _step < _end:", "            t = _step * _dt"]
    if keyed:  # one draw from the stream per step keys the step's element-wise numbers
        driver.append("            _rkey = _rand_key(_rng)")
    for slot in SLOTS:
        for op in (o for o in operations if o.slot == slot and o.name not in fused):
            indent = " " * 12
            if op.every > 1:
                driver.append(f"{indent}if _step % {op.every} == 0:")
                indent += " " * 4
            body = bodies[op.name]
            if body is None:
                driver.append(f"{indent}{op.name}({', '.join(op.arguments)})")
            else:
                driver.append(f"{indent}# {op.name}")
                driver += [indent + line for line in body]
        if slot == "groups":
            driver += ["            if _nan_flag[0] != 0:", "                _nan_flag[3] = _step",
                       "                _progress[0] = _step", "                return _step"]
    driver += ["            _step += 1", "        _progress[0] = _step", "    return _step"]
    # Only what the code reads becomes an argument: inlined operations leave some of
    # their parameters unused, and every array argument costs Numba compilation time.
    used = set(_KEY.findall("\n".join(driver + parts[1:])))
    keys = [k for k in keys if k in used or not _KEY.fullmatch(k)]
    options = f"{NJIT_OPTIONS}, {PARALLEL_NJIT_OPTIONS}" if multithreaded else NJIT_OPTIONS
    header = [f"@numba.njit({options}, no_cfunc_wrapper=True)",
              f"def run_steps(_step, _stop, _dt, _progress, _nan_flag"
              f"{''.join(', ' + k for k in keys)}):"]
    # the run's progress and NaN flag are int64 arrays as well (made by run())
    driver_source, arguments, pointers = pointer_arguments(
        "\n".join(header + driver) + "\n", ("_progress", "_nan_flag", *keys),
        {} if multithreaded else {**{k: v for k, v in (candidates or {}).items()
                                     if v[0] != "bool"}, **_RUN_ARRAYS})
    dtypes = {dtype for dtype, _ in pointers.values()}
    if multithreaded:  # (the arrays that prange bodies index, read through pointers there)
        driver_source, body_dtypes = prange_pointers(
            driver_source, {**(candidates or {}), **_RUN_ARRAYS})
        dtypes |= body_dtypes
    if dtypes:
        parts[0] += pointer_import(sorted(dtypes))
    parts.append(driver_source)
    return KernelPlan("\n\n".join(parts), tuple(keys), operations, arguments, pointers,
                      threads, multithreaded)


def _fuse_regions(operations: tuple[Operation, ...],
                  bodies: dict[str, list[str] | None]) -> set[str]:
    """Run each group's threshold in the prange region of its state update where that is
    safe (:mod:`jnsim.codegen.fusion`): ``bodies`` of the updates are replaced by the
    fused ones; the names of the thresholds they took in are returned."""
    names = [op.name for op in operations]
    position = {op.name: k for k, op in enumerate(operations)}
    pairs = fusion_pairs(names, {op.name: op.owner for op in operations},
                         {op.name: op.slot for op in operations},
                         {op.name: op.every for op in operations}, bodies,
                         {op.name: "numba.prange(" in op.source for op in operations})
    taken: set[str] = set()
    for update, threshold in pairs:
        one = fuse_chunk_loops(bodies[update] or [], bodies[threshold] or [],
                               f"_o{position[update]}_", f"_o{position[threshold]}_")
        if one is not None:
            bodies[update] = one
            taken.add(threshold)
    return taken


def _multithreaded(operations: tuple[Operation, ...]) -> tuple[Operation, ...]:
    """The operations as a multi-threaded kernel runs them: their multi-threaded
    variants, each with its own random numbers (its position numbers its call sites)."""
    result = []
    for position, op in enumerate(operations):
        op = op.multithreaded()
        if SITE_PLACEHOLDER in op.source:
            op = replace(op, source=op.source.replace(SITE_PLACEHOLDER, str(position << 16)))
        result.append(op)
    return tuple(result)


@dataclass(frozen=True)
class RunStats:
    """Timings of the last run of a network.

    Attributes
    ----------
    steps
        Time steps simulated.
    kernel_seconds
        Wall time spent inside the compiled kernel: the simulation loop only
        (compilation and cache loading are in ``compile_seconds``).
    kernel_cpu_seconds
        CPU time of the thread running the kernel over the same calls (less
        sensitive than wall time to other processes on a busy machine).
    run_seconds
        Wall time of the whole ``run()`` call (name resolution, code generation,
        compilation or cache loading, the loop).
    compiled
        Whether this run compiled the kernel.
    compile_seconds
        Wall time this run spent compiling the kernel or loading it from the
        disk cache (0 when the kernel was ready from an earlier run).
    """

    steps: int
    kernel_seconds: float
    kernel_cpu_seconds: float
    run_seconds: float
    compiled: bool
    compile_seconds: float = 0.0


class Network:
    """A set of objects simulated together.

    Parameters
    ----------
    *objects
        Groups, synapses and monitors (lists of them are flattened).
    name
        Free-text name.
    """

    def __init__(self, *objects: Any, name: str = "network") -> None:
        self.name = name
        self.objects: list[Any] = []
        self._t = 0.0
        self._stored: dict[str, dict[str, Any]] = {}
        self._initial_state: dict[str, Any] | None = None
        self._kernels: dict[str, Kernel] = {}
        self.last_plan: KernelPlan | None = None
        self.last_run_stats: RunStats | None = None
        self.add(*objects)

    # -- membership -----------------------------------------------------------------
    def add(self, *objects: Any) -> None:
        """Add objects (or lists of objects) to the network."""
        for obj in objects:
            if isinstance(obj, list | tuple | set):
                self.add(*obj)
            elif isinstance(obj, Network):
                self.add(*obj.objects)
            elif isinstance(obj, JnsimObject):
                if obj not in self.objects:
                    self.objects.append(obj)
            else:
                raise JnsimError(f"cannot add {obj!r} to a network",
                                 hint="add groups, synapses and monitors")

    def stop(self) -> None:
        """End the current run after the time step in progress (see :func:`stop`)."""
        stop()

    def remove(self, *objects: Any) -> None:
        """Remove objects from the network."""
        for obj in objects:
            if obj in self.objects:
                self.objects.remove(obj)

    def __getitem__(self, name: str) -> Any:
        for obj in self.objects:
            if obj.name == name:
                return obj
        raise KeyError(name)

    def __contains__(self, obj: Any) -> bool:
        return obj in self.objects

    def _runnable(self) -> list[Any]:
        """Every object to simulate: members and the objects they contain."""
        result: list[Any] = []
        seen: set[int] = set()  # a group linked to its own variables contains itself

        def visit(obj: Any) -> None:
            if id(obj) in seen:
                return
            seen.add(id(obj))
            for inner in obj.contained_objects():
                visit(inner)
            # the class must define the operations: a subgroup only forwards attribute
            # access to its parent, which runs once, as itself
            if hasattr(type(obj), "operations"):
                result.append(obj)

        for obj in self.objects:
            if obj.active:
                visit(obj)
        return sorted(result, key=lambda o: o.creation_index)

    # -- time -------------------------------------------------------------------------
    @property
    def t(self) -> Quantity:
        """The network's current time."""
        return (self._t * registry.second).to("ms")

    @property
    def t_(self) -> float:
        """The current time in seconds."""
        return self._t

    def base_dt_seconds(self) -> float:
        """The network's time step in seconds: the smallest ``dt`` of its objects."""
        return self._base_dt(self._runnable())

    def _base_dt(self, objects: list[Any]) -> float:
        dts = [getattr(o, "dt_", defaultclock.dt_) for o in objects if hasattr(o, "dt_")]
        return min(dts, default=defaultclock.dt_)

    # -- running -------------------------------------------------------------------------
    def prepare(self, namespace: Mapping[str, Any] | None = None,
                caller_ns: Mapping[str, Any] | None = None
                ) -> tuple[KernelPlan, dict[str, Any], list[Any], float]:
        """Resolve names, generate and compile the kernel; returns what ``run`` needs."""
        objects = self._runnable()
        if not objects:
            raise JnsimError("the network has no objects to run",
                             hint="create groups before calling run(), or pass them to Network()")
        _check_dependencies(objects)
        _check_summed_targets(objects)
        base_dt = self._base_dt(objects)
        operations: list[Operation] = []
        values: dict[str, Any] = {}
        for obj in objects:
            with errors_within(lambda obj=obj: obj.error_context):
                externals = obj.resolve(namespace, caller_ns)
                operations += obj.operations(externals, base_dt)
                values.update(obj.argument_values(externals, base_dt))
        operations, values = _canonical(operations, values, objects)
        values["_rng"] = kernel_state()
        choice = kernel_threads(network_neurons(objects))
        threads = choice.count
        values["_threads"] = np.int64(threads)
        values["_min_events"] = np.int64(parallel_code.MIN_EVENTS)
        # (prange bodies of a multi-threaded kernel read boolean arrays through pointers)
        candidates = {key: kind for key, value in values.items()
                      if (kind := pointer_candidate(value, booleans=choice.multithreaded))
                      is not None}
        plan = build_kernel_source(operations, candidates, threads=threads,
                                   multithreaded=choice.multithreaded)
        missing = [k for k in plan.keys if k not in values]
        if missing:  # pragma: no cover - a bug in code generation, not a user mistake
            raise RuntimeError(f"no values for kernel arguments {missing}")
        self.last_plan = plan
        return plan, values, objects, base_dt

    def run(self, duration: Any, report: str | Callable[..., Any] | None = None,
            report_period: Any = None, namespace: Mapping[str, Any] | None = None,
            level: int = 0, caller_ns: Mapping[str, Any] | None = None,
            show_code: bool = False, profile: bool | None = None) -> None:
        """Simulate for ``duration``.

        Parameters
        ----------
        duration
            How long to simulate (a time).
        report
            ``'text'``/``'stdout'``/``'stderr'`` to print progress, or a callable
            ``report(elapsed_s, completed_fraction, start_s, duration_s)``.
        report_period
            Wall time between reports (10 s by default).
        namespace
            External names for objects without their own namespace. If omitted,
            names are looked up where ``run`` was called (or in the IPython user
            namespace).
        level
            Accepted for Brian compatibility; the caller is found automatically.
        show_code
            Print the generated kernel before running.
        profile
            Accepted for Brian compatibility: every run is timed as a whole
            (:func:`~jnsim.profiling_summary`).

        Raises
        ------
        RunError
            If a state variable becomes NaN or infinite.
        KeyboardInterrupt
            On Ctrl-C, after leaving the network in a consistent state at the
            last completed step (``run`` can be called again to continue).
        """
        duration_s = _duration_seconds(duration)
        if namespace is None and caller_ns is None:
            caller_ns = caller_namespace()
        plan, values, objects, base_dt = self.prepare(namespace, caller_ns)
        if show_code:
            print(plan.source)
        kernel = self._compile(plan)
        started_at = self._t
        if self._t == 0.0:
            self._initial_state = self._snapshot()
        first_call = kernel.origin is None
        start_step = round(self._t / base_dt)
        stop_step = start_step + round(duration_s / base_dt)
        reporter = _Reporter(report, report_period, self._t, duration_s)
        progress = np.array([start_step], dtype=np.int64)
        nan_flag = np.zeros(4, dtype=np.int64)
        values.update(_progress=progress, _nan_flag=nan_flag)
        step = start_step
        arguments: list[Any] | None = None
        made_last = _CPU_TIMED_STEPS
        chunk = 256
        stalled = 0
        kernel_seconds = kernel_cpu_seconds = compile_seconds = 0.0
        run_started = time.perf_counter()
        rename = canonical_names(objects)
        for obj in objects:
            obj._t = self._t
        python_calls = [obj for obj in objects if hasattr(obj, "between_steps")]
        for obj in python_calls:
            obj.start_run(start_step)
        _STOP_REQUESTS.clear()
        # the kernel's thread count is set once for the run, not around every chunk
        threads = contextlib.ExitStack()
        threads.enter_context(running_threads(plan.threads if plan.multithreaded else 0))
        try:
            while step < stop_step:
                for obj in python_calls:  # network operations due before this step
                    obj.between_steps(step, stop_step, base_dt)
                    if _STOP_REQUESTS:  # stop(): this step still runs, as in Brian
                        stop_step = min(stop_step, step + (
                            1 if _STOP_REQUESTS[0] == "start" else 0))
                        break
                if step >= stop_step:
                    break
                target = min(stop_step, step + chunk)
                for obj in objects:
                    if hasattr(obj, "reserve") and obj.reserve(target - step, base_dt):
                        fresh = obj.argument_values({}, base_dt)
                        values.update({rename(k): v for k, v in fresh.items()})
                        arguments = None
                # the arguments (data addresses of the arrays in ``values``) change only
                # with ``values``: worked out again only then, not for every chunk (a
                # network operation every step made that most of the run's time)
                if arguments is None:
                    arguments = plan.argument_values(values)
                if kernel.origin is None:  # compile (or load) outside the timed loop
                    compile_seconds += kernel.prepare(step, target, base_dt, *arguments)
                # CPU time is read around chunks of many steps only: reading it costs
                # tens of microseconds on some machines, more than a chunk of one step
                # (the kernel stops at every step a network operation is due); while the
                # chunks are that short, a chunk's CPU time is its wall time
                timed_cpu = made_last >= _CPU_TIMED_STEPS
                started = time.perf_counter()
                cpu_started = time.thread_time() if timed_cpu else 0.0
                reached = kernel(step, target, base_dt, *arguments)
                elapsed = time.perf_counter() - started
                kernel_seconds += elapsed
                kernel_cpu_seconds += (time.thread_time() - cpu_started) if timed_cpu \
                    else elapsed
                made = made_last = reached - step
                if made == 0 and nan_flag[0] == 0:
                    stalled += 1
                    if stalled > 2:  # pragma: no cover - would be a bug in jnsim
                        raise RuntimeError("the kernel stopped making progress: a recording "
                                           "buffer could not be enlarged")
                else:
                    stalled = 0
                step = int(reached)
                self._t = step * base_dt
                if nan_flag[0] != 0:
                    raise self._nan_error(nan_flag, plan, objects, base_dt)
                if made > 0 and target - (step - made) == chunk:
                    chunk = _next_chunk(chunk, made, elapsed)
                reporter.update((step - start_step) * base_dt)
            for obj in python_calls:  # when='end' operations after the last step
                if _STOP_REQUESTS:
                    break
                obj.between_steps(step, stop_step, base_dt)
        except KeyboardInterrupt:
            self._t = int(progress[0]) * base_dt
            raise
        finally:
            threads.close()
            for obj in objects:
                obj._t = self._t
            defaultclock._t = self._t
        reporter.finish((step - start_step) * base_dt)
        self.last_run_stats = RunStats(
            steps=step - start_step, kernel_seconds=kernel_seconds,
            kernel_cpu_seconds=kernel_cpu_seconds,
            run_seconds=time.perf_counter() - run_started,
            compiled=kernel.origin == "compiled" and first_call,
            compile_seconds=compile_seconds)
        _RUN_HISTORY.append(self.last_run_stats)
        del _RUN_HISTORY[:-100]
        record_run(self.name, objects, started_at, self._t - started_at, duration_s, base_dt,
                   step - start_step, self.last_run_stats.run_seconds,
                   self._initial_state if started_at == 0.0 else None)

    def _compile(self, plan: KernelPlan) -> Kernel:
        if "np.random." in plan.source:  # the kernel draws from Numba's own generator
            seed_numba_generator()
        kernel = self._kernels.get(plan.source)
        if kernel is None:
            kernel = compile_kernel(plan.source, "run_steps")
            self._kernels = {plan.source: kernel}
        return kernel

    def _nan_error(self, nan_flag: np.ndarray, plan: KernelPlan, objects: list[Any],
                   base_dt: float) -> RunError:
        owner_index, step = int(nan_flag[0]), int(nan_flag[3])
        owner = next((o for o in objects if o.creation_index == owner_index - 1), None)
        name = owner.name if owner is not None else "a group"
        variable, element = "a variable", 0
        if owner is not None and hasattr(owner, "code"):
            # the first element holding a non-finite value; at equal elements, the
            # first variable
            found = []
            for position, state in enumerate(owner.code.float_state_names()):
                bad = np.flatnonzero(~np.isfinite(owner.arrays[state]))
                if bad.size:
                    found.append((int(bad[0]), position, state))
            if found:
                element, _, state = min(found)
                variable = f"'{state}'"
        t_ms = (step + 1) * base_dt * 1e3
        return RunError(
            f"{variable} of {name} became NaN or infinite at neuron {element}, t = {t_ms:g} ms",
            hint="check the equations and parameters (a division by zero, an exponential "
                 "overflowing, or a time step too large for the method); the run stopped "
                 "after that step")

    # -- store / restore ----------------------------------------------------------------
    def store(self, name: str = "default", filename: str | None = None) -> None:
        """Remember the state of every object and the time, under ``name``.

        With ``filename`` the state is written to that file (added to the states
        already there), keyed by the objects' names, so that a later session that
        builds the same network can :meth:`restore` it.
        """
        snapshot = self._snapshot()
        objects = self._runnable()
        self._stored[name] = snapshot
        if filename is not None:
            names = _unique_names(objects, "store to a file")
            on_disk = _read_states(filename) if Path(filename).exists() else {}
            on_disk[name] = {**snapshot, "objects": {
                names[id(obj)]: snapshot["objects"][id(obj)] for obj in objects}}
            with open(filename, "wb") as file:
                pickle.dump({"jnsim_states": 1, "states": on_disk}, file)

    def store_initial(self, name: str) -> None:
        """Store, under ``name``, the state at t = 0 (as it was before the first run).

        Raises
        ------
        JnsimError
            If the network ran without that state being taken (it is taken when a
            run starts at t = 0), or objects were added after it was taken.
        """
        if self._t == 0.0:
            self._stored[name] = self._snapshot()
            return
        initial = self._initial_state
        missing = [obj.name for obj in self._runnable()
                   if initial is None or id(obj) not in initial["objects"]]
        if missing:
            raise JnsimError(
                f"the state of {self.name!r} at t = 0 is not known for "
                + ", ".join(missing), hint="store() the network before its first run and "
                "restore() it, or start from the current state")
        self._stored[name] = initial

    def _snapshot(self) -> dict[str, Any]:
        """The state of every object, the time and the random state."""
        snapshot: dict[str, Any] = {"t": self._t, "objects": {}, "random": random_state()}
        for obj in self._runnable():
            snapshot["objects"][id(obj)] = _snapshot(obj)
        return snapshot

    def restore(self, name: str = "default", filename: str | None = None,
                restore_random_state: bool = False) -> None:
        """Return to the state stored under ``name`` (in ``filename`` if given).

        With ``restore_random_state=True`` the random number generators return to
        their state at ``store()`` as well, so that the restored run repeats the
        stored one exactly; by default (as in Brian) they go on, and a restored run
        draws new random numbers.
        """
        objects = self._runnable()
        if filename is not None:
            states = _read_states(filename)
            if name not in states:
                raise JnsimError(f"{filename} holds no state named '{name}'",
                                 hint="states in it: " + (", ".join(states) or "none"))
            names = _unique_names(objects, "restore from a file")
            saved = states[name]["objects"]
            missing = sorted(n for n in names.values() if n not in saved)
            if missing:
                raise JnsimError(
                    f"{filename} has no state for {', '.join(missing)}",
                    hint="restore into a network built like the stored one, with the "
                         f"same object names; stored: {', '.join(sorted(saved))}")
            snapshot = {**states[name], "objects": {
                id(obj): saved[names[id(obj)]] for obj in objects}}
        elif name not in self._stored:
            raise JnsimError(f"no state stored under '{name}'",
                             hint="call store(name) first; stored: "
                                  + ", ".join(self._stored) if self._stored else
                                  "call store() first")
        else:
            snapshot = self._stored[name]
        self._t = snapshot["t"]
        defaultclock._t = self._t
        if restore_random_state:
            set_random_state(snapshot["random"])
        for obj in objects:
            state = snapshot["objects"].get(id(obj))
            if state is not None:
                _restore(obj, state)

    @property
    def profiling_info(self) -> list[tuple[str, Quantity]]:
        """Brian's ``profiling_info``: ``(name, time)`` of the code of the latest run.

        jnsim runs a network as one compiled kernel, so there is one entry, the time
        spent in it (every run is timed, ``profile=True`` or not); empty before the
        first run. :func:`~jnsim.profiling_summary` lists whole runs.
        """
        stats = self.last_run_stats
        if stats is None:
            return []
        return [(f"{self.name}_kernel", stats.kernel_seconds * registry.second)]

    def show_code(self) -> str:
        """The source of the kernel of the last run (or of a run now)."""
        plan = self.last_plan or self.prepare(caller_ns=caller_namespace())[0]
        return plan.source

    def __repr__(self) -> str:
        return f"<Network {self.name!r} with {len(self.objects)} objects at t = {self.t:~P}>"

    def _repr_markdown_(self) -> str | None:
        from .display import network_markdown

        return network_markdown(self)

    def report(self, filename: str = "report.tex", **options: Any) -> str:
        """Write a model report of this network (see :func:`jnsim.report.report`)."""
        from .report import report

        return report(filename, network=self, **options)


def _check_dependencies(objects: list[Any]) -> None:
    """Raise if an object reads a group that does not run with it (Brian's rule too)."""
    for obj in objects:
        for needed in obj.dependencies():
            needed = getattr(needed, "parent", needed)
            if needed not in objects:
                raise JnsimError(
                    f"{obj.name} {obj._dependency_verb} {needed.name}, which is not part "
                    "of the network",
                    hint=f"add {needed.name} to the Network as well, e.g. Network({needed.name}, "
                         f"{obj.name}); with run(), keep a variable referring to it (a name "
                         "reused for a new group drops the old one)")


def _check_summed_targets(objects: list[Any]) -> None:
    """Raise if two summed variables write the same variable of the same neurons.

    Each summed variable sets its target (to the sum over its synapses) every step,
    so with two of them only the last would count. As in Brian, summed variables
    may share a target variable only through non-overlapping subgroups.
    """
    seen: dict[tuple[int, str], list[tuple[Any, str, int, int]]] = {}
    for obj in objects:
        code = getattr(obj, "code", None)
        for name in getattr(code, "summed", ()):
            group, variable, start, stop = code.summed_target(name)
            earlier = seen.setdefault((id(group), variable), [])
            for other, other_name, other_start, other_stop in earlier:
                if start < other_stop and other_start < stop:
                    raise JnsimError(
                        f"the summed variables '{other_name}' of {other.name} and "
                        f"'{name}' of {obj.name} both set '{variable}' of {group.name}, "
                        "so only one of them would count",
                        hint=f"sum into separate variables (e.g. '{variable}_1' and "
                             f"'{variable}_2') and add them up in {group.name}'s equations "
                             f"('{variable} = {variable}_1 + {variable}_2 : <unit>'), or "
                             "target non-overlapping subgroups")
            earlier.append((obj, name, start, stop))


def network_neurons(objects: Iterable[Any]) -> int:
    """The network's size for the choice of threads: the neurons of its neuron groups
    (the elements whose state update and threshold run multi-threaded)."""
    from .groups import NeuronGroup

    return sum(int(obj.N) for obj in objects if isinstance(obj, NeuronGroup))


_CODE_ID = re.compile(r"\bo(\d+)(?=_)")


def canonical_names(objects: list[Any]) -> Callable[[str], str]:
    """A function renaming object ids (``o17``) to positions in ``objects`` (``n2``)."""
    mapping = {obj.code_id: f"n{position}" for position, obj in enumerate(objects)}

    def rename(text: str) -> str:
        return _CODE_ID.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)

    return rename


def _canonical(operations: list[Operation], values: dict[str, Any], objects: list[Any]
               ) -> tuple[list[Operation], dict[str, Any]]:
    """Rename object ids (``o17``) to their position in the network (``n2``).

    Object ids grow with every object created; positions do not, so rebuilding
    the same model in a notebook generates the same kernel source.
    """
    rename = canonical_names(objects)
    renamed = [replace(op, name=rename(op.name), source=rename(op.source),
                       arguments=tuple(rename(a) for a in op.arguments),
                       room=tuple(rename(r) for r in op.room),
                       parallel_source=rename(op.parallel_source),
                       parallel_arguments=tuple(rename(a) for a in op.parallel_arguments))
               for op in operations]
    return renamed, {rename(key): value for key, value in values.items()}


def _unique_names(objects: list[Any], action: str) -> dict[int, str]:
    """The objects' names by id; an error if two share a name (a file keys by name)."""
    names: dict[int, str] = {}
    seen: dict[str, Any] = {}
    for obj in objects:
        if obj.name in seen:
            raise JnsimError(f"cannot {action}: two objects are named '{obj.name}'",
                             hint="give them different names (name=...)")
        seen[obj.name] = obj
        names[id(obj)] = obj.name
    return names


def _read_states(filename: str) -> dict[str, Any]:
    """The states in a file written by :meth:`Network.store`."""
    try:
        with open(filename, "rb") as file:
            content = pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        raise JnsimError(f"cannot read stored states from {filename}: {exc}") from None
    if not isinstance(content, dict) or content.get("jnsim_states") != 1:
        raise JnsimError(f"{filename} was not written by store()")
    return content["states"]


def _snapshot(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "snapshot"):
        return obj.snapshot()
    return {"arrays": {n: a.copy() for n, a in getattr(obj, "arrays", {}).items()}}


def _restore(obj: Any, state: Mapping[str, Any]) -> None:
    if hasattr(obj, "restore"):
        obj.restore(state)
        return
    for name, array in state["arrays"].items():
        obj.arrays[name][...] = array


#: Chunks of at least this many steps have their CPU time read (see ``Network.run``).
_CPU_TIMED_STEPS = 16


def _next_chunk(chunk: int, made: int, elapsed: float) -> int:
    """Aim for chunks of about a quarter of a second."""
    if elapsed <= 0:
        return min(chunk * 4, 1 << 20)
    rate = made / elapsed
    return int(min(max(rate * 0.25, 16), chunk * 8, 1 << 22))


def _duration_seconds(duration: Any) -> float:
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        raise JnsimError(f"run({duration!r}) needs a time", hint=f"write run({duration}*ms)")
    dims = getattr(duration, "dimensionality", None)
    if dims is None or dict(dims) != {"[time]": 1}:
        raise JnsimError(f"run() needs a duration in time units, not {duration!r}",
                         hint="e.g. run(100*ms)")
    seconds = float(duration.to("second").magnitude)
    if seconds < 0:
        raise JnsimError(f"cannot run for a negative time ({duration!r})")
    return seconds


class _Reporter:
    """Progress reports during long runs."""

    def __init__(self, report: Any, period: Any, start: float, duration: float) -> None:
        self.report = report
        self.period = time_in_seconds(period, "report_period") if period is not None else 10.0
        self.start = start
        self.duration = duration
        self.began = time.perf_counter()
        self.last = self.began

    def update(self, done: float) -> None:
        if self.report is None:
            return
        now = time.perf_counter()
        if now - self.last >= self.period:
            self.last = now
            self._emit(done, now - self.began)

    def finish(self, done: float) -> None:
        if self.report is not None:
            self._emit(done, time.perf_counter() - self.began)

    def _emit(self, done: float, elapsed: float) -> None:
        fraction = done / self.duration if self.duration > 0 else 1.0
        if callable(self.report):
            self.report(elapsed, fraction, self.start, self.duration)
            return
        stream = sys.stderr if self.report == "stderr" else sys.stdout
        remaining = elapsed / fraction - elapsed if fraction > 0 else float("nan")
        stream.write(f"{done * 1e3:.1f} ms ({fraction:.0%}) simulated in {elapsed:.1f} s"
                     + (f", about {remaining:.0f} s remaining\n" if fraction < 1 else "\n"))
        stream.flush()


_RUN_HISTORY: list[RunStats] = []
# stop() called during a run: the slot of the network operation that called it.
_STOP_REQUESTS: list[str] = []


def stop() -> None:
    """End the current run after the time step in progress (call it from a
    :func:`~jnsim.network_operation`): ``run()`` returns, and time stays where the run
    stopped. As Brian's ``stop()``."""
    from .operations import current_operation_slot

    _STOP_REQUESTS.append(current_operation_slot())


def run_history() -> list[RunStats]:
    """Timings of the most recent runs of any network (at most 100), oldest first."""
    return list(_RUN_HISTORY)


# -- the implicit network behind run() ------------------------------------------------

_magic = Network(name="magic network")
#: The network ``run()`` runs, under Brian's name (``magic_network.t``).
magic_network = _magic


def collect(namespace: Mapping[str, Any] | None = None) -> list[Any]:
    """The objects ``run()`` would simulate: those in the caller's namespace
    created since the last :func:`~jnsim.start_scope`."""
    namespace = namespace if namespace is not None else caller_namespace()
    found = []
    for value in namespace.values():
        if isinstance(value, JnsimObject) and value.scope == current_scope():
            found.append(value)
    return sorted(found, key=lambda o: o.creation_index)


def run(duration: Any, report: Any = None, report_period: Any = None,
        namespace: Mapping[str, Any] | None = None, level: int = 0,
        show_code: bool = False, profile: bool | None = None) -> None:
    """Run every object defined where ``run`` is called (see :meth:`Network.run`)."""
    caller = caller_namespace()
    objects = collect(caller)
    if not objects:
        raise JnsimError("run() found no objects to simulate",
                         hint="create a NeuronGroup first (objects created before "
                              "start_scope() are ignored)")
    if not any("_t" in vars(obj) for obj in objects):
        # Only objects that never ran: a new simulation, which starts at t = 0 (as in
        # Brian, where a script that builds and runs one model after another in a loop
        # runs each from 0 without start_scope()).
        _magic._t = 0.0
        defaultclock._t = 0.0
    _magic.objects = objects
    _magic.run(duration, report=report, report_period=report_period, namespace=namespace,
               caller_ns=caller, show_code=show_code)


def show_code(obj: Any, namespace: Mapping[str, Any] | None = None) -> str:
    """Print and return the generated code of an object (or of a whole network).

    For a group, synapses or monitor this is the source of its own functions in
    the kernel of a network made of it and the objects it needs; external
    names are looked up where ``show_code`` is called.
    """
    caller = caller_namespace()
    if isinstance(obj, Network):
        source = obj.prepare(namespace, caller)[0].source
    else:
        network = Network(obj, *getattr(obj, "contained_objects", list)(),
                          *getattr(obj, "dependencies", list)())
        plan = network.prepare(namespace, caller)[0]
        position = network._runnable().index(getattr(obj, "parent", obj))
        owned = [op for op in plan.operations if op.name.startswith(f"n{position}_")]
        source = "\n\n".join(op.source for op in owned)
    print(source)
    return source


def store(name: str = "default", filename: str | None = None) -> None:
    """Store the state of the objects ``run()`` simulates (see :meth:`Network.store`)."""
    _magic.objects = collect(caller_namespace())
    _magic.store(name, filename=filename)


def restore(name: str = "default", filename: str | None = None,
            restore_random_state: bool = False) -> None:
    """Restore the state stored with :func:`store` (see :meth:`Network.restore`)."""
    _magic.objects = collect(caller_namespace())
    _magic.restore(name, filename=filename, restore_random_state=restore_random_state)


def get_magic_network() -> Network:
    """The network behind ``run()``."""
    return _magic
