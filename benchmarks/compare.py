#!/usr/bin/env python3
"""Compare jnsim with Brian 2 on the reference models, all measured in one run.

Every measurement runs in its own fresh process (``jnsim_runner.py`` here,
``brian_runner.py`` in the Brian environment named by ``$BRIAN_PYTHON``, default
``/tmp/brian-venv/bin/python``; Brian is skipped when it is missing). The machines
are noisy, so the figures that matter are the ratios between runs made together.

Usage::

    python benchmarks/compare.py                      # CUBA, COBAHH, STDP
    python benchmarks/compare.py --models cuba --sweep  # plus the CUBA size sweep
    python benchmarks/compare.py --markdown results.md
    python benchmarks/compare.py --repeat 3           # medians over 3 interleaved rounds

Loop times are CPU times of the simulating thread on both sides (Brian's
``cpp_standalone`` reports ``std::clock()``; jnsim its kernel's thread time), which a
busy machine disturbs less than wall time; jnsim's wall time is printed as well.

Printed per model: spike statistics side by side; loop time of jnsim, Brian
``cpp_standalone`` (and ``cython`` with ``--cython``) and their ratio; cold start end
to end (fresh process, empty kernel caches) and its ratio; for CUBA the rerun after a
parameter change relative to the loop; bytes per synapse. The sweep prints time per
neuron-step and per synaptic event, and peak memory per neuron and per synapse.

Before measuring, jnsim's modules are byte-compiled, as ``pip install`` does for an
installed package and as Brian's are: a cold start then measures a fresh process with
empty kernel caches, not Python compiling jnsim's source (which an editable install
does once, or at every start where ``PYTHONDONTWRITEBYTECODE`` is set).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BRIAN_PYTHON = os.environ.get("BRIAN_PYTHON", "/tmp/brian-venv/bin/python")


def _byte_compile_jnsim() -> None:
    """Write the ``.pyc`` files of jnsim's modules (``py_compile`` writes them even where
    ``PYTHONDONTWRITEBYTECODE`` is set, which only stops the import system)."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("jnsim")
    if spec is not None and spec.origin is not None:
        compileall.compile_dir(Path(spec.origin).parent, quiet=1)


