#!/usr/bin/env python3
"""Run the Brian 2 reference measurements and print them as JSON lines and a table.

Each configuration is one ``brian_runner.py`` process (run with ``$BRIAN_PYTHON``,
default ``/tmp/brian-venv/bin/python``) under a wall-clock cap. The 1-minute load
average before and after each run is recorded, because the results are only
comparable on an otherwise idle machine (the compiler's own parallel jobs raise it too).
Each configuration runs once cold (fresh temporary build directory / Cython cache), once
to fill the persistent warm cache ("priming"), then ``--repeat`` times warm. Usage::

    python3 benchmarks/collect_brian_reference.py --out /tmp/brian_reference.jsonl

``--quick`` runs small sizes only (a smoke test of the whole chain, about 2 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "brian_runner.py"

#: (model, target, size, duration_s): the reference set of the performance contract.
FULL: list[tuple[str, str, int, float]] = [
    ("cuba", "cpp_standalone", 4000, 1.0),
    ("cuba", "cython", 4000, 1.0),
    ("cobahh", "cpp_standalone", 4000, 1.0),
    ("cobahh", "cython", 4000, 1.0),
    ("stdp", "cpp_standalone", 1000, 10.0),
    ("stdp", "cython", 1000, 10.0),
    ("cuba", "cpp_standalone", 1000, 1.0),
    ("cuba", "cpp_standalone", 16000, 1.0),
    ("cuba", "cpp_standalone", 64000, 1.0),
]

QUICK: list[tuple[str, str, int, float]] = [
    ("cuba", "cpp_standalone", 1000, 0.1),
    ("cobahh", "cython", 500, 0.05),
    ("stdp", "cpp_standalone", 100, 0.5),
]


def brian_python() -> str | None:
    """The Brian environment's interpreter: ``$BRIAN_PYTHON`` or the default venv."""
    candidate = os.environ.get("BRIAN_PYTHON", "/tmp/brian-venv/bin/python")
    return candidate if Path(candidate).exists() else None


def runner_command(
    python: str, model: str, target: str, size: int, duration: float, cold: bool
) -> list[str]:
    """The ``brian_runner.py`` command line for one configuration."""
    cmd = [python, str(RUNNER), "--model", model, "--target", target]
    cmd += ["--size", str(size), "--duration", f"{duration:g}"]
    return [*cmd, "--cold"] if cold else cmd


def busy_cpu_s() -> float:
    """CPU seconds spent by all processes of the machine since boot (``/proc/stat``)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return float("nan")
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    """CPU seconds (user + system) of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_one(cmd: list[str], cap_s: float) -> dict[str, Any]:
    """Run one runner process; return its JSON record, or a record saying why not.

    Besides the runner's record this adds ``outer_wall_s``, the 1-minute load averages
    and ``other_cores``: the average number of cores that *other* processes kept busy
    meanwhile (machine-wide busy CPU time minus this run's own CPU time, over wall time).
    """
    load_before = os.getloadavg()[0]
    busy0, own0 = busy_cpu_s(), children_cpu_s()
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=cap_s, check=False)
    except subprocess.TimeoutExpired:
        record: dict[str, Any] = {"error": f"timed out after {cap_s:g} s"}
    else:
        lines = proc.stdout.strip().splitlines()
        if proc.returncode == 0 and lines:
            record = json.loads(lines[-1])
        else:
            record = {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-2000:]}"}
    wall = time.perf_counter() - start
    others = (busy_cpu_s() - busy0) - (children_cpu_s() - own0)
    record["outer_wall_s"] = round(wall, 2)
    record["other_cores"] = round(max(others, 0.0) / wall, 2)
    record["load1_before"] = round(load_before, 2)
    record["load1_after"] = round(os.getloadavg()[0], 2)
    record["command"] = shlex.join(cmd)
    return record


def _other_stats(record: dict[str, Any]) -> str:
    """Model-specific statistics for the table's last column."""
    s = record["stats"]
    if record["model"] == "stdp":
        return (
            f"mean w {s['mean_weight']:.3f} gmax, near 0: {s['fraction_near_zero']:.2f}, "
            f"near gmax: {s['fraction_near_gmax']:.2f}, input {s['input_rate_hz']:.2f} Hz"
        )
    return f"{s['n_synapses']} synapses, {s['spike_count']} spikes"


def markdown_table(groups: list[dict[str, Any]]) -> str:
    """Render one row per configuration: the cold run and the best of the warm runs."""
    head = (
        "| model | target | size | sim. s | loop_s warm best (all) | loop_s cold "
        "| end_to_end_s cold | end_to_end_s warm best | compile_s cold | peak_rss_mb "
        "| rate (Hz) | CV ISI | other | busy cores of others cold/warm |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n"
    )
    rows = []
    for g in groups:
        cold, warm = g["cold"], [r for r in g["warm"] if "error" not in r]
        if "error" in cold or not warm:
            errors = [r["error"][:120] for r in [cold, *g["warm"]] if "error" in r]
            rows.append(f"| {g['model']} | {g['target']} | {g['size']} | error: {errors} |")
            continue
        loops = [r["loop_s"] for r in warm]
        s = cold["stats"]
        cv = "–" if s["cv_isi"] is None else f"{s['cv_isi']:.3f}"
        rows.append(
            f"| {g['model']} | {g['target']} | {g['size']} | {g['duration_s']:g} "
            f"| {min(loops):.3f} ({', '.join(f'{x:.3f}' for x in loops)}) "
            f"| {cold['loop_s']:.3f} | {cold['end_to_end_s']:.1f} "
            f"| {min(r['end_to_end_s'] for r in warm):.1f} | {cold.get('compile_s', '–')} "
            f"| {cold['peak_rss_mb']} | {s['mean_rate_hz']:.2f} | {cv} | {_other_stats(cold)} "
            f"| {cold['other_cores']:.1f}/{max(r['other_cores'] for r in warm):.1f} |"
        )
    return head + "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the configurations, append JSON lines to ``--out``, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=Path("brian_reference.jsonl"))
    parser.add_argument("--cap", type=float, default=300.0, help="seconds per run")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs per configuration")
    parser.add_argument("--quick", action="store_true", help="small smoke-test sizes")
    args = parser.parse_args(argv)

    python = brian_python()
    if python is None:
        print("no Brian environment (set BRIAN_PYTHON); nothing to do", file=sys.stderr)
        return 1

    def record_run(cmd: list[str], role: str) -> dict[str, Any]:
        record = run_one(cmd, args.cap)
        record["role"] = role
        with args.out.open("a") as f:
            f.write(json.dumps(record) + "\n")
        print(json.dumps(record), file=sys.stderr, flush=True)
        return record

    groups = []
    for model, target, size, duration in QUICK if args.quick else FULL:
        cold_cmd = runner_command(python, model, target, size, duration, cold=True)
        warm_cmd = runner_command(python, model, target, size, duration, cold=False)
        cold = record_run(cold_cmd, "cold")
        # The first warm-mode run fills the persistent build directory / Cython cache.
        record_run(warm_cmd, "priming")
        warm = [record_run(warm_cmd, "warm") for _ in range(args.repeat)]
        groups.append(
            {
                "model": model,
                "target": target,
                "size": size,
                "duration_s": duration,
                "cold": cold,
                "warm": warm,
            }
        )
    print(markdown_table(groups))
    return 0


if __name__ == "__main__":
    sys.exit(main())
