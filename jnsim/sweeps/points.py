"""The points of a sweep: parameters split by kind, the grid, seeds and batches.

Every function here is pure: it turns the arguments of :func:`jnsim.sweep` into
inspectable values (:class:`Run`, batches) and raises :class:`~jnsim.JnsimError`
for arguments that cannot make a sweep.
"""

from __future__ import annotations

import inspect
import itertools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import JnsimError
from ..units import registry

__all__ = [
    "Run",
    "batch_runs",
    "batch_size",
    "decode_value",
    "encode_value",
    "expand_points",
    "run_seeds",
    "runs_of",
    "split_parameters",
    "structure_key",
]


@dataclass(frozen=True)
class Run:
    """One simulation of a sweep: a point of the grid and one replicate.

    Attributes
    ----------
    index
        Position in the sweep (rows are ordered by it).
    point
        Position of the parameter point.
    replicate
        Which replicate of the point (0, 1, ...).
    seed
        The seed given to :func:`jnsim.seed` before the run.
    structural
        The values passed to ``build`` (name -> value).
    values
        The values set on the built network (name -> value).
    """

    index: int
    point: int
    replicate: int
    seed: int
    structural: tuple[tuple[str, Any], ...]
    values: tuple[tuple[str, Any], ...]

    @property
    def parameters(self) -> dict[str, Any]:
        """All parameter values of the run (structural first)."""
        return dict(self.structural) | dict(self.values)

    @property
    def key(self) -> str:
        """A text identifying the run among others of any sweep (for ``resume=``)."""
        encoded = {name: encode_value(value) for name, value in self.parameters.items()}
        return json.dumps({"parameters": encoded, "replicate": self.replicate,
                           "seed": self.seed}, sort_keys=True)


