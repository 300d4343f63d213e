#!/usr/bin/env python3
"""Statistics of jnsim and Brian 2 over several seeds: are the differences chance?

jnsim's random streams differ from Brian's, so one seed of each gives two samples of
the same distribution, and a single output neuron (the STDP model) scatters widely.
This runs each model with seeds 1..n in both simulators (fresh processes, through the
runners) and prints, per statistic, the mean and standard deviation on each side.

Usage::

    python benchmarks/seed_spread.py --models stdp --seeds 6
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from compare import BRIAN_PYTHON, HERE, _run

STATISTICS = {
    "cuba": ("mean_rate_hz", "cv_isi", "fraction_active"),
    "cobahh": ("mean_rate_hz", "cv_isi", "fraction_active"),
    "stdp": ("mean_rate_hz", "cv_isi", "mean_weight", "fraction_near_zero",
             "fraction_near_gmax"),
}


def _summary(values: list[float]) -> str:
    if not values:
        return "n/a"
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {spread:.3f}"


def main() -> None:
    """Run every model and seed on both sides; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="stdp")
    parser.add_argument("--seeds", type=int, default=6)
    args = parser.parse_args()
    with_brian = Path(BRIAN_PYTHON).exists()
    print("| model | statistic | jnsim (mean ± sd) | Brian cpp_standalone (mean ± sd) |")
    print("|---|---|---|---|")
    for model in args.models.split(","):
        ours: list[dict] = []
        theirs: list[dict] = []
        for seed in range(1, args.seeds + 1):
            result = _run([sys.executable, str(HERE / "jnsim_runner.py"), "--model", model,
                           "--seed", str(seed)])
            if result is not None:
                ours.append(result["stats"])
            if with_brian:
                result = _run([BRIAN_PYTHON, str(HERE / "brian_runner.py"), "--model", model,
                               "--target", "cpp_standalone", "--seed", str(seed)])
                if result is not None:
                    theirs.append(result["stats"])
        for name in STATISTICS[model]:
            print(f"| {model} | {name} | {_summary([s[name] for s in ours])} | "
                  f"{_summary([s[name] for s in theirs])} |", flush=True)


if __name__ == "__main__":
    main()
