#!/usr/bin/env python3
"""Run one reference model (``models.py``) with Brian 2 and print one JSON line.

This script runs in a *separate* Python environment that has Brian 2 installed (see
``benchmarks/README.md``); it never imports jnsim. Example::

    /tmp/brian-venv/bin/python benchmarks/brian_runner.py --model cuba \\
        --target cpp_standalone --size 4000 --duration 1 --cold

The last line written to standard output is a JSON object with these keys:

``model``, ``target``, ``size``, ``duration_s``, ``cold``
    What was run.
``loop_s``
    Wall time of the simulation loop only, as timed by Brian itself and stored in
    ``device._last_run_time``. For ``cpp_standalone`` this is the time the generated
    ``Network::run`` in the compiled binary spends in its time-step loop (``std::clock``
    without OpenMP, i.e. CPU time of the single simulation thread; ``omp_get_wtime``, wall
    time, with ``--openmp-threads``). For ``cython`` it is
    the wall time of the time-step loop in ``Network.run``, measured after
    ``Network.before_run`` has generated and compiled (or loaded from the cache) all
    code objects. Neither includes synapse creation, initial values or compilation.
``model_call_s``
    Wall time of the call to the model function (build, code generation, compilation,
    run, reading back the monitors).
``compile_s``, ``run_binary_s`` (``cpp_standalone`` only)
    Brian's own timers for ``make`` and for running the binary (``device.timers``).
``end_to_end_s``
    Wall time from the start of this process (interpreter start-up included, on Linux)
    to the end of the model call: imports, code generation, compilation, run.
    Removing temporary directories afterwards is not included.
``peak_rss_mb``
    Peak resident set size, in MiB, of the process that ran the simulation loop: the
    Python process for ``cython``, the compiled binary for ``cpp_standalone``
    (measured with ``resource.getrusage(RUSAGE_CHILDREN)`` in a small wrapper).
``python_peak_rss_mb``
    Peak resident set size of this Python process (``getrusage(RUSAGE_SELF)``).
``stats``
    The statistics returned by the model function.
``brian2_version``, ``numpy_version``, ``python_version``
    Versions, for the record.

Caching: with ``--cold`` every build directory and the Cython cache are fresh temporary
directories, deleted at the end. Without ``--cold`` the standalone project directory
(per model and size) and the Cython cache live in ``$JNSIM_BRIAN_BENCH_CACHE`` (default
``<tmp>/jnsim-brian-bench-cache``), so a second run measures a warm start; the
standalone ``results/`` directory is deleted after each run to keep it small.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import math
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_SCRIPT_START = time.perf_counter()
_HERE = Path(__file__).resolve().parent
TARGETS = ("cpp_standalone", "cython")

#: Wrapper that runs the standalone binary and records its peak RSS (kB) in a file.
_RSS_WRAPPER = """\
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)
"""


def process_age_s() -> float:
    """Seconds since this process started (from ``/proc``), else since the script began.

    Returns
    -------
    float
        Elapsed wall time; on Linux it includes interpreter start-up (10 ms resolution).
    """
    since_script = time.perf_counter() - _SCRIPT_START
    try:
        stat = Path("/proc/self/stat").read_text()
        # Field 22 (starttime, clock ticks after boot); fields after the ")" of comm.
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        age = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return since_script
    return max(age, since_script)


def kb_to_mb(kilobytes: float) -> float:
    """Convert ``ru_maxrss`` (KiB on Linux) to MiB, rounded to 0.1."""
    return round(kilobytes / 1024.0, 1)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to file descriptor 1 to descriptor 2 meanwhile.

    Brian, Cython, the compiler and the binary may print to standard output; the JSON
    line must be the only thing there.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _finite_or_none(value: Any) -> Any:
    """Return ``None`` for NaN/inf floats (not valid JSON), else ``value`` unchanged."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--model", required=True, choices=("cuba", "cobahh", "stdp"))
    parser.add_argument("--target", required=True, choices=TARGETS)
    parser.add_argument(
        "--size",
        type=int,
        default=None,
        help="neurons (cuba, cobahh) or Poisson inputs (stdp); default: the model's",
    )
    parser.add_argument(
        "--duration", type=float, default=None, help="simulated seconds; default: the model's"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="fresh build directory and Cython cache (temporary, deleted afterwards)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed of the model")
    parser.add_argument(
        "--openmp-threads",
        type=int,
        default=0,
        help="cpp_standalone only: devices.cpp_standalone.openmp_threads (0: no OpenMP)",
    )
    return parser.parse_args(argv)


