#!/usr/bin/env python3
"""Brian 2.9's own example scripts, run under jnsim by changing the import, compared with
Brian 2.9 on the same scripts.

Two steps, each in fresh processes (``example_runner.py`` runs one script)::

    # 1. the reference: every example under Brian 2.9 (a separate environment), twice
    #    with different seeds, a third time where the two differ (stochastic scripts)
    python benchmarks/brian_examples.py reference --brian-python /tmp/brian-venv/bin/python

    # 2. jnsim on every example, compared with the reference
    python benchmarks/brian_examples.py compare

The examples come from Brian 2.9's source distribution (``pip download --no-deps
--no-binary brian2 brian2==2.9.0``), unpacked into ``--examples-cache``; ``--examples``
names a folder of examples instead. The point-neuron examples are every script outside
``compartmental/`` (multi-compartment models, out of scope), ``standalone/`` and
``multiprocessing/`` (about Brian's build device and process pools, not models), less the
modules other examples import (``params.py``, ``plot_utils.py``) and the scripts that
build a morphology (``SpatialNeuron``, ``Soma``, ...): those are out of scope and must fail
at once with a message naming the feature, which ``compare`` checks. An example whose
Brian reference does not run here (a package missing, a download, longer than the
time-out) is listed and not counted.

Agreement (``agrees``):

* **deterministic** scripts (the two Brian runs with different seeds give identical
  figures): every spike/event count within 1 % (at least 2 spikes) and every state mean
  and standard deviation within 1 % of Brian's plus 1 % of the variable's spread.
  Different but equally exact float64 arithmetic (summation order, an ``exp`` within one
  ulp of libm's) can move a threshold crossing by a time step now and then, and recurrent
  networks amplify such moves; 1 % is far below the differences a modelling error makes
  (a state mean 0.314 instead of 0.244 is 29 %). Where the reference also holds a run of
  Brian with its other code generation target (``reference --cross-target``: numpy where
  the runs used cython, and the other way round), the difference between Brian's two
  targets on a figure is added to its tolerance: both targets run the same algorithm
  and differ only in rounding, so that difference measures how far float rounding alone
  moves the figure. It is zero for almost every figure, and large only where the dynamics
  amplify rounding (a chaotic neuron: the irregular-spiking panel of Naud et al. 2008).
* **stochastic** scripts: jnsim's random streams differ from Brian's, so each figure must
  lie in the 99 % prediction interval of Brian's n runs (three), the interval that holds
  a new draw from the same distribution with probability 0.99: mean +- t(0.995, n-1) *
  sd * sqrt(1 + 1/n), with Student's t for n - 1 degrees of freedom (9.925 for n = 3)
  because the spread itself is estimated from three runs, plus 2 % of the mean (and 2
  spikes) so that a spread that came out near zero by chance fails no agreeing result.

Results go to ``--out`` as JSON and to standard output as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "example_runner.py"
DEFAULT_REFERENCE = HERE / "brian_examples_reference.json"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "jnsim-brian-examples"
EXCLUDED_FOLDERS = ("compartmental", "standalone", "multiprocessing")
HELPER_MODULES = ("params.py", "plot_utils.py")
BRIAN_VERSION = "2.9.0"


def fetch_examples(cache: Path, python: str) -> Path:
    """Brian's ``examples/`` folder from its source distribution, downloaded once."""
    examples = cache / f"brian2-{BRIAN_VERSION}" / "examples"
    if examples.is_dir():
        return examples
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--no-binary", "brian2", f"brian2=={BRIAN_VERSION}", "-d", str(cache)],
                   check=True)
    with tarfile.open(cache / f"brian2-{BRIAN_VERSION}.tar.gz") as archive:
        members = [m for m in archive.getmembers() if "/examples/" in m.name]
        archive.extractall(cache, members=members, filter="data")
    return examples


MULTI_COMPARTMENT = re.compile(r"\b(SpatialNeuron|Morphology|Soma|Cylinder|Section)\s*\(")


def candidate_examples(examples: Path) -> list[str]:
    """Relative paths of the example scripts outside the excluded folders, sorted."""
    found = []
    for path in sorted(examples.rglob("*.py")):
        relative = path.relative_to(examples)
        if relative.parts[0] in EXCLUDED_FOLDERS or relative.name in HELPER_MODULES:
            continue
        found.append(relative.as_posix())
    return found


