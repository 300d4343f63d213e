"""Parameter sweeps on Dask: many runs of a model, on every core or on a cluster.

:func:`sweep` runs a network for every point of a parameter grid (and every
replicate seed) on the workers of a :class:`distributed.Client` — a
``LocalCluster`` on this machine by default, or any cluster (dask-jobqueue on
SLURM, ...) through ``client=``. Each worker builds a network once per structure
and then only restores its starting state, sets the run's values and runs: values
never recompile the kernel. The stages:

1. :mod:`.points` — the grid, the split into structural and value parameters,
   the seed of every run, the batches;
2. here — check the model once in this process (names, units, the kernel compiled
   into the disk cache, one run timed to size the batches);
3. :mod:`.worker` — what runs on the workers;
4. :mod:`.results` — the table (a pandas DataFrame with units), and the
   ``resume=`` file;
5. :mod:`.live` — the progress bar and the plot that fills in, in a notebook.
"""

from __future__ import annotations

import contextlib
import math
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import JnsimError, RunError
from ..namespace import ExternalConstant, ExternalFunction, caller_namespace
from .points import (
    Run,
    batch_runs,
    batch_size,
    expand_points,
    replicate_count,
    run_seeds,
    runs_of,
    split_parameters,
    structural_names,
    structure_key,
)
from .worker import (
    SweepSpec,
    apply_values,
    check_metrics,
    default_measure,
    network_of,
    run_pickled_batch,
)

if TYPE_CHECKING:
    from .results import ResumeLog, SweepResults

__all__ = ["SweepResults", "local_client", "spawnable_main", "sweep"]

