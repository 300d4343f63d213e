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

__all__ = ["inline_body"]

_UNSUPPORTED = (ast.Return, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                ast.Global, ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.Await)


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
    body = [ast.unparse(renamed.visit(statement)) for statement in function.body]
    return tuple(copies + [line for statement in body for line in statement.splitlines()])
