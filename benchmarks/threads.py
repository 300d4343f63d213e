#!/usr/bin/env python3
"""Multi-threaded kernels: CUBA on 2 threads against 1, and against Brian 2.9 with OpenMP.

Every measurement runs ``models.cuba`` in a fresh process (``--worker``), with the
kernel cache warmed first, so that the times are the simulation loop only; rounds are
interleaved (1 thread, 2 threads, Brian ...) and the medians are compared, so that the
ratios come from one run of this script on one machine::

    python benchmarks/threads.py                         # CUBA 64k neurons, 1 s
    python benchmarks/threads.py --repeat 5 --duration 0.5
    python benchmarks/threads.py --sizes 2000,5000,10000,20000,40000 --duration 0.3
    python benchmarks/threads.py --brian-python /tmp/brian-venv/bin/python

``--alternate`` measures in one process instead: CUBA is built once per size, and runs
of 1 and 2 threads alternate on the same network (``restore()`` before each), so that
both kernels meet the same moments of a noisy machine; it reports the median ratio of
consecutive pairs::

    python benchmarks/threads.py --alternate --sizes 32000,64000,128000 --repeat 15

``--sizes`` measures the break-even size of the automatic choice
(``jnsim.threads.AUTO_MIN_NEURONS``). jnsim's times are wall times of the kernel
(``RunStats.kernel_seconds``); Brian's are ``cpp_standalone`` loop times
(``device._last_run_time``, wall time with OpenMP) with
``devices.cpp_standalone.openmp_threads`` set to 1 or 2 (``brian_runner.py
--openmp-threads``). Cold compile times (fresh cache) of the serial and the
multi-threaded kernel are measured once per size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
_DEFAULT_BRIAN = os.environ.get("BRIAN_PYTHON", "/tmp/brian-venv/bin/python")


def worker(threads: int, size: int, duration: float) -> dict[str, Any]:
    """Run CUBA once with jnsim on ``threads`` threads; its timings and statistics."""
    sys.path.insert(0, str(_HERE))
    import models

    import jnsim
    from jnsim.network import run_history

    jnsim.set_threads(threads)
    stats = models.cuba(jnsim, n=size, duration_s=duration)
    last = run_history()[-1]
    return {"threads": threads, "size": size, "kernel_s": last.kernel_seconds,
            "compile_s": last.compile_seconds, "compiled": last.compiled,
            "spike_count": stats["spike_count"], "n_synapses": stats["n_synapses"]}


def alternate(size: int, duration: float, repeat: int) -> dict[str, Any]:
    """1 and 2 threads in turn on one CUBA network in this process (kernels warmed first)."""
    sys.path.insert(0, str(_HERE))
    from explore_latency import build_cuba

    import jnsim
    from jnsim.network import run_history

    net, namespace = build_cuba(jnsim, size, seed=20_070_349)
    net.store()
    monitor = next(obj for obj in net.objects if isinstance(obj, jnsim.SpikeMonitor))
    times: dict[int, list[float]] = {1: [], 2: []}
    counts: dict[int, set[int]] = {1: set(), 2: set()}
    for round_ in range(repeat + 1):
        for threads in (1, 2):
            jnsim.set_threads(threads)
            net.restore()
            net.run(duration * jnsim.second, namespace=namespace)
            assert net.last_plan.threads == threads
            if round_:  # the first round compiles or loads the kernels
                times[threads].append(run_history()[-1].kernel_seconds)
                counts[threads].add(int(monitor.num_spikes))
    jnsim.set_threads(None)
    ratios = [a / b for a, b in zip(times[1], times[2], strict=True)]
    return {"size": size, "duration_s": duration, "times": times,
            "median_1": statistics.median(times[1]), "median_2": statistics.median(times[2]),
            "median_ratio": statistics.median(ratios), "same_spikes": counts[1] == counts[2]
            and len(counts[1]) == 1, "load_after": os.getloadavg()}


def _run_worker(threads: int, size: int, duration: float, cache: str) -> dict[str, Any]:
    env = {**os.environ, "JNSIM_CACHE_DIR": cache}
    env.pop("JNSIM_THREADS", None)
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", "--threads", str(threads),
         "--sizes", str(size), "--duration", str(duration)],
        capture_output=True, text=True, env=env, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _run_brian(python: str, threads: int, size: int, duration: float) -> dict[str, Any]:
    command = [python, str(_HERE / "brian_runner.py"), "--model", "cuba", "--target",
               "cpp_standalone", "--size", str(size), "--duration", str(duration),
               "--openmp-threads", str(threads)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(size: int, duration: float, repeat: int, brian: str | None) -> dict[str, Any]:
    """Medians of interleaved rounds at one size (and the cold compile times)."""
    cold: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="jnsim-threads-") as cache:
        for threads in (1, 2):  # compiles into the empty cache: the cold compile time
            cold[threads] = _run_worker(threads, size, duration, cache)["compile_s"]
        if brian:  # build once, so that the rounds below run Brian's binary only
            for threads in (1, 2):
                _run_brian(brian, threads, size, duration)
        times: dict[str, list[float]] = {"jnsim 1": [], "jnsim 2": [], "brian 1": [],
                                         "brian 2": []}
        spikes: dict[int, int] = {}
        for _ in range(repeat):
            for threads in (1, 2):
                record = _run_worker(threads, size, duration, cache)
                times[f"jnsim {threads}"].append(record["kernel_s"])
                spikes[threads] = record["spike_count"]
                if brian:
                    times[f"brian {threads}"].append(
                        _run_brian(brian, threads, size, duration)["loop_s"])
    medians = {k: statistics.median(v) for k, v in times.items() if v}
    return {"size": size, "duration_s": duration, "medians": medians, "times": times,
            "cold_compile_s": cold, "spike_counts": spikes, "load_after": os.getloadavg()}


def report(result: dict[str, Any]) -> str:
    """One Markdown table row per size: times, ratios, cold compile times."""
    m = result["medians"]
    row = (f"| {result['size']} | {m['jnsim 1']:.3f} | {m['jnsim 2']:.3f} | "
           f"{m['jnsim 1'] / m['jnsim 2']:.2f} | ")
    if "brian 2" in m:
        row += (f"{m['brian 1']:.3f} | {m['brian 2']:.3f} | {m['brian 1'] / m['brian 2']:.2f} | "
                f"{m['jnsim 2'] / m['brian 2']:.2f} | ")
    else:
        row += "– | – | – | – | "
    cold = result["cold_compile_s"]
    same = len(set(result["spike_counts"].values())) == 1
    return row + (f"{cold[1]:.1f} | {cold[2]:.1f} | {'yes' if same else 'NO'} | "
                  f"{result['load_after'][0]:.1f} |")


HEADER = ("| neurons | jnsim 1 thread (s) | jnsim 2 threads (s) | jnsim 1/2 | "
          "Brian 1 thread (s) | Brian 2 threads (s) | Brian 1/2 | jnsim 2 / Brian 2 | "
          "cold compile serial (s) | cold compile 2 threads (s) | same spikes | "
          "load average |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="64000", help="comma-separated neuron counts")
    parser.add_argument("--duration", type=float, default=1.0, help="simulated seconds")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--brian-python", default=_DEFAULT_BRIAN,
                        help="Python of an environment with Brian 2.9 (skipped if missing)")
    parser.add_argument("--no-brian", action="store_true", help="skip Brian")
    parser.add_argument("--alternate", action="store_true",
                        help="alternate 1 and 2 threads in this process")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.worker:
        print(json.dumps(worker(args.threads, sizes[0], args.duration)), flush=True)
        return 0
    if args.alternate:
        print(f"CUBA, {args.duration:g} s simulated, 1 and 2 threads alternating in one "
              f"process, {args.repeat} pairs; {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.1f} at the start", flush=True)
        print("| neurons | 1 thread median (s) | 2 threads median (s) | median ratio 1/2 | "
              "same spikes | load average |\n|---|---|---|---|---|---|", flush=True)
        for size in sizes:
            r = alternate(size, args.duration, args.repeat)
            print(f"| {size} | {r['median_1']:.3f} | {r['median_2']:.3f} | "
                  f"{r['median_ratio']:.2f} | {'yes' if r['same_spikes'] else 'NO'} | "
                  f"{r['load_after'][0]:.1f} |", flush=True)
            print(json.dumps(r), file=sys.stderr, flush=True)
        return 0
    brian = None if args.no_brian or not Path(args.brian_python).exists() else args.brian_python
    print(f"CUBA, {args.duration:g} s simulated, medians of {args.repeat} interleaved rounds; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start"
          + ("" if brian else "; Brian skipped"), flush=True)
    print(HEADER, flush=True)
    for size in sizes:
        result = measure(size, args.duration, args.repeat, brian)
        print(report(result), flush=True)
        print(json.dumps(result), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