#: Environment of the workers of the LocalCluster sweep() starts: one thread each.
#: (Only ``NUMBA_NUM_THREADS``, not ``JNSIM_THREADS=1``: a network large enough for the
#: multi-threaded kernel runs it on one thread, with the same results as outside a sweep.)
WORKER_ENVIRONMENT = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                      "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def sweep(build: Callable[..., Any], params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
          duration: Any, seeds: int | Sequence[int] = 1, measure: Callable[[Any], Any] | None
          = None, client: Any = None, workers: int | None = None, retries: int = 1,
          resume: str | os.PathLike[str] | None = None, root_seed: int | None = None,
          namespace: Mapping[str, Any] | None = None, progress: bool | None = None,
          plot: tuple[str, str] | bool | None = None) -> SweepResults:
    """Run a network for every point of a parameter grid, on Dask workers.

    Parameters
    ----------
    build
        ``build(**structural)`` returns the :class:`~jnsim.Network` (or a list of
        its objects). Parameters named in its signature are *structural*: each
        of their combinations builds a network (once per worker).
    params
        ``{name: values}`` for a grid (the Cartesian product), or a list of
        ``{name: value}`` points. Names other than build's are *values*, set on
        the built network before each run, as :func:`~jnsim.explore` sets them:
        ``'we'``, a constant of the equations (given to ``run`` as its
        namespace), or ``'neurons.tau'``, a state variable of the object named
        ``neurons`` (set for every element). Values never recompile the kernel.
    duration
        Model time of every run (each starts from the state ``build`` left).
    seeds
        The number of replicates per point (seeds spawned from the root seed,
        one per run), or a list of seeds used at every point.
    measure
        ``measure(net) -> {name: number or quantity}``, called after each run;
        by default the mean rate of every group a ``SpikeMonitor`` records.
    client
        A :class:`distributed.Client` to run on. By default a ``LocalCluster`` is
        started (``workers`` processes, one thread each, kernels single-threaded)
        and closed at the end.
    workers
        Workers of the ``LocalCluster`` (the number of cores by default).
    retries
        How many times a task is sent again when its worker died.
    resume
        A file (JSON lines) of finished runs: runs found there are not run again,
        runs that finish are added as they arrive. The seeds of a resumed sweep
        are those of the sweep that wrote the file.
    root_seed
        The root of the seeds (:class:`numpy.random.SeedSequence`); by default
        fresh entropy, kept in ``results.attrs['root_seed']``.
    namespace
        Where the equations' external names are looked up, instead of the caller's
        namespace.
    progress
        Show a progress bar and a plot that fills in (by default in a notebook).
    plot
        ``(x, y)``: the parameter and metric of the live plot (by default the first
        parameter that takes several values, and the first metric); ``False`` for
        no plot.

    Returns
    -------
    SweepResults
        A pandas DataFrame, one row per run: the parameters, ``replicate``,
        ``seed``, ``status`` (``'ok'``, ``'error'``, ``'lost'``), ``error``, the
        metrics, ``wall_time`` (seconds) and ``worker``; units in ``attrs["units"]``;
        ``.to_xarray()`` for a grid.

    Raises
    ------
    JnsimError
        For parameters the network does not have, a ``build`` that does not
        return a network, or a model that does not run (found in this process
        before any worker starts).

    Notes
    -----
    Random connections and initial values drawn in ``build`` are the same for
    every run (``build`` runs after ``seed()`` with a seed from the root seed);
    each run's own random numbers come from its seed. Failed runs are rows with
    ``status='error'`` and the error's message; runs whose worker died ``retries``
    times are ``'lost'``.

    Examples
    --------
    >>> def build(N):  # doctest: +SKIP
    ...     G = NeuronGroup(N, eqs, threshold='v > 1', reset='v = 0', name='neurons')
    ...     return Network(G, SpikeMonitor(G))
    >>> results = sweep(build, {'N': [100], 'I': np.linspace(0, 2, 11)},
    ...                 duration=1*second, seeds=3)  # doctest: +SKIP
    """
    from ..random import random_state, set_random_state
    from .results import ResumeLog, make_results

    caller = caller_namespace() if namespace is None else dict(namespace)
    duration_s = _check_duration(duration)
    names, points, grid = expand_points(params)
    structural, values = split_parameters(names, structural_names(build))
    replicates = replicate_count(seeds)
    if not isinstance(retries, int) or retries < 0:
        raise JnsimError(f"retries must be a whole number >= 0, not {retries!r}")
    log = ResumeLog(resume) if resume is not None else None
    root = _root_seed(root_seed, log)
    sequence = np.random.SeedSequence(root)
    build_seed = int(sequence.generate_state(1, np.uint64)[0])
    n_runs = len(points) * replicates
    runs = runs_of(points, structural, run_seeds(n_runs, seeds, len(points), sequence),
                   replicates)
    attrs = {"root_seed": root, "duration": f"{duration}", "grid": grid,
             "duration_s": duration_s}
    if log is not None:
        log.start(root, {"parameters": list(names), "duration": f"{duration}",
                         "replicates": replicates})

    user_random_state = random_state()
    display = None
    try:
        rows = log.finished(runs) if log is not None else {}
        todo = [run for run in runs if run.index not in rows]
        checked = _check_here(build, todo, values, caller, duration, measure, build_seed)
        attrs["kernels_compiled"] = checked.compiled
        from .live import SweepDisplay

        display = SweepDisplay.start(progress, plot, names, runs, rows, checked.metrics)
        if todo:
            _run_on_dask(checked.spec, todo, checked.seconds, rows, runs, client, workers,
                         retries, log, display)
    finally:
        set_random_state(user_random_state)
        if display is not None:
            display.finish(rows)
    return make_results(runs, rows, names, attrs)


def _check_duration(duration: Any) -> float:
    from ..network import _duration_seconds

    if duration is None:
        raise JnsimError("sweep() needs a duration", hint="e.g. duration=1*second")
    try:
        return _duration_seconds(duration)
    except JnsimError:
        raise JnsimError(f"sweep() needs a duration in time units, not {duration!r}",
                         hint="e.g. duration=1*second") from None