def configure_brian(
    b2: Any, target: str, cold: bool, tmp_root: Path, cache_root: Path, key: str,
    openmp_threads: int = 0,
) -> tuple[Path | None, Path | None]:
    """Select Brian's device/target and its build and cache directories
    (``openmp_threads``: Brian's OpenMP threads for ``cpp_standalone``, 0 for none).

    Returns
    -------
    (project_dir, rss_file)
        The standalone project directory and the file the RSS wrapper writes, or
        ``(None, None)`` for the ``cython`` target.
    """
    if target == "cython":
        b2.prefs.codegen.target = "cython"
        cache = tmp_root / "cython-cache" if cold else cache_root / "cython-cache"
        cache.mkdir(parents=True, exist_ok=True)
        b2.prefs.codegen.runtime.cython.cache_dir = str(cache)
        return None, None

    project = tmp_root / "standalone" if cold else cache_root / f"standalone-{key}"
    wrapper = tmp_root / "rss_wrapper.py"
    wrapper.write_text(_RSS_WRAPPER)
    rss_file = tmp_root / "main_maxrss_kb.txt"
    b2.prefs.devices.cpp_standalone.run_cmd_unix = [
        sys.executable,
        str(wrapper),
        str(rss_file),
        "./main",
    ]
    b2.prefs.devices.cpp_standalone.openmp_threads = openmp_threads
    # One build + run per process; the binary's own output goes to results/stdout.txt.
    b2.set_device("cpp_standalone", directory=str(project), build_on_run=True, with_output=False)
    return project, rss_file


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run one model with Brian 2 and return the JSON record (see the module docstring)."""
    sys.path.insert(0, str(_HERE))
    models = importlib.import_module("models")
    func, default_size, default_duration = models.MODELS[args.model]
    size = default_size if args.size is None else args.size
    duration = default_duration if args.duration is None else args.duration
    kwargs: dict[str, Any] = {} if args.seed is None else {"seed": args.seed}

    cache_root = Path(
        os.environ.get(
            "JNSIM_BRIAN_BENCH_CACHE",
            os.path.join(tempfile.gettempdir(), "jnsim-brian-bench-cache"),
        )
    )
    tmp_root = Path(tempfile.mkdtemp(prefix="jnsim-brian-run-"))
    project: Path | None = None
    try:
        with stdout_to_stderr():
            import brian2 as b2
            import numpy as np

            key = f"{args.model}-{size}" + (
                f"-omp{args.openmp_threads}" if args.openmp_threads else "")
            project, rss_file = configure_brian(
                b2, args.target, args.cold, tmp_root, cache_root, key, args.openmp_threads
            )
            t0 = time.perf_counter()
            stats = func(b2, size, duration, **kwargs)
            model_call_s = time.perf_counter() - t0
            end_to_end_s = process_age_s()
            device = b2.get_device()
            loop_s = float(device._last_run_time)

        record: dict[str, Any] = {
            "model": args.model,
            "target": args.target,
            "size": size,
            "duration_s": duration,
            "cold": bool(args.cold),
            "openmp_threads": args.openmp_threads,
            "loop_s": round(loop_s, 4),
            "model_call_s": round(model_call_s, 3),
            "end_to_end_s": round(end_to_end_s, 3),
        }
        python_rss = kb_to_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        if args.target == "cpp_standalone":
            timers = getattr(device, "timers", {})
            compile_timers = timers.get("compile", {})
            record["compile_s"] = round(sum(v for v in compile_timers.values() if v), 3)
            record["run_binary_s"] = round(float(timers.get("run_binary") or 0.0), 3)
            record["peak_rss_mb"] = kb_to_mb(float(rss_file.read_text()))
        else:
            record["peak_rss_mb"] = python_rss
        record["python_peak_rss_mb"] = python_rss
        record["stats"] = {k: _finite_or_none(v) for k, v in stats.items()}
        record["brian2_version"] = b2.__version__
        record["numpy_version"] = np.__version__
        record["python_version"] = platform.python_version()
        return record
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
        if project is not None and not args.cold:
            shutil.rmtree(project / "results", ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the JSON record as the last stdout line."""
    args = parse_args(argv)
    record = run(args)
    print(json.dumps(record, allow_nan=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
