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

import math
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import JnsimError
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
from .worker import STORE_NAME, SweepSpec, network_of, run_one, run_pickled_batch

if TYPE_CHECKING:
    from .results import ResumeLog, SweepResults

__all__ = ["SweepResults", "local_client", "sweep"]

#: Environment of the workers of the LocalCluster sweep() starts: one thread each.
WORKER_ENVIRONMENT = {"NUMBA_NUM_THREADS": "1", "JNSIM_THREADS": "1", "OMP_NUM_THREADS": "1",
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
        spec, first_rows, seconds = _check_here(build, todo, values, caller, duration,
                                                 measure, build_seed)
        for run_index, row in first_rows.items():
            rows[run_index] = row
            if log is not None:
                log.append(runs[run_index], row)
        todo = [run for run in todo if run.index not in rows]
        from .live import SweepDisplay

        display = SweepDisplay.start(progress, plot, names, runs, rows, attrs)
        if todo:
            _run_on_dask(spec, todo, seconds, rows, runs, client, workers, retries, log,
                         display)
    finally:
        set_random_state(user_random_state)
        if display is not None:
            display.finish(rows)
    return make_results(runs, rows, names, attrs)


def _check_duration(duration: Any) -> float:
    from ..network import _duration_seconds

    if duration is None:
        raise JnsimError("sweep() needs a duration", hint="e.g. duration=1*second")
    return _duration_seconds(duration)


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


def _check_values(net: Any, values: Sequence[str], run_namespace: Mapping[str, Any],
                  structure: str) -> None:
    """Every value parameter names something the network has and reads.

    Raises
    ------
    JnsimError
        For an object or variable that is not there, or a constant no equation
        reads from the run namespace.
    """
    used: set[str] = set()
    for obj in net._runnable():
        externals = obj.resolve(run_namespace, None)
        used |= {n for n, e in externals.items()
                 if isinstance(e, ExternalConstant) and e.origin == "run namespace"}
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


def _needed_names(net: Any, run_namespace: Mapping[str, Any]) -> set[str]:
    """The external names the network reads from the run namespace."""
    needed = set()
    for obj in net._runnable():
        for name, external in obj.resolve(run_namespace, None).items():
            constant = (isinstance(external, ExternalConstant)
                        and external.origin == "run namespace")
            function = (isinstance(external, ExternalFunction)
                        and external.implementation is not None
                        and run_namespace.get(name) is external.implementation)
            if constant or function:
                needed.add(name)
    return needed


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


def _check_here(build: Callable[..., Any], todo: Sequence[Run], values: Sequence[str],
                caller: Mapping[str, Any], duration: Any, measure: Any, build_seed: int
                ) -> tuple[SweepSpec, dict[int, dict[str, Any]], dict[str, float]]:
    """Build each structure here, check it, and run its first run (warming the cache).

    Returns
    -------
    spec, rows, seconds
        What the workers need; the rows of the runs done here; the time of one
        run of each structure (seconds, without compilation).
    """
    from ..random import seed

    firsts: dict[str, Run] = {}
    for run in todo:
        firsts.setdefault(structure_key(run.structural), run)
    networks, shipped = {}, {}
    for key, run in firsts.items():
        seed(build_seed)
        structure = ", ".join(f"{n}={v!r}" for n, v in run.structural)
        net = network_of(build(**dict(run.structural)))
        run_namespace = {**caller, **{n: v for n, v in run.values if "." not in n}}
        _check_values(net, values, run_namespace, structure)
        shipped.update({n: caller[n] for n in _needed_names(net, run_namespace)
                        if n in caller and n not in values})
        shipped.update(_equation_names(caller, values))
        net.store(STORE_NAME)
        networks[key] = net
    spec = SweepSpec(uuid.uuid4().hex, build, duration, shipped, measure, build_seed)
    _check_sendable(spec)
    rows, seconds = {}, {}
    for key, run in firsts.items():
        net = networks.pop(key)
        row = run_one(spec, net, run)
        stats = net.last_run_stats
        compile_seconds = stats.compile_seconds if stats is not None else 0.0
        if row["status"] == "error" and not row["error"].startswith("RunError"):
            # a mistake in the model or in measure(): every run would fail the same way
            raise JnsimError(f"the first run of the sweep failed: {row['error']}",
                             hint="fix the model (or measure) and sweep again; it ran "
                                  "with " + ", ".join(f"{n}={v!r}" for n, v in
                                                      run.parameters.items()))
        rows[run.index] = row
        seconds[key] = max(0.0, row["wall_time"] - compile_seconds)
    return spec, rows, seconds


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


def local_client(workers: int | None = None) -> Any:
    """A :class:`distributed.Client` of a new LocalCluster set up for sweeps.

    The cluster has ``workers`` processes (the number of cores by default), one
    thread each; their kernels are single-threaded (``NUMBA_NUM_THREADS=1``,
    ``JNSIM_THREADS=1``) and share this process's kernel cache. A task whose worker
    dies comes back at once, so that ``sweep(retries=)`` counts the attempts.
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
    env = {**WORKER_ENVIRONMENT, "JNSIM_CACHE_DIR": str(cache_dir())}
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        return Client(n_workers=n_workers, threads_per_worker=1, processes=True, env=env,
                      dashboard_address=":0", silence_logs=logging.ERROR)


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
