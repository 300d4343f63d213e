#!/usr/bin/env python3
"""A sweep on a LocalCluster against a plain loop in one process, for CUBA.

The CUBA network (Vogels & Abbott 2005) with ``--size`` neurons on a 4 x 4 grid of
excitatory and inhibitory weights (16 points), ``--duration`` of model time each. In one
run of this script, with the kernel already in the disk cache (a warm-up run first):

``plain loop``
    One process: build once, then for every point ``restore(); run(namespace=...)``,
    and count the spikes — the fastest serial way to do the same work.
``sweep, N workers``
    ``jnsim.sweep`` with a ``LocalCluster`` of N single-threaded worker processes,
    started before the timing (its start is reported on its own), for N = 1 and
    ``--workers``: the first sweep of new workers (each loads jnsim's kernel from the
    disk cache in its first task).
``again``
    The same sweep once more on the same cluster (``client=``), as a notebook that runs
    several sweeps on one client does: the workers have the kernel in memory.

Rounds (``--rounds``) interleave the three; their medians are compared. Prints the
times, the speed-up of the sweep on N workers over the plain loop, and the
overhead per run of a sweep (sweep on 1 worker minus plain loop, per run): the cost of
batching, sending, the first run here and collecting results. Example::

    python benchmarks/sweep.py --size 1000 --duration 5 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

import numpy as np

import jnsim
from jnsim import Network, NeuronGroup, SpikeMonitor, Synapses, ms, mV, second

taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
we, wi = 1.62 * mV, -9 * mV

EQUATIONS = """
dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
dge/dt = -ge / taue : volt
dgi/dt = -gi / taui : volt
"""


ROOT_SEED = 2005


def build(N: int) -> Network:
    """CUBA with N neurons, 80 % excitatory, 80 synapses per neuron on average."""
    P = NeuronGroup(N, EQUATIONS, threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
                    method="exact", name="cuba")
    P.v = "Vr + rand() * (Vt - Vr)"
    n_exc = int(0.8 * N)
    Ce = Synapses(P[:n_exc], P, on_pre="ge += we")
    Ce.connect(p=80 / N)
    Ci = Synapses(P[n_exc:], P, on_pre="gi += wi")
    Ci.connect(p=80 / N)
    return Network(P, Ce, Ci, SpikeMonitor(P, name="spikes"))


def count(net: Network) -> dict[str, Any]:
    return {"spikes": net["spikes"].num_spikes}


def grid() -> list[dict[str, Any]]:
    return [{"we": a * mV, "wi": b * mV} for a in np.linspace(0.5, 2.0, 4)
            for b in np.linspace(-12, -3, 4)]


def plain_loop(size: int, duration: Any, seeds: list[int]) -> tuple[float, list[int]]:
    """Build once, then restore / run for every point, in this process."""
    namespace = {"taum": taum, "taue": taue, "taui": taui, "Vt": Vt, "Vr": Vr, "El": El}
    started = time.perf_counter()
    # the sweep builds after seed() with a seed derived from its root seed
    jnsim.seed(int(np.random.SeedSequence(ROOT_SEED).generate_state(1, np.uint64)[0]))
    net = build(size)
    net.store("start")
    spikes = []
    for point, run_seed in zip(grid(), seeds, strict=True):
        net.restore("start")
        jnsim.seed(run_seed)
        net.run(duration, namespace={**namespace, **point})
        spikes.append(net["spikes"].num_spikes)
    return time.perf_counter() - started, spikes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000, help="neurons (default 1000)")
    parser.add_argument("--duration", type=float, default=5.0,
                        help="model seconds per point (default 5)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=2,
                        help="interleaved rounds; medians are compared (default 2)")
    parser.add_argument("--json", action="store_true", help="also print one JSON line")
    args = parser.parse_args()
    duration = args.duration * second
    params = {"N": [args.size], "we": np.linspace(0.5, 2.0, 4) * mV,
              "wi": np.linspace(-12, -3, 4) * mV}
    from jnsim.sweeps import local_client

    # warm-up: the kernel into the disk cache (neither side below compiles)
    build(args.size).run(10 * ms, namespace=dict(globals()))
    figures: dict[str, Any] = {"size": args.size, "duration_s": args.duration,
                               "points": 16, "workers": args.workers,
                               "cpu_count": os.cpu_count(), "rounds": args.rounds}
    counts = sorted({1, args.workers})
    times: dict[str, list[float]] = {"loop": [], **{f"sweep_{n}": [] for n in counts},
                                     **{f"again_{n}": [] for n in counts}}
    starts: dict[int, list[float]] = {n: [] for n in counts}
    spikes: dict[str, list[int]] = {}
    for _ in range(args.rounds):  # interleaved rounds: the machine's drift hits all alike
        for n_workers in counts:
            started = time.perf_counter()
            client = local_client(n_workers)
            starts[n_workers].append(time.perf_counter() - started)
            started = time.perf_counter()
            results = jnsim.sweep(build, params, duration=duration, measure=count,
                                  client=client, root_seed=ROOT_SEED, progress=False)
            times[f"sweep_{n_workers}"].append(time.perf_counter() - started)
            started = time.perf_counter()
            again = jnsim.sweep(build, params, duration=duration, measure=count,
                                client=client, root_seed=ROOT_SEED, progress=False)
            times[f"again_{n_workers}"].append(time.perf_counter() - started)
            assert list(again["spikes"]) == list(results["spikes"])
            client.close()
            assert set(results["status"]) == {"ok"}, results["error"].tolist()
            seeds = [int(s) for s in results["seed"]]
            spikes[f"sweep_{n_workers}"] = [int(s) for s in results["spikes"]]
        loop_s, spikes["loop"] = plain_loop(args.size, duration, seeds)
        times["loop"].append(loop_s)
    medians = {name: statistics.median(values) for name, values in times.items()}
    loop_s = medians["loop"]
    figures.update({f"{name}_s": value for name, value in medians.items()}, times=times)
    for n_workers in counts:
        figures[f"cluster_start_{n_workers}_s"] = statistics.median(starts[n_workers])
        figures[f"sweep_{n_workers}_spikes"] = spikes[f"sweep_{n_workers}"]
    loop_spikes = spikes["loop"]
    figures["plain_loop_s"] = loop_s
    figures["same_spikes"] = loop_spikes == figures[f"sweep_{args.workers}_spikes"]
    figures["speedup"] = loop_s / figures[f"sweep_{args.workers}_s"]
    figures["speedup_again"] = loop_s / figures[f"again_{args.workers}_s"]
    figures["overhead_per_run_ms"] = (figures["sweep_1_s"] - loop_s) / 16 * 1e3
    figures["overhead_per_run_again_ms"] = (figures["again_1_s"] - loop_s) / 16 * 1e3
    print(f"CUBA {args.size} neurons, {args.duration:g} s per point, 16 points "
          f"({os.cpu_count()} cores)")
    print(f"  plain loop (one process)    {loop_s:7.2f} s")
    for n_workers in sorted({1, args.workers}):
        print(f"  sweep, {n_workers} worker(s)          {figures[f'sweep_{n_workers}_s']:7.2f} s"
              f"   (cluster start {figures[f'cluster_start_{n_workers}_s']:.2f} s, not "
              "included)")
        print(f"  again, {n_workers} worker(s)          {figures[f'again_{n_workers}_s']:7.2f} s"
              "   (the same sweep on the same cluster)")
    print(f"  speed-up on {args.workers} workers        {figures['speedup']:7.2f}x"
          f"   (again: {figures['speedup_again']:.2f}x)")
    print(f"  overhead per run            {figures['overhead_per_run_ms']:7.1f} ms "
          f"(sweep on 1 worker - plain loop, per run; again: "
          f"{figures['overhead_per_run_again_ms']:.1f} ms)")
    print(f"  same spike counts as the loop: {figures['same_spikes']}")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