def _run(command: list[str], timeout: float = 1800) -> dict[str, Any] | None:
    """Run a runner script and parse the JSON of its last output line."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"  timed out: {' '.join(command)}", file=sys.stderr)
        return None
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        print(f"  failed: {' '.join(command)}\n{result.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(lines[-1])


def jnsim(model: str, size: int | None = None, duration: float | None = None,
          rerun: bool = False) -> dict[str, Any] | None:
    """One cold jnsim measurement (fresh process, empty kernel cache)."""
    command = [sys.executable, str(HERE / "jnsim_runner.py"), "--model", model, "--cold"]
    if size is not None:
        command += ["--size", str(size)]
    if duration is not None:
        command += ["--duration", str(duration)]
    if rerun:
        command.append("--rerun")
    return _run(command)


def brian(model: str, target: str, size: int | None = None,
          duration: float | None = None) -> dict[str, Any] | None:
    """One cold Brian 2 measurement, or ``None`` when Brian is not installed."""
    if not Path(BRIAN_PYTHON).exists():
        return None
    command = [BRIAN_PYTHON, str(HERE / "brian_runner.py"), "--model", model,
               "--target", target, "--cold"]
    if size is not None:
        command += ["--size", str(size)]
    if duration is not None:
        command += ["--duration", str(duration)]
    return _run(command)


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}x"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f} s"


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _spread(values: list[float]) -> str:
    """``median (min-max)`` of per-round values, or the value alone for one round."""
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.2f}x"
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"


def compare_model(model: str, cython: bool, repeat: int = 1) -> list[str]:
    """Measure one model ``repeat`` times, simulators interleaved; return table rows.

    Each round runs jnsim, then Brian ``cpp_standalone`` (and ``cython``), each in a
    fresh process with empty caches; ratios are taken within a round, so that a busy
    spell of the machine affects both sides of a ratio alike. Reported: the median of
    the per-round ratios, with their range.
    """
    print(f"== {model}", flush=True)
    rounds = []
    for round_index in range(repeat):
        ours = jnsim(model, rerun=model == "cuba")
        cpp = brian(model, "cpp_standalone")
        cy = brian(model, "cython") if cython else None
        for name, result in (("jnsim", ours), ("brian2 cpp_standalone", cpp),
                             ("brian2 cython", cy)):
            if result is not None:
                stats = {k: (round(v, 3) if isinstance(v, float) else v)
                         for k, v in result["stats"].items()}
                wall = result.get("loop_wall_s")
                print(f"  [{round_index + 1}/{repeat}] {name:22s} loop "
                      f"{_seconds(result.get('loop_s'))}"
                      + (f" (wall {_seconds(wall)})" if wall is not None else "")
                      + f"  end-to-end {_seconds(result.get('end_to_end_s'))}  {stats}",
                      flush=True)
        if ours is not None:
            rounds.append((ours, cpp, cy))
    if not rounds:
        return []
    with_cpp = [(o, c) for o, c, _ in rounds if c is not None]
    loop_ratios = [o["loop_s"] / c["loop_s"] for o, c in with_cpp]
    cold_ratios = [o["end_to_end_s"] / c["end_to_end_s"] for o, c in with_cpp]
    print(f"  loop jnsim/cpp_standalone: {_spread(loop_ratios)}; cold start "
          f"jnsim/cpp_standalone: {_spread(cold_ratios)}")
    ours_loop = _median([o["loop_s"] for o, _, _ in rounds])
    ours_cold = _median([o["end_to_end_s"] for o, _, _ in rounds])
    cpp_loop = _median([c["loop_s"] for _, c in with_cpp])
    cpp_cold = _median([c["end_to_end_s"] for _, c in with_cpp])
    cy_loop = _median([y["loop_s"] for _, _, y in rounds if y is not None])
    rows = [f"| {model} | {_seconds(ours_loop)} | {_seconds(cpp_loop)} | "
            f"**{_spread(loop_ratios)}** | {_seconds(cy_loop)} | "
            f"{_seconds(ours_cold)} | {_seconds(cpp_cold)} | **{_spread(cold_ratios)}** |"]
    reruns = [o["rerun_s"] / o["rerun_loop_s"] for o, _, _ in rounds if "rerun_s" in o]
    if reruns:
        compiled = any(o["rerun_compiled"] for o, _, _ in rounds if "rerun_s" in o)
        print(f"  rerun after a parameter change: {_spread(reruns)} of its loop, "
              f"compiled: {compiled}")
    bytes_per_synapse = rounds[0][0].get("bytes_per_synapse")
    if bytes_per_synapse:
        print(f"  bytes per synapse: {bytes_per_synapse:.1f}")
    return rows


def sweep(sizes: list[int], with_brian: bool) -> list[str]:
    """CUBA at several sizes: time and memory per neuron and per synapse."""
    print("== CUBA size sweep (80 synapses per neuron, 1 s)", flush=True)
    rows = []
    for size in sizes:
        ours = jnsim("cuba", size=size)
        cpp = brian("cuba", "cpp_standalone", size=size) if with_brian else None
        if ours is None:
            continue
        stats = ours["stats"]
        steps = 10_000
        synapses = stats["n_synapses"]
        events = stats["spike_count"] * synapses / size
        per_neuron_step = ours["loop_s"] / (size * steps) * 1e9
        per_event = ours["loop_s"] / max(events, 1) * 1e9
        row = (f"| {size} | {synapses} | {_seconds(ours['loop_s'])} | "
               f"{per_neuron_step:.2f} ns | {per_event:.1f} ns | "
               f"{ours['bytes_per_synapse']:.1f} | {ours['peak_rss_mb']:.0f} MB | "
               f"{_seconds(cpp and cpp['loop_s'])} | "
               f"{_ratio(ours['loop_s'], cpp and cpp['loop_s'])} |")
        print("  " + row, flush=True)
        rows.append(row)
    return rows


def main() -> None:
    """Parse arguments, run the comparisons, print (and optionally write) the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cuba,cobahh,stdp")
    parser.add_argument("--cython", action="store_true", help="also time Brian's cython")
    parser.add_argument("--sweep", action="store_true", help="CUBA at 1k..64k neurons")
    parser.add_argument("--sweep-brian", action="store_true", help="Brian in the sweep too")
    parser.add_argument("--markdown", type=Path, help="write the tables to this file")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds per model (ratios: median and range over rounds)")
    args = parser.parse_args()
    _byte_compile_jnsim()
    header = ["| model | jnsim loop | Brian cpp_standalone loop | ratio | Brian cython loop | "
              "jnsim cold end-to-end | Brian cpp_standalone cold | ratio |",
              "|---|---|---|---|---|---|---|---|"]
    rows = []
    for model in args.models.split(","):
        rows += compare_model(model.strip(), args.cython, args.repeat)
    tables = header + rows
    if args.sweep:
        tables += ["", "| neurons | synapses | jnsim loop | per neuron-step | per synaptic "
                   "event | bytes/synapse | peak RSS | Brian cpp loop | ratio |",
                   "|---|---|---|---|---|---|---|---|---|"]
        tables += sweep([1000, 4000, 16000, 64000], args.sweep_brian)
    print("\n".join(tables))
    if args.markdown:
        args.markdown.write_text("\n".join(tables) + "\n")


if __name__ == "__main__":
    main()