def is_multi_compartment(script: Path) -> bool:
    """Whether a script builds a multi-compartment model (out of jnsim's scope)."""
    return bool(MULTI_COMPARTMENT.search(script.read_text()))


def point_neuron_examples(examples: Path) -> list[str]:
    """The candidates that model point neurons (no morphology), sorted."""
    return [name for name in candidate_examples(examples)
            if not is_multi_compartment(examples / name)]


def multi_compartment_examples(examples: Path) -> list[str]:
    """The candidates that build multi-compartment models, sorted."""
    return [name for name in candidate_examples(examples)
            if is_multi_compartment(examples / name)]


def run_example(python: str, simulator: str, script: Path, seed_offset: int,
                timeout: float, brian_target: str | None = None) -> dict[str, Any]:
    """One run of one script in a fresh process; its JSON line, or a time-out record
    (``brian_target``: Brian's code generation target instead of ``BRIAN_TARGET``'s)."""
    env = {**os.environ, "BRIAN_TARGET": brian_target} if brian_target else None
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            [python, str(RUNNER), simulator, str(script), "--seed-offset", str(seed_offset)],
            capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "wall_s": round(time.perf_counter() - started, 1)}
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"status": "crash", "returncode": completed.returncode,
            "error": completed.stderr[-1500:]}


def figures(result: dict[str, Any]) -> dict[str, float]:
    """The compared numbers of a run, flattened: ``monitor.statistic``."""
    flat = {}
    for monitor, stats in result.get("monitors", {}).items():
        for key, value in stats.items():
            if key != "kind" and isinstance(value, int | float) and not isinstance(value, bool):
                flat[f"{monitor}.{key}"] = float(value)
    return flat


def is_count(key: str) -> bool:
    return key.endswith(".count")


def deterministic_tolerance(key: str, reference: float, spread: float) -> float:
    if is_count(key):
        return max(2.0, 0.01 * abs(reference))
    return 0.01 * abs(reference) + 0.01 * abs(spread) + 1e-300


#: Student's t quantile t(0.995, df) for df = 1..10 (two-sided 99 %; standard tables).
T_995 = {1: 63.657, 2: 9.925, 3: 5.841, 4: 4.604, 5: 4.032, 6: 3.707, 7: 3.499, 8: 3.355,
         9: 3.250, 10: 3.169}


def stochastic_tolerance(key: str, samples: list[float]) -> float:
    """Half-width of the 99 % prediction interval of ``samples``, plus the floor."""
    mean = statistics.fmean(samples)
    n = len(samples)
    spread = 0.0
    if n > 1:
        spread = T_995[min(n - 1, 10)] * statistics.stdev(samples) * (1 + 1 / n) ** 0.5
    return spread + 0.02 * abs(mean) + (2.0 if is_count(key) else 1e-300)


def target_differences(reference: dict[str, Any]) -> dict[str, float]:
    """How much each figure differs between Brian's two code generation targets (the
    reference's ``other_target`` run against its first run); empty without that run."""
    other = reference.get("other_target", {}).get("run", {})
    if other.get("status") != "ok":
        return {}
    first, second = figures(reference["runs"][0]), figures(other)
    return {key: abs(first[key] - second[key]) for key in first if key in second}