def _root_seed(root_seed: int | None, log: ResumeLog | None) -> int:
    """The sweep's root seed: given, from the resumed file, or fresh entropy."""
    if root_seed is not None and (isinstance(root_seed, bool) or not isinstance(
            root_seed, int | np.integer) or root_seed < 0):
        raise JnsimError(f"root_seed must be an integer >= 0, not {root_seed!r}")
    if log is not None and log.root_seed is not None:
        if root_seed is not None and int(root_seed) != log.root_seed:
            raise JnsimError(f"{log.path} was written by a sweep with root_seed="
                             f"{log.root_seed}, not {root_seed}",
                             hint="resume with the same root_seed (or none), or give a new "
                                  "file")
        return log.root_seed
    if root_seed is not None:
        return int(root_seed)
    return int(np.random.SeedSequence().entropy)


def _check_values(net: Any, values: Sequence[str], used: set[str], structure: str) -> None:
    """Every value parameter names something the network has and reads (``used``: the
    constants its equations read from the run namespace).

    Raises
    ------
    JnsimError
        For an object or variable that is not there, or a constant no equation
        reads from the run namespace.
    """
    where = f" (built with {structure})" if structure else ""
    for name in values:
        if "." not in name:
            if name not in used:
                raise JnsimError(
                    f"cannot sweep '{name}': no equation of the network{where} uses it",
                    hint="sweep constants the equations read (objects with their own "
                         "namespace= do not see them), a state variable ('neurons.tau') or "
                         "an argument of build()")
            continue
        owner, variable = name.rsplit(".", 1)
        try:
            target = net[owner]
        except KeyError:
            known = ", ".join(repr(o.name) for o in net.objects)
            raise JnsimError(f"cannot sweep '{name}': the network{where} has no object "
                             f"named {owner!r}", hint=f"its objects: {known}; give the "
                             "object name= in build()") from None
        specs = getattr(target, "specs", None) or getattr(
            getattr(target, "parent", None), "specs", {})
        if variable not in specs:
            raise JnsimError(f"cannot sweep '{name}': {owner!r} has no variable {variable!r}",
                             hint="known: " + ", ".join(sorted(specs)))
        if specs[variable].read_only:
            raise JnsimError(f"cannot sweep '{name}': it cannot be set")


def _run_namespace_reads(net: Any, run_namespace: Mapping[str, Any]
                         ) -> tuple[set[str], set[str]]:
    """What the network reads from the run namespace (one resolution of its names).

    Returns
    -------
    constants, names
        The constants its equations read there, and those with the function objects
        (``TimedArray``) it calls from there.
    """
    constants, functions = set(), set()
    for obj in net._runnable():
        for name, external in obj.resolve(run_namespace, None).items():
            if isinstance(external, ExternalConstant) and external.origin == "run namespace":
                constants.add(name)
            elif (isinstance(external, ExternalFunction)
                  and external.implementation is not None
                  and run_namespace.get(name) is external.implementation):
                functions.add(name)
    return constants, constants | functions


def _equation_names(caller: Mapping[str, Any], values: Sequence[str]) -> dict[str, Any]:
    """The caller's names that equation strings can read: numbers, quantities, units and
    function objects (``TimedArray``), for ``build`` on the workers (``'Vr + rand()'``)."""
    from ..units import registry

    names = {}
    for name, value in caller.items():
        if name.startswith("_") or name in values:
            continue
        scalar = isinstance(value, bool | int | float | np.number | registry.Unit) or (
            isinstance(value, registry.Quantity) and np.ndim(value.magnitude) == 0)
        # the class is asked, not the object: placeholders of unsupported Brian
        # features raise on any attribute
        if scalar or (not isinstance(value, type)
                      and hasattr(type(value), "jnsim_function_info")):
            names[name] = value
    return names


@dataclass
class Checked:
    """What checking the model here found, for the workers and the display.

    Attributes
    ----------
    spec
        What the workers need.
    seconds
        The estimated time of one run of each structure (seconds).
    metrics
        The names ``measure`` returned after a probe run (empty if it failed there).
    compiled
        How many kernels the probe runs compiled.
    """

    spec: SweepSpec
    seconds: dict[str, float] = field(default_factory=dict)
    metrics: list[str] = field(default_factory=list)
    compiled: int = 0


