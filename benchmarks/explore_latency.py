#!/usr/bin/env python3
"""Slider-to-updated-figure latency of ``jnsim.explore`` against a plain run, for CUBA.

Builds the CUBA network of ``models.py`` (4000 LIF neurons, 80 synapses each, 1 s at
dt = 0.1 ms) with a spike monitor, a population rate monitor and a state monitor, and
measures, for the same sequence of excitatory weights ``we``:

``plain run``
    ``net.restore(); net.run(duration, namespace=...)`` on the calling thread (wall
    time of ``run``; ``loop`` is the part spent in the compiled kernel).
``explore update``
    ``ex.set(we=...)``: from the call until the figures' ``ColumnDataSource`` objects
    hold the new data (restore, run on the worker thread, decimation, Bokeh
    serialisation of the document patch). That is what a slider change costs before
    the browser redraws.

Prints both (medians), their ratio and difference, and whether anything was compiled
after the first run (it must not be). Example::

    python benchmarks/explore_latency.py --size 4000 --duration 1 --repeats 7
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any


def build_cuba(sim: Any, n: int, seed: int) -> tuple[Any, dict[str, Any]]:
    """The CUBA network of ``models.cuba`` with three monitors, and its namespace."""
    sim.start_scope()
    sim.seed(seed)
    sim.defaultclock.dt = 0.1 * sim.ms
    ms, mV = sim.ms, sim.mV
    namespace = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "Vt": -50 * mV,
                 "Vr": -60 * mV, "El": -49 * mV, "we": (60 * 0.27 / 10) * mV,
                 "wi": (-20 * 4.5 / 10) * mV}
    eqs = """
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    neurons = sim.NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr",
                              refractory=5 * ms, method="exact")
    Vt, Vr = namespace["Vt"], namespace["Vr"]
    neurons.v = "Vr + rand() * (Vt - Vr)"
    n_exc = int(0.8 * n)
    p_connect = 80 / n
    exc = sim.Synapses(neurons[:n_exc], neurons, on_pre="ge += we")
    exc.connect(p=p_connect)
    inh = sim.Synapses(neurons[n_exc:], neurons, on_pre="gi += wi")
    inh.connect(p=p_connect)
    monitors = [sim.SpikeMonitor(neurons), sim.PopulationRateMonitor(neurons),
                sim.StateMonitor(neurons, "v", record=[0, 1, 2, 3])]
    return sim.Network(neurons, exc, inh, *monitors), namespace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=4000, help="neurons (default 4000)")
    parser.add_argument("--duration", type=float, default=1.0, help="seconds (default 1)")
    parser.add_argument("--repeats", type=int, default=7, help="measurements (default 7)")
    parser.add_argument("--seed", type=int, default=20_070_349)
    parser.add_argument("--json", action="store_true", help="also print one JSON line")
    args = parser.parse_args()

    import jnsim

    net, namespace = build_cuba(jnsim, args.size, args.seed)
    duration = args.duration * jnsim.second
    mV = jnsim.mV
    weights = [1.0 + 0.25 * (k % 5) for k in range(args.repeats)]

    net.store("plain")
    started = time.perf_counter()
    net.run(duration, namespace=namespace)  # compiles (or loads) the kernel
    first_run = time.perf_counter() - started

    net.restore("plain")  # explore() stores this state and runs from it
    ex = jnsim.explore(net, params={"we": (0 * mV, 3 * mV), "wi": (-15 * mV, 0 * mV)},
                       duration=duration, namespace=namespace, show=False)
    info = jnsim.cache_info()
    # Plain runs and explore updates alternate, so that a change of the machine's load
    # affects both alike; each update is also compared with its own loop time.
    plain, loops, latencies, overheads, spikes = [], [], [], [], []
    for w in weights:
        net.restore("plain")
        started = time.perf_counter()
        net.run(duration, namespace={**namespace, "we": w * mV})
        plain.append(time.perf_counter() - started)
        loops.append(net.last_run_stats.kernel_seconds)

        started = time.perf_counter()
        ex.set(we=w * mV)
        latencies.append(time.perf_counter() - started)
        overheads.append(latencies[-1] - ex.last_stats.kernel_seconds)
        spikes.append(len(jnsim.plotting.figure_sources(ex.figures[0])["spikes"].data["t"]))
    compiled_after_first = jnsim.cache_info() != info
    ex.close()

    plain_s, loop_s = statistics.median(plain), statistics.median(loops)
    latency_s = statistics.median(latencies)
    print(f"CUBA {args.size} neurons, {args.duration:g} s, {args.repeats} repeats (medians)")
    print(f"  first run (compile or cache load) {first_run:8.3f} s")
    print(f"  plain run                         {plain_s * 1e3:8.1f} ms "
          f"(loop {loop_s * 1e3:.1f} ms)")
    print(f"  explore update (ex.set)           {latency_s * 1e3:8.1f} ms")
    print(f"  update / plain run                {latency_s / plain_s:8.3f}")
    print(f"  update - its own loop             {statistics.median(overheads) * 1e3:8.1f} ms "
          f"(max {max(overheads) * 1e3:.1f} ms)")
    print(f"  spikes drawn                      {min(spikes):,} .. {max(spikes):,}")
    print(f"  compiled after the first run      {compiled_after_first}")
    if args.json:
        print(json.dumps({"size": args.size, "duration_s": args.duration,
                          "first_run_s": first_run, "plain_run_s": plain_s,
                          "loop_s": loop_s, "update_s": latency_s,
                          "ratio": latency_s / plain_s,
                          "overhead_s": statistics.median(overheads),
                          "updates_s": latencies, "plain_runs_s": plain,
                          "compiled_after_first_run": compiled_after_first}))


if __name__ == "__main__":
    main()
