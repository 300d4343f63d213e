"""Array arguments of the driver passed as the address of their data.

Numba passes an array argument as a structure (data pointer, shape, strides, ...)
and lowers every element access through it: the structure is unpacked, a negative
index wraps around, strides multiply the index. LLVM removes most of it again, but
generating and optimising that code is a large share of the driver's compilation,
and the driver of a network takes dozens of arrays (CUBA: about forty).

Generated code indexes arrays only with non-negative indices and reads their shapes.
Arrays that the driver uses only that way (``a[i]``, ``a[i] = x``, ``a[i, j]``,
``a.shape[0]``) are therefore passed as the integer address of their data, turned
into a typed pointer on entry (one LLVM ``inttoptr``); a two-dimensional access
becomes ``a[i * a__shape1 + j]`` and ``a.shape[k]`` an integer argument
``a__shape<k>``. Any other use (a slice, a call with the array, a negative constant
index) keeps the array an ordinary argument. Only writeable C-contiguous arrays of the
numeric types below qualify, so the address and shape describe every element (and
Numba still refuses code that writes into a read-only array); boolean
arrays stay arrays (Numba stores ``bool`` as a byte but types a pointer's elements
by their LLVM value type).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numba.core import types
from numba.extending import intrinsic

from ..compiler import sha256_file

__all__ = ["POINTER_DTYPES", "argument_values", "pointer_arguments", "pointer_candidate",
           "pointer_import"]

#: Element types whose arrays may be passed as pointers.
POINTER_DTYPES = ("float64", "float32", "int64", "int32", "int16", "int8",
                  "uint64", "uint32", "uint16", "uint8")

#: Digest of this module, written into kernels that use it: a change here changes
#: their source and so their cache key.
_DIGEST = sha256_file(Path(__file__))[:16]


def _pointer_intrinsic(element: types.Type) -> Any:
    """An intrinsic ``address -> CPointer(element)`` (a single ``inttoptr``)."""

    @intrinsic
    def pointer(typingctx: Any, address: types.Type) -> Any:
        if not isinstance(address, types.Integer):
            return None
        signature = types.CPointer(element)(address)

        def codegen(context: Any, builder: Any, sig: Any, args: Sequence[Any]) -> Any:
            return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

        return signature, codegen

    return pointer


for _name in POINTER_DTYPES:
    globals()[f"_pointer_{_name}"] = _pointer_intrinsic(getattr(types, _name))
    __all__.append(f"_pointer_{_name}")


def pointer_import(dtypes: Sequence[str]) -> str:
    """The import line a kernel needs for pointers to elements of ``dtypes``."""
    names = ", ".join(f"_pointer_{d}" for d in sorted(set(dtypes)))
    return f"from jnsim.codegen.pointers import {names}  # pointers {_DIGEST}\n"


def pointer_candidate(value: Any, booleans: bool = False) -> tuple[str, int] | None:
    """``(dtype name, ndim)`` if ``value`` may be passed as a pointer, else ``None``.

    With ``booleans``, a one-dimensional boolean array is one too, ``('bool', 1)``
    (read through a byte pointer where code makes its own pointers:
    :func:`jnsim.codegen.parallel.prange_pointers`; never passed by address).
    """
    if not (isinstance(value, np.ndarray) and value.flags.c_contiguous
            and value.flags.writeable):
        return None
    if value.ndim in (1, 2) and value.dtype.name in POINTER_DTYPES and value.dtype.isnative:
        return value.dtype.name, value.ndim
    if booleans and value.ndim == 1 and value.dtype == np.bool_:
        return "bool", 1
    return None


def _is_negative_constant(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.Constant)
    return isinstance(node, ast.Constant) and isinstance(node.value, int | float) and (
        node.value < 0)


def _plain_index(node: ast.expr) -> bool:
    return not isinstance(node, ast.Slice | ast.Tuple | ast.Starred) and not (
        _is_negative_constant(node))


def _uses(function: ast.FunctionDef, candidates: Mapping[str, tuple[str, int]]
          ) -> tuple[dict[str, list[tuple[str, ast.AST]]], set[str]]:
    """The uses of each candidate that a pointer needs rewritten (two-dimensional
    items, shapes), and the candidates used in a way a pointer cannot serve."""
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(function):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    uses: dict[str, list[tuple[str, ast.AST]]] = {name: [] for name in candidates}
    refused: set[str] = set()
    for node in ast.walk(function):
        if not isinstance(node, ast.Name) or node.id not in candidates:
            continue
        ndim = candidates[node.id][1]
        parent = parents.get(node)
        if isinstance(node.ctx, ast.Load) and isinstance(parent, ast.Subscript) and (
                parent.value is node):
            index = parent.slice
            if ndim == 1 and _plain_index(index):
                continue  # a pointer is indexed the same way
            if (ndim == 2 and isinstance(index, ast.Tuple) and len(index.elts) == 2
                    and all(_plain_index(e) for e in index.elts)):
                uses[node.id].append(("item2", parent))
                continue
        if isinstance(node.ctx, ast.Load) and isinstance(parent, ast.Attribute) and (
                parent.attr == "shape"):
            outer = parents.get(parent)
            if (isinstance(outer, ast.Subscript) and outer.value is parent
                    and isinstance(outer.ctx, ast.Load) and isinstance(outer.slice, ast.Constant)
                    and isinstance(outer.slice.value, int) and 0 <= outer.slice.value < ndim):
                uses[node.id].append(("shape", outer))
                continue
        refused.add(node.id)
    return uses, refused


def _offsets(source: str) -> list[int]:
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _atomic(node: ast.expr) -> bool:
    return isinstance(node, ast.Name | ast.Constant | ast.Attribute | ast.Subscript | ast.Call)


def pointer_arguments(source: str, parameters: Sequence[str],
                      candidates: Mapping[str, tuple[str, int]]
                      ) -> tuple[str, tuple[tuple[str, str], ...], dict[str, tuple[str, int]]]:
    """Rewrite a driver function so that suitable array arguments are pointers.

    Parameters
    ----------
    source
        Source of the module part holding exactly one function (decorators allowed)
        whose parameters end with ``parameters``.
    parameters
        The parameters that may be converted (keys of the network's values).
    candidates
        ``{parameter: (dtype name, ndim)}`` for parameters whose value qualifies
        (:func:`pointer_candidate`).

    Returns
    -------
    source, arguments, kinds
        The rewritten source; for each parameter of the rewritten function after
        the leading ones, ``(key, form)`` with form ``'value'``, ``'address'`` or
        ``'shape<k>'`` (see :func:`argument_values`); ``{key: (dtype, ndim)}`` of the
        arrays passed by address.
    """
    wanted = set(parameters)
    relevant = tuple(sorted((k, v) for k, v in candidates.items() if k in wanted))
    rewritten, arguments, kinds = _rewrite(source, tuple(parameters), relevant)
    return rewritten, arguments, dict(kinds)


@functools.lru_cache(maxsize=64)
def _rewrite(source: str, parameters: tuple[str, ...],
             candidates: tuple[tuple[str, tuple[str, int]], ...]
             ) -> tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, tuple[str, int]], ...]]:
    """:func:`pointer_arguments`, cached: a network generates the same driver at each run."""
    kinds = dict(candidates)
    tree = ast.parse(source)
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    uses, refused = _uses(function, kinds)
    converted = [k for k in parameters if k in kinds and k not in refused]
    if not converted:
        return source, tuple((k, "value") for k in parameters), ()
    starts = _offsets(source)

    def at(line: int, column: int) -> int:
        # ast columns count UTF-8 bytes; generated driver code is ASCII
        return starts[line - 1] + column

    edits: list[tuple[int, int, str]] = []
    shapes: dict[str, set[int]] = {k: set() for k in converted}
    for key in converted:
        for kind, node in uses[key]:
            if kind == "shape":
                axis = node.slice.value
                shapes[key].add(axis)
                edits.append((at(node.lineno, node.col_offset),
                              at(node.end_lineno, node.end_col_offset), f"{key}__shape{axis}"))
            elif kind == "item2":
                shapes[key].add(1)
                first, second = node.slice.elts
                wrap_first, wrap_second = not _atomic(first), not _atomic(second)
                start = at(first.lineno, first.col_offset)
                if wrap_first:
                    edits.append((start, start, "("))
                edits.append((at(first.end_lineno, first.end_col_offset),
                              at(second.lineno, second.col_offset),
                              f"{')' if wrap_first else ''} * {key}__shape1 + "
                              f"{'(' if wrap_second else ''}"))
                if wrap_second:
                    end = at(second.end_lineno, second.end_col_offset)
                    edits.append((end, end, ")"))
    text = source
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + replacement + text[end:]
    # the parameter list and the conversion on entry
    arguments: list[tuple[str, str]] = []
    names: list[str] = []
    for key in parameters:
        if key in shapes:
            arguments.append((key, "address"))
            names.append(f"{key}__address")
            for axis in sorted(shapes[key]):
                arguments.append((key, f"shape{axis}"))
                names.append(f"{key}__shape{axis}")
        else:
            arguments.append((key, "value"))
            names.append(key)
    old_header = ", ".join(parameters)
    lines = text.split("\n")
    def_line = next(i for i, line in enumerate(lines) if line.startswith("def "))
    if old_header not in lines[def_line]:  # pragma: no cover - a bug in the caller
        raise ValueError("the parameters are not the end of the function's parameter list")
    lines[def_line] = lines[def_line].replace(old_header, ", ".join(names))
    entry = [f"    {key} = _pointer_{kinds[key][0]}({key}__address)" for key in converted]
    lines[def_line + 1:def_line + 1] = entry
    return "\n".join(lines), tuple(arguments), tuple((key, kinds[key]) for key in converted)


def argument_values(arguments: Sequence[tuple[str, str]], values: Mapping[str, Any],
                    kinds: Mapping[str, tuple[str, int]]) -> list[Any]:
    """The driver's arguments from the network's values, in the forms of ``arguments``.

    An array passed by address is checked again, since it may have been replaced
    after the kernel was generated (a recording buffer that grew): it must still be
    a contiguous array of the kind in ``kinds`` (:func:`pointer_candidate`).
    """
    result: list[Any] = []
    for key, form in arguments:
        value = values[key]
        if form == "value":
            result.append(value)
        elif form == "address":
            if pointer_candidate(value) != kinds[key]:  # pragma: no cover - a jnsim bug
                raise RuntimeError(f"kernel argument {key} is no longer a contiguous "
                                   f"{kinds[key][1]}-d array of {kinds[key][0]}")
            result.append(value.ctypes.data)
        else:
            result.append(value.shape[int(form[5:])])
    return result
