"""Run one Brian 2 example script under Brian 2 or under jnsim and print its statistics.

Usage::

    python benchmarks/example_runner.py {brian2,jnsim} SCRIPT [--seed-offset K]

The script runs as ``__main__`` in its own folder with matplotlib's Agg backend (plots are
drawn, never shown). Under jnsim every import of ``brian2`` (``from brian2 import *``,
``import brian2 as b2``, ``from brian2.units import ...``) is changed to the same import of
``jnsim``: nothing else in the script changes. With ``--seed-offset K`` every seed the
script sets (``seed(s)``, ``np.random.seed(s)``) becomes ``s + K``, and a script that sets
none starts from seed ``K``: runs with different offsets tell a deterministic script
(same figures) from a stochastic one.

The last line printed is one JSON object: ``status`` (``ok`` or ``error``), the error's
type, message and whether it was raised by the simulator itself, the wall time, and per
monitor (keyed by the name the script binds it to, else the object's name): spike or
event counts, and the mean and standard deviation of every recorded variable in SI units.
This file imports neither simulator at module level, so one copy serves both.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import types
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

BRIAN_IMPORT = re.compile(r"^(\s*)(from|import)(\s+)brian2\b", re.MULTILINE)
MONITOR_KINDS = ("SpikeMonitor", "EventMonitor", "StateMonitor", "PopulationRateMonitor")


def port_to_jnsim(source: str) -> str:
    """The script with every import of ``brian2`` changed to an import of ``jnsim``."""
    source = BRIAN_IMPORT.sub(r"\1\2\3jnsim", source)
    # ``import brian2 as b2`` became ``import jnsim as b2``; a bare ``import brian2``
    # needs the name the script uses afterwards.
    return re.sub(r"^(\s*)import jnsim\s*$", r"\1import jnsim as brian2", source,
                  flags=re.MULTILINE)


def ported_copy(script: Path) -> Path:
    """A copy of the script's folder, every script in it ported to jnsim: an example's
    helper modules (``params.py``) import ``brian2`` too."""
    folder = Path(tempfile.mkdtemp(prefix="jnsim-example-"))
    target = folder / script.parent.name
    shutil.copytree(script.parent, target)
    for path in target.glob("*.py"):
        path.write_text(port_to_jnsim(path.read_text()))
    return target / script.name


def offset_seeds(simulator: Any, offset: int) -> None:
    """Make every seed the script sets ``offset`` larger, and seed the default streams."""
    import numpy as np

    if offset == 0:
        return
    original_seed = simulator.seed
    original_np_seed = np.random.seed

    def seed(value: int | None = None) -> None:
        original_seed(None if value is None else value + offset)

    def np_seed(value: Any = None) -> None:
        original_np_seed(None if value is None else int(value) + offset)

    simulator.seed = seed
    np.random.seed = np_seed
    original_seed(offset)
    original_np_seed(offset)


def to_si(value: Any) -> Any:
    """Plain float64 values in SI base units, from a Brian or a pint quantity."""
    import numpy as np

    if hasattr(value, "to_base_units") and hasattr(value, "magnitude"):
        value = value.to_base_units().magnitude
    return np.asarray(value, dtype=float)


def finite_mean_std(values: Any) -> tuple[float | None, float | None]:
    import numpy as np

    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return None, None
    return float(np.nanmean(values)), float(np.nanstd(values))


def kind_of(obj: Any) -> str | None:
    names = [cls.__name__ for cls in type(obj).__mro__]
    for kind in MONITOR_KINDS:
        if kind in names:
            return kind
    return None


def monitor_statistics(monitor: Any, kind: str) -> dict[str, Any]:
    """The figures compared between simulators for one monitor."""
    stats: dict[str, Any] = {"kind": kind}
    if kind in ("SpikeMonitor", "EventMonitor"):
        count = monitor.num_spikes if kind == "SpikeMonitor" else monitor.num_events
        stats["count"] = int(count)
    elif kind == "StateMonitor":
        for variable in monitor.record_variables:
            mean, std = finite_mean_std(to_si(getattr(monitor, variable)))
            stats[f"{variable}.mean"] = mean
            stats[f"{variable}.std"] = std
    elif kind == "PopulationRateMonitor":
        stats["rate.mean"], stats["rate.std"] = finite_mean_std(to_si(monitor.rate))
    return stats


CREATED_MONITORS: list[Any] = []


def keep_monitors_alive(simulator: Any) -> None:
    """Keep every monitor the script creates, also those local to its functions."""
    for kind in MONITOR_KINDS:
        cls = getattr(simulator, kind, None)
        if cls is None:
            continue
        original = cls.__init__

        def init(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> None:
            __original(self, *args, **kwargs)
            if all(self is not other for other in CREATED_MONITORS):
                CREATED_MONITORS.append(self)

        cls.__init__ = init


def collect_monitors(namespace: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Statistics of every monitor the script created, keyed by its global name or, for
    one it does not bind to a global name, the object's own name."""
    found: dict[int, tuple[str, Any, str]] = {}
    for name, value in namespace.items():
        kind = kind_of(value)
        if kind is not None and id(value) not in found:
            found[id(value)] = (name, value, kind)
    for obj in [*CREATED_MONITORS, *gc.get_objects()]:
        try:
            kind = kind_of(obj)
        except Exception:  # objects whose type cannot be inspected
            continue
        if kind is not None and id(obj) not in found:
            found[id(obj)] = (str(getattr(obj, "name", "?")), obj, kind)
    results: dict[str, dict[str, Any]] = {}
    for key, monitor, kind in found.values():
        if key in results:  # two monitors of one name: numbered in order of creation
            key = f"{key}#{sum(1 for other in results if other.startswith(key + '#')) + 2}"
        try:
            results[key] = monitor_statistics(monitor, kind)
        except Exception as error:  # a monitor that cannot be read is a finding too
            results[key] = {"kind": kind, "unreadable": f"{type(error).__name__}: {error}"}
    return results