def compare(reference: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """Whether one jnsim run agrees with the Brian reference runs of the same script."""
    if result.get("status") != "ok":
        return {"agrees": False, "why": result.get("status", "?")}
    runs = [figures(run) for run in reference["runs"]]
    ours = figures(result)
    rounding = target_differences(reference)
    deterministic = reference["deterministic"]
    differences = []
    for key in runs[0]:
        samples = [run[key] for run in runs if key in run]
        if key not in ours:
            differences.append(f"{key}: missing")
            continue
        value = ours[key]
        mean = statistics.fmean(samples)
        if deterministic:
            spread_key = key.replace(".mean", ".std")
            spread = runs[0].get(spread_key, 0.0) if key.endswith(".mean") else 0.0
            tolerance = deterministic_tolerance(key, mean, spread) + rounding.get(key, 0.0)
        else:
            tolerance = stochastic_tolerance(key, samples)
        if not abs(value - mean) <= tolerance:
            differences.append(f"{key}: {value:.6g} vs {mean:.6g} (tolerance {tolerance:.3g})")
    return {"agrees": not differences, "why": "; ".join(differences[:4])}


def collect_reference(args: argparse.Namespace, examples: Path) -> None:
    store = load(args.reference)
    names = [name for name in (args.only or point_neuron_examples(examples))
             if args.redo or name not in store]

    def reference_of(name: str) -> tuple[str, dict[str, Any]]:
        script = examples / name
        runs = [run_example(args.brian_python, "brian2", script, offset, args.timeout)
                for offset in (0, 1)]
        usable = all(run.get("status") == "ok" for run in runs)
        deterministic = usable and figures(runs[0]) == figures(runs[1])
        if usable and not deterministic:
            runs.append(run_example(args.brian_python, "brian2", script, 2, args.timeout))
            usable = runs[-1].get("status") == "ok"
        entry = {"usable": usable, "deterministic": deterministic, "runs": runs}
        print(f"{name}: usable={usable} deterministic={deterministic} "
              f"wall={[run.get('wall_s') for run in runs]}", flush=True)
        return name, entry

    with ThreadPoolExecutor(args.jobs) as pool:
        for name, entry in pool.map(reference_of, names):
            store[name] = entry
            save(args.reference, store)
    if args.cross_target:
        cross_targets(args, examples, store)


def cross_targets(args: argparse.Namespace, examples: Path, store: dict[str, Any]) -> None:
    """A run with Brian's other code generation target for the deterministic references
    of ``--only`` (all of them without it) that have none yet (or all, with --redo)."""
    names = [name for name, entry in store.items()
             if entry.get("usable") and entry.get("deterministic")
             and (not args.only or name in args.only)
             and (args.redo or "other_target" not in entry)]
    for name in names:
        entry = store[name]
        used = entry["runs"][0].get("brian_target") or os.environ.get("BRIAN_TARGET",
                                                                      "cython")
        other = "numpy" if used != "numpy" else "cython"
        run = run_example(args.brian_python, "brian2", examples / name, 0, args.timeout,
                          brian_target=other)
        entry["other_target"] = {"target": other, "run": run}
        differences = {k: v for k, v in target_differences(entry).items() if v}
        print(f"{name}: {other} target {run.get('status')}, "
              f"{len(differences)} figure(s) differ from the first run", flush=True)
        save(args.reference, store)


def compare_all(args: argparse.Namespace, examples: Path) -> dict[str, Any]:
    store = load(args.reference)
    spatial = set(multi_compartment_examples(examples))
    names = [name for name in candidate_examples(examples)
             if not args.only or name in args.only]

    def one(name: str) -> tuple[str, dict[str, Any]]:
        if name in spatial:  # out of scope: it must fail at once, naming the feature
            result = run_example(args.python, "jnsim", examples / name, 0, args.timeout)
            clear = (result.get("status") == "error" and bool(result.get("clear_error"))
                     and "not supported" in result.get("error", ""))
            return name, {"counted": False, "multi_compartment": True, "clear": clear,
                          "result": result,
                          "why": "multi-compartment: " + ("fails at once with a clear "
                                                          "message" if clear else
                                                          "NO CLEAR MESSAGE")}
        reference = store.get(name)
        if reference is None or not reference["usable"]:
            return name, {"counted": False, "why": "no Brian reference" if reference is None
                          else "Brian 2.9 does not run it here"}
        result = run_example(args.python, "jnsim", examples / name, 0, args.timeout)
        verdict = compare(reference, result)
        return name, {"counted": True, **verdict, "result": result,
                      "brian_wall_s": reference["runs"][0].get("wall_s")}

    outcomes = {}
    with ThreadPoolExecutor(args.jobs) as pool:
        for name, outcome in pool.map(one, names):
            outcomes[name] = outcome
            mark = "agrees" if outcome.get("agrees") else "DIFFERS"
            print(f"{name}: {mark if outcome['counted'] else 'not counted'} "
                  f"{outcome.get('why', '')}", flush=True)
    return outcomes


def rejudge(args: argparse.Namespace, examples: Path) -> dict[str, Any]:
    """The outcomes of stored jnsim results, judged against the reference again (the
    latest result of each example wins)."""
    store = load(args.reference)
    stored: dict[str, Any] = {}
    for path in args.results:
        stored.update(load(path))
    outcomes = {}
    for name in candidate_examples(examples):
        outcome = stored.get(name, {"counted": False})
        reference = store.get(name)
        if outcome.get("multi_compartment"):
            outcomes[name] = outcome
        elif reference is None or not reference["usable"]:
            outcomes[name] = {"counted": False, "why": brian_failure(reference)}
        elif "result" not in outcome:
            outcomes[name] = {"counted": False, "why": "not run under jnsim"}
        else:
            outcomes[name] = {**outcome, **compare(reference, outcome["result"]),
                              "counted": True,
                              "brian_wall_s": reference["runs"][0].get("wall_s")}
    return outcomes


def brian_failure(reference: dict[str, Any] | None) -> str:
    """Why an example has no usable Brian reference."""
    if reference is None:
        return "no Brian reference (not run)"
    failed = next(run for run in reference["runs"] if run.get("status") != "ok")
    if failed.get("status") == "timeout":
        return f"Brian 2.9 did not finish within {failed.get('wall_s')} s here"
    return (f"Brian 2.9 fails here: {failed.get('error_type')}: "
            f"{str(failed.get('error', '')).splitlines()[0][:100]}")


def markdown(outcomes: dict[str, Any]) -> str:
    counted = {name: o for name, o in outcomes.items() if o["counted"]}
    agreeing = sum(1 for o in counted.values() if o["agrees"])
    spatial = [o for o in outcomes.values() if o.get("multi_compartment")]
    clear = sum(1 for o in spatial if o["clear"])
    not_counted = len(outcomes) - len(counted) - len(spatial)
    lines = [f"**{agreeing} of {len(counted)}** point-neuron examples agree with Brian "
             f"{BRIAN_VERSION}; {not_counted} more have no Brian reference here; "
             f"{clear} of {len(spatial)} multi-compartment examples fail at once with a "
             "clear message.", "", "| example | result | jnsim s | Brian s | detail |",
             "|---|---|---|---|---|"]
    for name, outcome in outcomes.items():
        result = outcome.get("result", {})
        if outcome.get("multi_compartment"):
            verdict = "out of scope"
        elif not outcome["counted"]:
            verdict = "not counted"
        elif outcome["agrees"]:
            verdict = "agrees"
        elif result.get("status") == "ok":
            verdict = "differs"
        elif result.get("status") == "error":
            verdict = "clear error" if result.get("clear_error") else "internal error"
        else:
            verdict = result.get("status", "?")
        detail = outcome.get("why", "")
        if result.get("status") == "error" and not outcome.get("multi_compartment"):
            detail = f"{result['error_type']}: {result['error'].splitlines()[0][:160]}"
        detail = detail.replace("|", "\\|")
        lines.append(f"| {name} | {verdict} | {result.get('wall_s', '')} | "
                     f"{outcome.get('brian_wall_s', '')} | {detail} |")
    return "\n".join(lines)


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def save(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("reference", "compare", "table"),
                        help="table: judge stored jnsim results (--out, several files "
                             "with --results) against the reference again, without running")
    parser.add_argument("--results", type=Path, nargs="*", default=[],
                        help="for 'table': result files of earlier compare runs")
    parser.add_argument("--examples", type=Path, help="a folder of Brian examples")
    parser.add_argument("--examples-cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--brian-python", default="/tmp/brian-venv/bin/python")
    parser.add_argument("--python", default=sys.executable, help="the Python with jnsim")
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=Path("brian_examples_results.json"))
    parser.add_argument("--only", nargs="*", help="example paths relative to examples/")
    parser.add_argument("--redo", action="store_true", help="re-run stored references")
    parser.add_argument("--cross-target", action="store_true",
                        help="for 'reference': also run deterministic scripts with Brian's "
                             "other code generation target (their rounding sensitivity)")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--brian-target", choices=("cython", "numpy"),
                        help="Brian's code generation target where a script sets none "
                             "(Brian's default is cython; numpy saves the compilation, "
                             "and gives the same figures to rounding)")
    args = parser.parse_args()
    if args.brian_target:
        os.environ["BRIAN_TARGET"] = args.brian_target
    examples = args.examples or fetch_examples(args.examples_cache, args.brian_python)
    if args.step == "reference":
        collect_reference(args, examples)
        return
    run_step = rejudge if args.step == "table" else compare_all
    outcomes = run_step(args, examples)
    save(args.out, outcomes)
    print()
    print(markdown(outcomes))


if __name__ == "__main__":
    main()