#: Time steps of the probe run of each structure (or the whole run if shorter).
PROBE_STEPS = 200


def _check_here(build: Callable[..., Any], todo: Sequence[Run], values: Sequence[str],
                caller: Mapping[str, Any], duration: Any, measure: Any, build_seed: int
                ) -> Checked:
    """Build each structure here, check it, and run it briefly (warming the disk cache).

    The probe runs :data:`PROBE_STEPS` steps with the values of the structure's first
    run: that compiles the kernel (so the workers load it), finds mistakes in the
    model before any worker starts, and times a step to size the batches. Every run
    of the sweep itself is left to the workers.

    Raises
    ------
    JnsimError
        If ``build`` or the probe run fails (with anything but a ``RunError``).
    """
    from ..network import _duration_seconds
    from ..random import seed
    from ..units import registry

    firsts: dict[str, Run] = {}
    for run in todo:
        firsts.setdefault(structure_key(run.structural), run)
    networks, shipped = {}, {}
    for key, run in firsts.items():
        seed(build_seed)
        structure = ", ".join(f"{n}={v!r}" for n, v in run.structural)
        net = network_of(build(**dict(run.structural)))
        run_namespace = {**caller, **{n: v for n, v in run.values if "." not in n}}
        constants, needed = _run_namespace_reads(net, run_namespace)
        _check_values(net, values, constants, structure)
        shipped.update({n: caller[n] for n in needed if n in caller and n not in values})
        shipped.update(_equation_names(caller, values))
        networks[key] = net
    checked = Checked(SweepSpec(uuid.uuid4().hex, build, duration, shipped, measure,
                                build_seed))
    _check_sendable(checked.spec)
    total_s = _duration_seconds(duration)
    for key, run in firsts.items():
        net = networks.pop(key)
        steps = round(total_s / net.base_dt_seconds())
        probe_steps = min(steps, PROBE_STEPS)
        namespace = apply_values(net, run, shipped)
        seed(run.seed)
        try:
            net.run(registry.Quantity(probe_steps * net.base_dt_seconds(), "s"),
                    namespace=namespace)
        except RunError:  # a failure of these values only: a row, on a worker
            pass
        except Exception as error:
            raise JnsimError(
                f"the sweep's model does not run: {type(error).__name__}: {error}",
                hint="fix the model and sweep again; it ran with " + ", ".join(
                    f"{n}={v!r}" for n, v in run.parameters.items())) from None
        stats = net.last_run_stats
        if stats is None:
            continue
        checked.compiled += bool(stats.compiled)
        per_step = stats.kernel_seconds / max(1, stats.steps)
        checked.seconds[key] = per_step * steps
        if not checked.metrics:
            # a probe is short: measure() may well fail on it, and that is fine
            with contextlib.suppress(Exception):
                checked.metrics = list(check_metrics(
                    measure(net) if measure is not None else default_measure(
                        net, probe_steps * net.base_dt_seconds())))
    return checked


def _check_sendable(spec: SweepSpec) -> None:
    """The spec must pickle (with cloudpickle, as Dask sends functions)."""
    import cloudpickle

    try:
        cloudpickle.dumps(spec)
    except Exception as error:
        raise JnsimError(f"build(), measure() or a value they use cannot be sent to the "
                         f"workers: {type(error).__name__}: {error}",
                         hint="define them in a module or a notebook cell, and keep open "
                              "files, locks and widgets out of what they reference") from None


def spawnable_main() -> None:
    """Let ``multiprocessing`` spawn worker processes from this one.

    In a terminal IPython session ``sys.modules['__main__']`` is IPython's user
    module, which has no ``__spec__``; spawning a process (Dask's nannies do) then
    fails with ``AttributeError: module '__main__' has no attribute '__spec__'``.
    ``__spec__ = None`` is what an interactive ``__main__`` has.
    """
    import sys

    main = sys.modules.get("__main__")
    if main is not None and not hasattr(main, "__spec__"):
        main.__spec__ = None


