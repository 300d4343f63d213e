"""The machine-readable report: :class:`~jnsim.report.ReportFacts` as JSON, and back.

``report('model.json')`` writes ``{"schema": "jnsim-report/1", "facts": {...}}``:
the facts a Markdown or LaTeX report is written from, each dataclass as an object
with its field names, tuples as arrays, ``None`` as ``null``, numbers as numbers.
:func:`load_report` reads it back into the same :class:`ReportFacts`, so that
``write_report(load_report('model.json'), 'model.md')`` writes the text that
``report('model.md')`` wrote. The schema is documented in ``docs/reports.md``;
:func:`schema_fields` lists its fields (the documentation is checked against it).
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from pathlib import Path
from typing import Any, Union

from ..errors import JnsimError
from .facts import ReportFacts

__all__ = ["SCHEMA", "facts_from_json", "facts_to_json", "load_report", "schema_fields"]

#: The name and version of the format.
SCHEMA = "jnsim-report/1"


def _plain(value: Any) -> Any:
    """Dataclasses as dicts, tuples as lists (JSON's values)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def facts_to_json(facts: ReportFacts) -> str:
    """The JSON text of ``facts`` (schema :data:`SCHEMA`)."""
    return json.dumps({"schema": SCHEMA, "facts": _plain(facts)}, ensure_ascii=False,
                      indent=1) + "\n"


def _build(kind: Any, value: Any, where: str) -> Any:
    """``value`` (from JSON) as the type ``kind`` of a dataclass field."""
    origin = typing.get_origin(kind)
    if origin in (Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is not type(None):
                return _build(option, value, where)
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise JnsimError(f"{where}: expected an object, found {type(value).__name__}")
        hints = typing.get_type_hints(kind)
        missing = [f.name for f in dataclasses.fields(kind) if f.name not in value and
                   f.default is dataclasses.MISSING]
        if missing:
            raise JnsimError(f"{where}: missing {', '.join(missing)}")
        return kind(**{f.name: _build(hints[f.name], value[f.name], f"{where}.{f.name}")
                       for f in dataclasses.fields(kind) if f.name in value})
    if origin is tuple:
        arguments = typing.get_args(kind)
        if not isinstance(value, list):
            raise JnsimError(f"{where}: expected an array, found {type(value).__name__}")
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return tuple(_build(arguments[0], v, f"{where}[{k}]") for k, v in enumerate(value))
        return tuple(_build(a, v, f"{where}[{k}]")
                     for k, (a, v) in enumerate(zip(arguments, value, strict=True)))
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind in (str, int, bool) and isinstance(value, kind):
        return value
    raise JnsimError(f"{where}: expected {getattr(kind, '__name__', kind)}, "
                     f"found {type(value).__name__}")


def facts_from_json(text: str) -> ReportFacts:
    """The :class:`ReportFacts` of a JSON report.

    Raises
    ------
    JnsimError
        If the text is not a report of schema :data:`SCHEMA`.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JnsimError(f"not a JSON report: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else None
        raise JnsimError(f"not a jnsim report of schema {SCHEMA!r} (found {found!r})",
                         hint="write one with report('model.json')")
    return _build(ReportFacts, data.get("facts"), "facts")


def load_report(path: str | os.PathLike[str]) -> ReportFacts:
    """Read a report written by ``report('model.json')``.

    The result writes the same Markdown or LaTeX text as the network did
    (:func:`jnsim.report.write_report`).

    Examples
    --------
    >>> facts = load_report('model.json')  # doctest: +SKIP
    >>> write_report(facts, 'model.md')  # doctest: +SKIP
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise JnsimError(f"cannot read the report {os.fspath(path)!r}: {exc.strerror}") \
            from None
    return facts_from_json(text)


def schema_fields(kind: Any = ReportFacts, prefix: str = "facts") -> list[str]:
    """Every field path of the schema: ``facts.title``, ``facts.runs[].start``, ..."""
    paths = []
    hints = typing.get_type_hints(kind)
    for field in dataclasses.fields(kind):
        path = f"{prefix}.{field.name}"
        paths.append(path)
        inner = hints[field.name]
        while True:
            origin = typing.get_origin(inner)
            if origin in (Union, types.UnionType):
                inner = next(a for a in typing.get_args(inner) if a is not type(None))
            elif origin is tuple and typing.get_args(inner)[-1] is Ellipsis:
                inner, path = typing.get_args(inner)[0], path + "[]"
            else:
                break
        if dataclasses.is_dataclass(inner):
            paths += schema_fields(inner, path)
    return paths
