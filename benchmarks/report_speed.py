#!/usr/bin/env python3
"""How long a model report of the CUBA network takes: text alone, with the figure, display.

Builds CUBA (Vogels & Abbott 2005) with ``--size`` neurons, runs it for 100 ms, then
times (medians of ``--repeat``, after one warm-up each):

``report.md``, ``report.tex``
    ``report(path, figure=False)``: gathering the facts and writing the text.
``report.md with figure``
    ``report(path)``: the same plus drawing the connectivity figure (matplotlib, PNG).
``display``
    ``Network._repr_markdown_()``: what a notebook shows for the network (no figure).

Example::

    python benchmarks/report_speed.py --size 4000 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import jnsim
from jnsim import Network, NeuronGroup, SpikeMonitor, Synapses, ms, mV


def build(n: int) -> tuple[Network, dict[str, object]]:
    namespace = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "Vt": -50 * mV,
                 "Vr": -60 * mV, "El": -49 * mV, "we": 1.62 * mV, "wi": -9 * mV}
    eqs = """
    dv/dt  = (ge + gi - (v - El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
                    method="exact", namespace=namespace, name="P")
    P.v = "-60*mV + rand()*10*mV"
    Ce = Synapses(P[:n * 4 // 5], P, on_pre="ge += we", namespace=namespace, name="Ce")
    Ci = Synapses(P[n * 4 // 5:], P, on_pre="gi += wi", namespace=namespace, name="Ci")
    Ce.connect(p=80 / n)
    Ci.connect(p=80 / n)
    net = Network(P, Ce, Ci, SpikeMonitor(P, name="spikes"))
    net.run(100 * ms)
    return net, namespace


def median_time(action: Callable[[], object], repeat: int) -> float:
    action()  # warm-up: imports, SymPy caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    jnsim.seed(1)
    net, namespace = build(args.size)
    folder = Path(tempfile.mkdtemp())
    rows = {
        "report.md": lambda: jnsim.report(folder / "r.md", network=net, figure=False,
                                          namespace=namespace),
        "report.tex": lambda: jnsim.report(folder / "r.tex", network=net, figure=False,
                                           namespace=namespace),
        "report.md with figure": lambda: jnsim.report(folder / "f.md", network=net,
                                                      namespace=namespace),
        "display": net._repr_markdown_,
    }
    print(f"CUBA, {args.size} neurons; medians of {args.repeat}")
    for name, action in rows.items():
        print(f"  {name:24s} {median_time(action, args.repeat):.3f} s")


if __name__ == "__main__":
    main()
