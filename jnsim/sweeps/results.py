"""A sweep's results: a pandas DataFrame with units, and the file ``resume=`` keeps.

Quantities become float columns in one unit per column (the unit of the column's
first value); the units are in ``results.attrs['units']`` and go to the ``units``
attribute of each variable of :meth:`SweepResults.to_xarray`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import JnsimError
from ..units import registry
from .points import Run, decode_value, encode_value

__all__ = ["ResumeLog", "SweepResults", "make_results"]

#: The columns every sweep has, after the parameters and before the metrics.
RUN_COLUMNS = ("replicate", "seed", "status", "error")


class SweepResults(pd.DataFrame):
    """The rows of a sweep: parameters, replicate, seed, status, error, metrics, wall time.

    A :class:`pandas.DataFrame` (everything pandas does works); quantities are
    plain numbers in the unit named in ``attrs['units']``. ``attrs`` also holds
    the sweep's ``root_seed``, ``duration``, ``parameters`` and ``metrics``.
    """

    @property
    def _constructor(self) -> type[SweepResults]:
        return SweepResults

    @property
    def units(self) -> dict[str, str]:
        """Column -> unit, for columns that were quantities."""
        return dict(self.attrs.get("units", {}))

    def quantity(self, column: str) -> Any:
        """A column as a quantity array (a plain array for a column without units)."""
        unit = self.units.get(column)
        values = self[column].to_numpy(dtype=float)
        return registry.Quantity(values, unit) if unit else values

    def ok(self) -> SweepResults:
        """The rows whose run finished."""
        return self[self["status"] == "ok"]

    def to_xarray(self) -> Any:  # type: ignore[override]
        """The results as an :class:`xarray.Dataset` on the grid of the parameters.

        The dimensions are the parameters and ``replicate``; every metric, the seed,
        the status and the wall time are variables; units are in each variable's
        (and coordinate's) ``attrs['units']``.

        Raises
        ------
        JnsimError
            If the points do not form a grid (``params`` was a list of points).
        """
        if not self.attrs.get("grid", True):
            raise JnsimError("the points of this sweep are a list, not a grid",
                             hint="use the DataFrame itself, or sweep params={name: values}")
        dims = [*self.attrs.get("parameters", ()), "replicate"]
        frame = pd.DataFrame(self.drop(columns=["error", "worker"], errors="ignore"))
        dataset = frame.set_index(dims).to_xarray()
        for name, unit in self.units.items():
            if name in dataset.variables:
                dataset[name].attrs["units"] = unit
        dataset.attrs.update({k: v for k, v in self.attrs.items()
                              if k in ("root_seed", "duration")})
        return dataset


def column_unit(value: Any) -> Any:
    """The unit of a column whose first quantity is ``value``.

    The value's own unit if it is one named unit (``mV``, ``Hz``), else the named
    SI unit of its dimensions (``spikes / (10 * ms)`` is in Hz, not 1/ms);
    ``None`` for a dimensionless quantity (the column is plain numbers).
    """
    from ..units import _best_named_unit, dimensions_of, is_dimensionless, si_unit

    units = value.units
    if len(units._units) == 1 and next(iter(units._units.values())) == 1:
        return units
    dims = dimensions_of(value)
    if is_dimensionless(dims):
        return None
    if dims == dimensions_of(registry.Quantity(1.0, "Hz")):
        return registry.Unit("Hz")
    return _best_named_unit(dims) or si_unit(dims)


def _column_values(values: Sequence[Any]) -> tuple[list[Any], str | None]:
    """A column as plain values, in one unit if its values are quantities."""
    first = next((v for v in values if isinstance(v, registry.Quantity)), None)
    if first is None:
        return list(values), None
    unit = column_unit(first)
    if unit is None:
        return [float(v.to("").magnitude) if isinstance(v, registry.Quantity) else v
                for v in values], None
    plain = []
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            plain.append(math.nan)
        elif isinstance(value, registry.Quantity):
            plain.append(float(value.to(unit).magnitude))
        elif value == 0:
            plain.append(0.0)
        else:
            raise JnsimError(f"a column mixes quantities in {unit:~P} with the number {value!r}")
    return plain, f"{unit:~P}"


def make_results(runs: Sequence[Run], rows: Mapping[int, Mapping[str, Any]],
                 parameters: Sequence[str], attrs: Mapping[str, Any]) -> SweepResults:
    """The results table: one row per run, in the order of the runs."""
    metric_names: list[str] = []
    for run in runs:
        for name in rows.get(run.index, {}).get("metrics", {}):
            if name not in metric_names:
                metric_names.append(name)
    columns: dict[str, list[Any]] = {name: [] for name in parameters}
    columns.update({name: [] for name in (*RUN_COLUMNS, *metric_names, "wall_time", "worker")})
    for run in runs:
        row = rows.get(run.index, {"status": "lost", "error": "the run never reported back",
                                   "metrics": {}, "wall_time": math.nan})
        for name, value in run.parameters.items():
            columns[name].append(value)
        columns["replicate"].append(run.replicate)
        columns["seed"].append(run.seed)
        columns["status"].append(row["status"])
        columns["error"].append(row.get("error", ""))
        for name in metric_names:
            columns[name].append(row["metrics"].get(name, math.nan))
        columns["wall_time"].append(row.get("wall_time", math.nan))
        columns["worker"].append(row.get("worker", ""))
    units = {}
    for name in list(columns):
        if name in ("seed",):
            continue
        columns[name], unit = _column_values(columns[name])
        if unit is not None:
            units[name] = unit
    frame = SweepResults(columns)
    frame["seed"] = frame["seed"].astype("uint64")
    frame.attrs.update(attrs)
    frame.attrs.update(units=units, parameters=list(parameters), metrics=metric_names)
    # kernels compiled by the probe runs here (attrs) and by any worker
    frame.attrs["kernels_compiled"] = attrs.get("kernels_compiled", 0) + sum(
        bool(row.get("compiled")) for row in rows.values())
    return frame


class ResumeLog:
    """The file of a sweep's finished runs (JSON lines), for ``sweep(..., resume=path)``.

    The first line describes the sweep (its root seed, so that a resumed sweep
    draws the same seeds); every later line is one finished run, appended and
    flushed as soon as it arrives, so that an interrupted sweep loses nothing.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.header: dict[str, Any] | None = None
        self.rows: dict[str, dict[str, Any]] = {}
        if self.path.exists() and self.path.stat().st_size > 0:
            self._read()

    def _read(self) -> None:
        with open(self.path, encoding="utf-8") as file:
            lines = [line for line in file if line.strip()]
        records = []
        for number, line in enumerate(lines):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                # the last line of a sweep killed while writing can be cut off
                if number != len(lines) - 1:
                    raise JnsimError(f"{self.path} line {number + 1} is not a sweep "
                                     "record", hint="give resume= a file written by "
                                     "sweep(), or a new file name") from None
        if not records or records[0].get("jnsim_sweep") != 1:
            raise JnsimError(f"{self.path} is not a file written by sweep(resume=...)",
                             hint="give a new file name, or the file of the sweep to resume")
        self.header = records[0]
        for record in records[1:]:
            self.rows[record["key"]] = record

    @property
    def root_seed(self) -> int | None:
        """The root seed of the sweep that wrote the file."""
        return None if self.header is None else int(self.header["root_seed"])

    def start(self, root_seed: int, description: Mapping[str, Any]) -> None:
        """Write the header of a new file (nothing if resuming)."""
        if self.header is not None:
            return
        self.header = {"jnsim_sweep": 1, "root_seed": str(root_seed), **description}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "w", encoding="utf-8") as file:
            file.write(json.dumps(self.header) + "\n")

    def finished(self, runs: Iterable[Run]) -> dict[int, dict[str, Any]]:
        """Rows of the runs already done (``ok`` or ``error``), by run index."""
        done = {}
        for run in runs:
            record = self.rows.get(run.key)
            if record is not None and record["status"] in ("ok", "error"):
                done[run.index] = {
                    "index": run.index, "status": record["status"], "error": record["error"],
                    "metrics": {n: decode_value(v) for n, v in record["metrics"].items()},
                    "wall_time": decode_value(record["wall_time"]),
                    "worker": record.get("worker", "")}
        return done

    def append(self, run: Run, row: Mapping[str, Any]) -> None:
        """Add a finished run to the file."""
        record = {"key": run.key, "status": row["status"], "error": row.get("error", ""),
                  "metrics": {n: encode_value(v) for n, v in row["metrics"].items()},
                  "wall_time": encode_value(row.get("wall_time", math.nan)),
                  "worker": row.get("worker", ""), "compiled": bool(row.get("compiled"))}
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(json.dumps(record) + "\n")
            file.flush()
