"""The values that go into and come out of the integration stage.

:class:`ODESystem` describes ``dx/dt = f(x, t) + sum_k g_k(x, t) * xi_k`` for a
set of state variables; :class:`StateUpdate` is the ordered list of
assignments that advances the state by one time step ``dt``.  The
:class:`StatementBuilder` helps the individual methods to produce statements
that respect the ordering rules of :class:`StateUpdate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import sympy

__all__ = [
    "DT",
    "TIME",
    "ODESystem",
    "StateUpdate",
    "StatementBuilder",
    "noise_symbol",
    "symbol",
]


def symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol jnsim uses for ``name`` (always ``real=True``)."""
    return sympy.Symbol(name, real=True)


TIME = symbol("t")
DT = symbol("dt")


def noise_symbol(noise: str) -> sympy.Symbol:
    """The symbol standing for one fresh N(0, 1) sample of the noise source ``noise``."""
    return symbol(f"_randn_{noise}")


def _as_real_expr(value: object) -> sympy.Expr:
    """``value`` as a SymPy expression whose symbols all carry ``real=True``."""
    expr = sympy.sympify(value, strict=True)
    wrong = {s: symbol(s.name) for s in expr.atoms(sympy.Symbol) if s != symbol(s.name)}
    return expr.xreplace(wrong) if wrong else expr