def structural_names(build: Callable[..., Any]) -> tuple[str, ...]:
    """The names ``build`` accepts: those parameters rebuild the network.

    Raises
    ------
    JnsimError
        If ``build`` is not callable.
    """
    if not callable(build):
        raise JnsimError(f"sweep() needs a function that builds the network, not {build!r}",
                         hint="def build(N): ...; return Network(...)")
    try:
        signature = inspect.signature(build)
    except (TypeError, ValueError):  # a builtin: takes nothing we can name
        return ()
    return tuple(name for name, p in signature.parameters.items()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def _scalars(name: str, values: Any) -> list[Any]:
    """The values of one grid axis as a list of scalars (a quantity array splits)."""
    if isinstance(values, registry.Quantity):
        if np.ndim(values.magnitude) == 0:
            return [values]
        return [registry.Quantity(m, values.units) for m in np.asarray(values.magnitude)]
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise JnsimError(f"the values of '{name}' must be a sequence, not {values!r}",
                         hint=f"e.g. '{name}': [1, 2, 3] or np.linspace(0, 3, 7)*mV")
    result = [v.item() if isinstance(v, np.generic) else v for v in values]
    if not result:
        raise JnsimError(f"'{name}' has no values to sweep")
    return result


def expand_points(params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
                  ) -> tuple[tuple[str, ...], list[dict[str, Any]], bool]:
    """The parameter points: a grid from a mapping, or the points of a list.

    Parameters
    ----------
    params
        ``{name: values}`` (the Cartesian product, the last name varying fastest)
        or a list of ``{name: value}`` points, all with the same names.

    Returns
    -------
    names, points, is_grid
        The parameter names in order, one dict per point, and whether the points
        form a full grid (then results can become an ``xarray`` grid).
    """
    if isinstance(params, Mapping):
        names = tuple(params)
        for name in names:
            if not isinstance(name, str):
                raise JnsimError(f"a parameter name must be a string, not {name!r}")
        axes = [_scalars(name, params[name]) for name in names]
        points = [dict(zip(names, combination, strict=True))
                  for combination in itertools.product(*axes)]
        return names, points, True
    if isinstance(params, str) or not isinstance(params, Sequence) or not params:
        raise JnsimError("params must be {name: values} or a list of {name: value} points",
                         hint="e.g. params={'we': [1, 2, 3]*mV}")
    first = params[0]
    if not isinstance(first, Mapping):
        raise JnsimError(f"a point of params must be a dict, not {first!r}")
    names = tuple(first)
    points = []
    for number, point in enumerate(params):
        if not isinstance(point, Mapping) or set(point) != set(names):
            raise JnsimError(f"point {number} of params does not name the same parameters as "
                             f"point 0 ({', '.join(names)})")
        points.append({name: point[name] for name in names})
    return names, points, False


def split_parameters(names: Sequence[str], structural: Sequence[str]
                     ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split parameter names into those ``build`` takes and those set on the network.

    Raises
    ------
    JnsimError
        If ``build`` needs a name that the sweep does not give.
    """
    missing = [name for name in structural if name not in names]
    if missing:
        raise JnsimError(f"build() takes {', '.join(missing)}, which params does not give",
                         hint="give every argument of build() values in params (or a default "
                              "value in build's signature is not used: list it in params)")
    return (tuple(n for n in names if n in structural),
            tuple(n for n in names if n not in structural))


def run_seeds(n_runs: int, seeds: int | Sequence[int], n_points: int,
              root: np.random.SeedSequence) -> list[int]:
    """The seed of every run, point by point and replicate by replicate.

    Parameters
    ----------
    n_runs
        Points times replicates.
    seeds
        A number of replicates (each run gets a seed spawned from ``root``), or the
        seeds of the replicates, used at every point.
    n_points
        How many parameter points.
    root
        The sweep's root :class:`numpy.random.SeedSequence`.
    """
    if isinstance(seeds, Sequence):
        return [int(s) for s in seeds] * n_points
    return [int(child.generate_state(1, np.uint64)[0]) for child in root.spawn(n_runs)]


def replicate_count(seeds: int | Sequence[int]) -> int:
    """How many replicates ``seeds=`` asks for.

    Raises
    ------
    JnsimError
        For a count below one, or seeds that :func:`jnsim.seed` does not accept.
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int | np.integer | Sequence):
        raise JnsimError(f"seeds must be a number of replicates or a list of seeds, not "
                         f"{seeds!r}", hint="e.g. seeds=5 or seeds=[1, 2, 3]")
    if isinstance(seeds, Sequence):
        if not seeds:
            raise JnsimError("seeds is an empty list", hint="give at least one seed")
        for s in seeds:
            if isinstance(s, bool) or not isinstance(s, int | np.integer) or not (
                    0 <= s < 2**64):
                raise JnsimError(f"seed {s!r} is not an integer from 0 to 2**64 - 1")
        return len(seeds)
    if seeds < 1:
        raise JnsimError(f"seeds={seeds} asks for no runs", hint="give seeds=1 or more")
    return int(seeds)


def runs_of(points: Sequence[Mapping[str, Any]], structural: Sequence[str],
            seeds: Sequence[int], replicates: int) -> list[Run]:
    """Every run of the sweep, in order (point by point, replicates within a point)."""
    runs = []
    for point_number, point in enumerate(points):
        for replicate in range(replicates):
            index = point_number * replicates + replicate
            runs.append(Run(
                index, point_number, replicate, seeds[index],
                tuple((n, point[n]) for n in point if n in structural),
                tuple((n, point[n]) for n in point if n not in structural)))
    return runs


def structure_key(structural: Iterable[tuple[str, Any]]) -> str:
    """A text that is equal for runs of one network structure."""
    return json.dumps([[name, encode_value(value)] for name, value in structural])


def batch_size(run_seconds: float, minimum_seconds: float = 0.5, most: int = 64) -> int:
    """How many runs a task holds so that it lasts at least ``minimum_seconds``."""
    if not run_seconds > 0 or math.isinf(run_seconds):
        return 1
    return max(1, min(most, math.ceil(minimum_seconds / run_seconds)))


def batch_runs(runs: Sequence[Run], sizes: Mapping[str, int], workers: int) -> list[list[Run]]:
    """Runs grouped into tasks: runs of one structure together, ``sizes[structure]`` each.

    A batch never holds more than an even share of its structure's runs per worker,
    so that every worker gets work even when runs are fast.
    """
    by_structure: dict[str, list[Run]] = {}
    for run in runs:
        by_structure.setdefault(structure_key(run.structural), []).append(run)
    batches = []
    for key, group in by_structure.items():
        size = max(1, min(sizes.get(key, 1), math.ceil(len(group) / max(1, workers))))
        batches += [list(group[i:i + size]) for i in range(0, len(group), size)]
    return batches


def encode_value(value: Any) -> Any:
    """A JSON-ready form of a parameter or metric (a quantity keeps its unit)."""
    if isinstance(value, registry.Quantity):
        return {"magnitude": encode_value(value.magnitude), "units": f"{value.units:~}"}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    return value


def decode_value(value: Any) -> Any:
    """The inverse of :func:`encode_value`."""
    if isinstance(value, dict) and set(value) == {"magnitude", "units"}:
        return registry.Quantity(decode_value(value["magnitude"]), value["units"])
    if isinstance(value, dict) and set(value) == {"float"}:
        return float(value["float"])
    return value
