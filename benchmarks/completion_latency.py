#!/usr/bin/env python3
"""Latency of Tab completion in a 50-line ``%%neuron`` cell, with a crowded namespace.

Run::

    python benchmarks/completion_latency.py

A real IPython shell loads jnsim (``%load_ext jnsim``), defines about 2,000 names
(``from jnsim import *``, ``from numpy import *`` and 500 constants), and completes
at several places of a 50-line model cell, 50 times each. Printed per case: the number
of completions, the median and maximum time of IPython's whole completion
(``Completer.completions``, all matchers) and of jnsim's matcher alone.
"""

from __future__ import annotations

import statistics
import time

from IPython.core.completer import provisionalcompleter
from IPython.core.interactiveshell import InteractiveShell

from jnsim.completion import complete_cell


def main() -> None:
    """Set up the shell, time each case, print one line per case."""
    shell = InteractiveShell.instance()
    started = time.perf_counter()
    shell.run_cell("%load_ext jnsim")
    print(f"%load_ext jnsim (import and unit tables): "
          f"{1000 * (time.perf_counter() - started):.0f} ms")
    shell.run_cell("from jnsim import *\nfrom numpy import *\n"
                   "taum = 20*ms; Vt = -50*mV; Vr = -60*mV")
    shell.user_ns.update({f"param_{k}": k * 1.5 for k in range(500)})
    print("names in the namespace:", len(shell.user_ns))
    equations = [f"dx{k}/dt = (param_{k} - x{k})/taum : volt" for k in range(40)]
    cell = "\n".join(['%%neuron Big --threshold "x0 > Vt"', *equations,
                      *[f"p{k} : volt (constant)" for k in range(4)],
                      "reset:", "    x0 = Vr", "    x1 = Vr", "    x2 = Vr", "    x3 = ", ""])
    cases = {
        "block, prefix 'x'": (cell[:-1] + "x", None),
        "block, empty prefix": (cell[:-1], None),
        "block, '-60*m' (units)": (cell[:-1] + "-60*m", None),
        "unit after colon ': vo'": (cell.replace(": volt", ": vo", 1),
                                    cell.index(": volt") + 4),
        "flags '(c'": (cell.replace(": volt", ": volt (c", 1), cell.index(": volt") + 9),
    }
    for name, (text, offset) in cases.items():
        offset = len(text) if offset is None else offset
        before = text[:offset]
        whole, alone = [], []
        for _ in range(50):
            start = time.perf_counter()
            with provisionalcompleter():
                found = list(shell.Completer.completions(text, offset))
            whole.append(time.perf_counter() - start)
            start = time.perf_counter()
            complete_cell(text, before.count("\n"), len(before.rsplit("\n", 1)[-1]),
                          shell.user_ns, 500)
            alone.append(time.perf_counter() - start)
        print(f"{name:26s} {len(found):4d} items | IPython completion median "
              f"{1000 * statistics.median(whole):.2f} ms, max {1000 * max(whole):.2f} ms | "
              f"jnsim matcher median {1000 * statistics.median(alone):.2f} ms")


if __name__ == "__main__":
    main()
