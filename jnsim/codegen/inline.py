"""Textual inlining of generated operations into the driver loop.

Numba compiles every ``@njit`` function on its own: it types it, lowers it to LLVM
IR, optimises it and generates machine code, and then does the optimisation and
code generation again for the caller that links it in. Writing each operation's
body straight into the driver loop gives Numba one function to compile, which
removes that repeated work from a cold start (see ``benchmarks/``).

The rewrite works on the syntax tree: parameters become the driver's arguments,
the operation's own variables get a prefix so that operations cannot clash with
each other or with the driver, and names of the module (``math``, helpers) stay.
An operation whose body cannot be inlined this way (it returns, or defines
functions) is called as before.
"""

from __future__ import annotations

import ast
import functools
from typing import Any

__all__ = ["inline_body"]

_UNSUPPORTED = (ast.Return, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                ast.Global, ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.Await)


class _RangeLoops(ast.NodeTransformer):
    """``for v in range(a, b): body`` as a counting ``while`` loop.

    Numba lowers a ``range`` loop through its iterator protocol (range object,
    ``iternext``, validity flag), which LLVM then reduces to a counter: writing the
    counter directly leaves Numba and LLVM less to do (CUBA's driver compiles about
    0.1 s faster; the machine code of the loops is as fast). The counter is
    incremented before the body, so ``continue`` keeps its meaning, and the loop
    variable takes the same values as in the ``range`` loop (and keeps the last one).
    Counters are named ``<prefix><k>_i``: a prefix followed by a digit, which no
    renamed variable (prefix + identifier) can be.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.count = 0

    def visit_For(self, node: ast.For) -> Any:
        self.generic_visit(node)
        call = node.iter
        if (node.orelse or not isinstance(node.target, ast.Name)
                or not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name)
                or call.func.id != "range" or call.keywords or not 1 <= len(call.args) <= 2
                or any(isinstance(a, ast.Starred) for a in call.args)):
            return node
        low, high = (ast.Constant(0), call.args[0]) if len(call.args) == 1 else call.args
        counter, end = f"{self.prefix}{self.count}_i", f"{self.prefix}{self.count}_end"
        self.count += 1

        load, store = ast.Load(), ast.Store()
        loop = ast.While(
            test=ast.Compare(ast.Name(counter, load), [ast.Lt()], [ast.Name(end, load)]),
            body=[ast.Assign([ast.Name(node.target.id, store)], ast.Name(counter, load)),
                  ast.AugAssign(ast.Name(counter, store), ast.Add(), ast.Constant(1)),
                  *node.body],
            orelse=[])
        statements = [ast.Assign([ast.Name(counter, store)], low),
                      ast.Assign([ast.Name(end, store)], high), loop]
        return [ast.copy_location(ast.fix_missing_locations(s), node) for s in statements]


class _Renamer(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        new = self.names.get(node.id)
        return ast.copy_location(ast.Name(new, node.ctx), node) if new else node


@functools.lru_cache(maxsize=1024)
def inline_body(source: str, arguments: tuple[str, ...], prefix: str
                ) -> tuple[str, ...] | None:
    """The body of a generated function, rewritten to run in the caller's scope.

    Parameters
    ----------
    source
        Source of one function (decorators allowed), as generated for an operation.
    arguments
        The caller's names passed to the function, one per parameter.
    prefix
        Prefix for the function's local variables (e.g. ``'_o3_'``); must not start
        any name the caller uses.

    Returns
    -------
    tuple of str or None
        Lines of code (no indentation) equivalent to calling the function and
        discarding its result, or ``None`` if the function cannot be inlined.
        Results are cached: the same operation is inlined at every run.
    """
    tree = ast.parse(source)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if len(functions) != 1:
        return None
    function = functions[0]
    parameters = [a.arg for a in function.args.args]
    if (len(parameters) != len(arguments) or function.args.vararg or function.args.kwarg
            or function.args.kwonlyargs or not all(a.isidentifier() for a in arguments)):
        return None
    inner = [node for statement in function.body for node in ast.walk(statement)]
    if any(isinstance(node, _UNSUPPORTED) for node in inner):
        return None
    assigned = {node.id for node in inner
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del)}
    names = {name: prefix + name for name in assigned}
    copies = []
    for parameter, argument in zip(parameters, arguments, strict=True):
        if parameter in assigned:  # rebound inside: work on a copy, keep the caller's
            copies.append(f"{prefix}{parameter} = {argument}")
        else:
            names[parameter] = argument
    renamed = _Renamer(names)
    loops = _RangeLoops(prefix)
    statements = [loops.visit(renamed.visit(statement)) for statement in function.body]
    body = [ast.unparse(s) for item in statements
            for s in (item if isinstance(item, list) else [item])]
    return tuple(copies + [line for statement in body for line in statement.splitlines()])