def clean(value: Any) -> Any:
    """JSON-safe values (NaN and infinities as strings)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {key: clean(item) for key, item in value.items()}
    return value


def describe_error(error: BaseException, script: Path, simulator_name: str) -> dict[str, Any]:
    frames = traceback.extract_tb(error.__traceback__)
    in_script = [frame for frame in frames if Path(frame.filename) == script]
    names = [cls.__name__ for cls in type(error).__mro__]
    return {
        "error_type": type(error).__name__,
        "error": str(error)[:2000],
        "clear_error": "JnsimError" in names if simulator_name == "jnsim" else None,
        "script_line": in_script[-1].lineno if in_script else None,
        # the file's last two path parts: no paths of this machine in stored results
        "last_frame": (f"{'/'.join(Path(frames[-1].filename).parts[-2:])}:"
                       f"{frames[-1].lineno}") if frames else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("simulator", choices=("brian2", "jnsim"))
    parser.add_argument("script", type=Path)
    parser.add_argument("--seed-offset", type=int, default=0)
    args = parser.parse_args()

    os.environ["MPLBACKEND"] = "Agg"
    script = args.script.resolve()
    if args.simulator == "jnsim":
        script = ported_copy(script)
    source = script.read_text()
    os.chdir(script.parent)
    sys.path.insert(0, str(script.parent))
    sys.argv = [str(script)]
    started = time.perf_counter()
    import importlib

    simulator = importlib.import_module(args.simulator)
    if args.simulator == "brian2" and os.environ.get("BRIAN_TARGET"):
        # Brian's code generation target for scripts that do not choose one themselves
        simulator.prefs.codegen.target = os.environ["BRIAN_TARGET"]
    offset_seeds(simulator, args.seed_offset)
    keep_monitors_alive(simulator)
    # A real ``__main__`` module, so that multiprocessing can pickle the script's functions.
    main_module = types.ModuleType("__main__")
    main_module.__file__ = str(script)
    sys.modules["__main__"] = main_module
    namespace = main_module.__dict__
    result: dict[str, Any] = {"simulator": args.simulator, "script": script.name}
    captured = io.StringIO()
    try:
        code = compile(source, str(script), "exec")
        with redirect_stdout(captured):
            exec(code, namespace)
        result["status"] = "ok"
    except BaseException as error:  # SystemExit too: the script ended early
        if isinstance(error, SystemExit) and error.code in (None, 0):
            result["status"] = "ok"
        else:
            result["status"] = "error"
            result.update(describe_error(error, script, args.simulator))
    result["wall_s"] = round(time.perf_counter() - started, 3)
    if args.simulator == "brian2":  # the code generation target the script ran with
        result["brian_target"] = str(simulator.prefs.codegen.target)
    try:
        result["monitors"] = clean(collect_monitors(namespace))
    except Exception as error:
        result["monitors"] = {"?": {"unreadable": f"{type(error).__name__}: {error}"}}
    result["stdout_tail"] = captured.getvalue()[-500:]
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()
    if args.simulator == "jnsim":
        shutil.rmtree(script.parent.parent, ignore_errors=True)
    os._exit(0)  # skip interpreter teardown (open figures, threads)


if __name__ == "__main__":
    main()