@dataclass(frozen=True, repr=False)
class ODESystem:
    """A system of (possibly stochastic) first-order differential equations.

    Each variable ``x`` obeys ``dx/dt = drift[x] + sum_k diffusion[x][k] * k``,
    where ``k`` names a white-noise source (``'xi'``, ``'xi_1'``, ``'xi_inh'``)
    with units of ``second**-0.5``.  A noise name used in several equations is
    the same noise (its increments are shared); noise is independent across
    neurons.

    Parameters
    ----------
    variables
        State variable names, in order.
    drift
        The deterministic part ``f`` of each equation; a missing entry is zero.
    diffusion
        For each variable, the coefficient ``g`` of each noise source; missing
        or empty means no noise.

    Notes
    -----
    Symbols are normalised to ``sympy.Symbol(name, real=True)``; time is ``t``
    and the time step ``dt``.  Every other symbol is a parameter that stays
    constant during a step.
    """

    variables: tuple[str, ...]
    drift: Mapping[str, sympy.Expr]
    diffusion: Mapping[str, Mapping[str, sympy.Expr]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        variables = tuple(self.variables)
        if len(set(variables)) != len(variables):
            raise ValueError(f"duplicate state variables in {variables}")
        _check_keys("drift", self.drift, variables)
        _check_keys("diffusion", self.diffusion, variables)
        drift = {v: _as_real_expr(self.drift.get(v, 0)) for v in variables}
        diffusion = {}
        for var in variables:
            terms = {
                str(noise): _as_real_expr(coefficient)
                for noise, coefficient in self.diffusion.get(var, {}).items()
            }
            terms = {noise: g for noise, g in terms.items() if g != 0}
            diffusion[var] = MappingProxyType(terms)
        object.__setattr__(self, "variables", variables)
        object.__setattr__(self, "drift", MappingProxyType(drift))
        object.__setattr__(self, "diffusion", MappingProxyType(diffusion))

    def __hash__(self) -> int:
        diffusion = tuple(tuple(sorted(self.diffusion[v].items())) for v in self.variables)
        return hash((self.variables, tuple(self.drift.values()), diffusion))

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        """The state variables as SymPy symbols, in order."""
        return tuple(symbol(v) for v in self.variables)

    @property
    def noise_names(self) -> tuple[str, ...]:
        """The noise sources, in order of first appearance."""
        names: dict[str, None] = {}
        for var in self.variables:
            names.update(dict.fromkeys(self.diffusion[var]))
        return tuple(names)

    @property
    def is_stochastic(self) -> bool:
        """Whether any equation has a noise term."""
        return bool(self.noise_names)

    @property
    def has_multiplicative_noise(self) -> bool:
        """Whether a noise coefficient depends on a state variable."""
        states = set(self.symbols)
        return any(
            g.free_symbols & states for var in self.variables for g in self.diffusion[var].values()
        )

    def equation(self, var: str) -> str:
        """The equation of ``var`` as a user would write it."""
        rhs = self.drift[var] + sum(g * symbol(k) for k, g in self.diffusion[var].items())
        return f"d{var}/dt = {sympy.sstr(rhs)}"

    def __str__(self) -> str:
        return "\n".join(self.equation(var) for var in self.variables)

    def __repr__(self) -> str:
        lines = "".join(f"\n    {self.equation(var)}" for var in self.variables)
        return f"ODESystem({', '.join(self.variables)}){lines}"


def _check_keys(what: str, mapping: Mapping[str, object], variables: tuple[str, ...]) -> None:
    unknown = sorted(set(mapping) - set(variables))
    if unknown:
        raise ValueError(f"{what} given for unknown variables {unknown}")


@dataclass(frozen=True, repr=False)
class StateUpdate:
    """Assignments that advance a state by one time step ``dt``.

    Parameters
    ----------
    method
        Canonical name of the integration method.
    statements
        ``(name, expression)`` pairs executed in order, per neuron and per
        step.  Names starting with ``_`` are temporaries; the last statements
        assign the state variables, and no statement reads a state variable
        after it has been reassigned.
    noise_symbols
        Symbols that stand for a fresh standard-normal sample per neuron and
        step, one per noise source (drawn once per step: every occurrence
        within a step means the same sample).  The statements already contain
        the ``sqrt(dt)`` scaling.
    """

    method: str
    statements: tuple[tuple[str, sympy.Expr], ...]
    noise_symbols: tuple[str, ...] = ()

    def __str__(self) -> str:
        return "\n".join(f"{name} = {sympy.sstr(expr)}" for name, expr in self.statements)

    def __repr__(self) -> str:
        noise = f", noise_symbols={self.noise_symbols}" if self.noise_symbols else ""
        body = "".join(f"\n    {line}" for line in str(self).splitlines())
        return f"StateUpdate(method={self.method!r}{noise}){body}"


class StatementBuilder:
    """Collects temporaries and orders the final assignments of a state update.

    Parameters
    ----------
    system
        The system being integrated.
    """

    def __init__(self, system: ODESystem) -> None:
        self.system = system
        self.statements: list[tuple[str, sympy.Expr]] = []

    def let(self, name: str, expr: sympy.Expr) -> sympy.Expr:
        """Store ``expr`` in the temporary ``name`` (atoms are returned as they are)."""
        if not name.startswith("_"):
            raise ValueError(f"temporary {name!r} must start with '_'")
        expr = sympy.sympify(expr)
        if expr.is_Atom:
            return expr
        name = self._unused(name)
        self.statements.append((name, expr))
        return symbol(name)

    def _unused(self, name: str) -> str:
        """``name``, or ``name`` with a numeric suffix if a statement already uses it."""
        taken = {n for n, _ in self.statements} | set(self.system.variables)
        candidate, number = name, 1
        while candidate in taken:
            number += 1
            candidate = f"{name}_{number}"
        return candidate

    def finish(
        self, method: str, new_values: Mapping[str, sympy.Expr], noises: tuple[str, ...] = ()
    ) -> StateUpdate:
        """Append the assignments ``var = new_values[var]`` in a safe order.

        A variable is assigned only after every assignment that reads its old
        value; cycles are broken with ``_<var>_new`` temporaries.  Unchanged
        variables get no assignment.
        """
        pending = [
            v for v in self.system.variables if v in new_values and new_values[v] != symbol(v)
        ]
        reads = {v: {w for w in pending if w != v and _reads(new_values[v], w)} for v in pending}
        direct: list[str] = []
        deferred: list[str] = []
        while pending:
            unread = [v for v in pending if not any(v in reads[w] for w in pending)]
            if unread:
                direct.append(unread[0])
            else:  # a cycle: precompute the value that reads most of the others
                deferred.append(max(pending, key=lambda v: len(reads[v] & set(pending))))
            pending.remove(direct[-1] if unread else deferred[-1])
        temporaries = {var: symbol(self._unused(f"_{var}_new")) for var in deferred}
        self.statements.extend((temporaries[var].name, new_values[var]) for var in deferred)
        self.statements.extend((var, new_values[var]) for var in direct)
        self.statements.extend((var, temporaries[var]) for var in deferred)
        noise_symbols = tuple(noise_symbol(k).name for k in noises)
        return StateUpdate(method, tuple(self.statements), noise_symbols)


def _reads(expr: sympy.Expr, var: str) -> bool:
    return symbol(var) in expr.free_symbols
