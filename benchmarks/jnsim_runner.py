#!/usr/bin/env python3
"""Run one reference model (``models.py``) with jnsim and print one JSON line.

The counterpart of ``brian_runner.py``. Example::

    python benchmarks/jnsim_runner.py --model cuba --size 4000 --duration 1 --cold

Keys of the JSON line:

``loop_s``, ``loop_wall_s``
    CPU time (thread time, comparable to Brian's ``std::clock()`` figure for
    ``cpp_standalone``) and wall time spent inside jnsim's compiled kernel (the
    time-step loop), measured on a second run of the same model in the same
    process, so that they exclude compilation (``jnsim.network.run_history()``).
``first_run_s``
    Wall time of the first ``run()`` call: name resolution, code generation, and
    compilation (or loading from the kernel cache), plus the loop.
``end_to_end_s``
    Wall time from process start to the end of the first model call (imports, model
    building, connection, compilation or cache loading, the run, reading monitors).
``compiled``, ``loaded``
    Kernels compiled in this process / loaded from the disk cache (``cache_info()``).
``rerun_s``, ``rerun_compiled`` (``--rerun``, CUBA only)
    Wall time of ``run()`` after changing a parameter value (restore + run), and
    whether it compiled anything; ``rerun_loop_s`` is its kernel time.
``synapse_bytes``, ``bytes_per_synapse``
    Bytes of every synapse array (indices, per-synapse variables, the CSR layout built
    for the run) and that per synapse.
``peak_rss_mb``
    Peak resident set size of the process.
``stats``
    The model's statistics.

With ``--cold`` the kernel cache is a fresh temporary directory.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def _record_synapses(jnsim_module: Any) -> list[Any]:
    """Make ``jnsim.Synapses`` remember every instance created (for memory figures).

    The subclass is defined in a module namespace named inside ``jnsim`` so that
    jnsim's look-up of the caller's namespace skips its frame.
    """
    created: list[Any] = []
    namespace = {"__name__": "jnsim._benchmark_recording", "base": jnsim_module.Synapses,
                 "created": created}
    exec(
        "class RecordingSynapses(base):\n"
        "    def __init__(self, *args, **kwargs):\n"
        "        super().__init__(*args, **kwargs)\n"
        "        created.append(self)\n",
        namespace,
    )
    jnsim_module.Synapses = namespace["RecordingSynapses"]
    return created


def _synapse_bytes(synapses: list[Any]) -> int:
    """Bytes of the synapses' arrays: indices, per-synapse variables, the run's CSR layout."""
    import numpy as np

    total = 0
    for obj in synapses:
        arrays = [obj.i_array, obj.j_array, *obj.arrays.values()]
        for layout in (obj.code._csr or {}).values():
            arrays.append(layout["ptr"])
            if layout["order"] is not None:
                arrays.append(layout["order"])
        total += sum(a.nbytes for a in arrays if isinstance(a, np.ndarray))
    return total


def _rerun_cuba(n: int, duration_s: float) -> dict[str, float | bool]:
    """CUBA as in models.py, then a parameter change and a rerun from the stored state."""
    import jnsim
    from jnsim import ms, mV

    jnsim.start_scope()
    jnsim.seed(1)
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    we, wi = (60 * 0.27 / 10) * mV, (-20 * 4.5 / 10) * mV
    eqs = """
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    neurons = jnsim.NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr",
                                refractory=5 * ms, method="exact")
    neurons.v = "Vr + rand() * (Vt - Vr)"
    exc = jnsim.Synapses(neurons[: int(0.8 * n)], neurons, on_pre="ge += we")
    exc.connect(p=80 / n)
    inh = jnsim.Synapses(neurons[int(0.8 * n):], neurons, on_pre="gi += wi")
    inh.connect(p=80 / n)
    spikes = jnsim.SpikeMonitor(neurons)
    net = jnsim.Network(neurons, exc, inh, spikes)
    net.store()
    net.run(duration_s * jnsim.second)
    before = jnsim.cache_info()
    we = 2 * mV  # the parameter change
    net.restore()
    started = time.perf_counter()
    net.run(duration_s * jnsim.second)
    rerun = time.perf_counter() - started
    after = jnsim.cache_info()
    stats = net.last_run_stats
    return {"rerun_s": rerun, "rerun_loop_s": stats.kernel_seconds,
            "rerun_loop_cpu_s": stats.kernel_cpu_seconds,
            "rerun_compiled": after.compiled > before.compiled,
            "rerun_spikes": spikes.num_spikes, "we_mV": float(we / mV)}


def main() -> None:
    """Parse arguments, run the model, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("cuba", "cobahh", "stdp"), required=True)
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--cold", action="store_true", help="use an empty kernel cache")
    parser.add_argument("--rerun", action="store_true", help="also time a parameter rerun")
    parser.add_argument("--seed", type=int, default=None, help="random seed of the model")
    args = parser.parse_args()
    # one core against Brian's single-threaded targets (benchmarks/threads.py measures
    # the multi-threaded kernel, which networks of 64 000 neurons and more get by default)
    os.environ.setdefault("JNSIM_THREADS", "1")
    cache = None
    if args.cold:
        cache = tempfile.mkdtemp(prefix="jnsim-bench-cache-")
        os.environ["JNSIM_CACHE_DIR"] = cache
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import models

        import jnsim
        from jnsim.network import run_history

        model, default_size, default_duration = models.MODELS[args.model]
        args.size = args.size if args.size is not None else default_size
        args.duration = args.duration if args.duration is not None else default_duration
        kwargs = {"n_inputs" if args.model == "stdp" else "n": args.size,
                  "duration_s": args.duration}
        if args.seed is not None:
            kwargs["seed"] = args.seed
        created = _record_synapses(jnsim)
        stats = model(jnsim, **kwargs)
        end_to_end = time.perf_counter() - _STARTED
        synapse_bytes = _synapse_bytes(created)
        created.clear()
        first = run_history()[-1]
        info = jnsim.cache_info()
        model(jnsim, **kwargs)  # same structure: reuses the kernel, measures the loop
        loop = run_history()[-1]
        result = {
            "model": args.model, "simulator": "jnsim", "size": args.size,
            "duration_s": args.duration, "cold": args.cold,
            "loop_s": loop.kernel_cpu_seconds, "loop_wall_s": loop.kernel_seconds,
            "first_run_s": first.run_seconds,
            "end_to_end_s": end_to_end, "compiled": info.compiled, "loaded": info.loaded,
            "synapse_bytes": synapse_bytes,
            "bytes_per_synapse": (synapse_bytes / stats["n_synapses"]
                                  if stats.get("n_synapses") else None),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "stats": stats, "jnsim_version": jnsim.__version__,
        }
        if args.rerun and args.model == "cuba":
            result.update(_rerun_cuba(args.size or 4000, args.duration or 1.0))
        print(json.dumps(result))
    finally:
        if cache is not None:
            shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