def local_client(workers: int | None = None) -> Any:
    """A :class:`distributed.Client` of a new LocalCluster set up for sweeps.

    The cluster has ``workers`` processes (the number of cores by default), one
    thread each; their kernels run on one thread (``NUMBA_NUM_THREADS=1``; a network
    large enough for the multi-threaded kernel runs it on one thread, so that its
    results are those of the same run outside a sweep) and share this process's
    kernel cache. A task whose worker
    dies comes back at once, so that ``sweep(retries=)`` counts the attempts, and a
    worker holds one task at a time, so that one that dies takes no other with it.
    ``client.close()`` closes the cluster too. Pass it to several sweeps as
    ``client=`` to start the workers once.

    Raises
    ------
    JnsimError
        For a number of workers below one.
    """
    import logging

    import dask
    from distributed import Client

    from ..compiler import cache_dir

    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise JnsimError(f"workers must be a whole number >= 1, not {workers!r}")
    spawnable_main()
    env = {**WORKER_ENVIRONMENT, "JNSIM_CACHE_DIR": str(cache_dir())}
    # one task per worker at a time: a worker that dies takes no queued task with it
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.scheduler.worker-saturation": 1.0}):
        # jnsim and Numba are set up as each worker starts, not by its first task
        return Client(n_workers=n_workers, threads_per_worker=1, processes=True, env=env,
                      dashboard_address=":0", silence_logs=logging.ERROR,
                      preload=["jnsim.sweeps.preload"])


def _run_on_dask(spec: SweepSpec, todo: Sequence[Run], seconds: Mapping[str, float],
                 rows: dict[int, dict[str, Any]], runs: Sequence[Run], client: Any,
                 workers: int | None, retries: int, log: ResumeLog | None,
                 display: Any) -> None:
    """Send the runs to the workers in batches; record rows as they come back."""
    import cloudpickle
    from distributed import as_completed

    own_client = client is None
    if own_client:
        client = local_client(workers)
    try:
        if display is not None:
            display.connected(client)
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or (workers or 1))
        sizes = {key: batch_size(value) for key, value in seconds.items()}
        batches = batch_runs(todo, sizes, n_workers)
        # sent with every task, not scattered: scattered data is lost with the workers
        # holding it, and the retries of a run that killed its worker would fail with it
        payload = cloudpickle.dumps(spec)
        attempts: dict[Any, tuple[list[Run], int]] = {}
        for batch in batches:
            future = client.submit(run_pickled_batch, payload, batch, pure=False)
            attempts[future] = (batch, 0)
        pending = as_completed(list(attempts))
        try:
            for future in pending:
                batch, tried = attempts.pop(future)
                try:
                    batch_rows = future.result()
                except Exception as error:  # the worker died (or could not be reached)
                    if tried < retries:
                        again = client.submit(run_pickled_batch, payload, batch, pure=False)
                        attempts[again] = (batch, tried + 1)
                        pending.add(again)
                        continue
                    batch_rows = [{"index": r.index, "status": "lost", "metrics": {},
                                   "error": f"{type(error).__name__}: {error}",
                                   "wall_time": math.nan, "worker": ""} for r in batch]
                for row in batch_rows:
                    rows[row["index"]] = row
                    if log is not None:
                        log.append(runs[row["index"]], row)
                    if display is not None:
                        display.add(runs[row["index"]], row)
        except BaseException:
            for future in attempts:
                future.cancel()
            raise
    finally:
        if own_client:
            client.close()
            if display is not None:
                display.cluster_closed()


def __getattr__(name: str) -> Any:
    """:class:`SweepResults`, imported on first use (pandas loads only for sweeps)."""
    if name == "SweepResults":
        from .results import SweepResults

        return SweepResults
    raise AttributeError(f"module 'jnsim.sweeps' has no attribute '{name}'")
