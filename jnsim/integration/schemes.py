"""The integration schemes, each turning an :class:`ODESystem` into statements.

Every builder assumes that :func:`jnsim.integration.methods.can_integrate`
accepted the system.  ``f`` is the drift, ``g_k`` the coefficient of noise
``k`` and ``dW_k = sqrt(dt) * N_k`` its Brownian increment over a step, where
``N_k`` is the noise symbol ``_randn_<k>``.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy

from .linear import exact_solution, split_conditionally_linear
from .system import DT, TIME, ODESystem, StatementBuilder, StateUpdate, noise_symbol, symbol

__all__ = ["BUILDERS"]

#: Coefficients up to this size are written inline by ``exponential_euler``.
_INLINE_OPS = 6

#: A value (expression) for each state variable.
State = Mapping[str, sympy.Expr]


def _at(expr: sympy.Expr, state: State, time: sympy.Expr) -> sympy.Expr:
    """``expr`` evaluated at another state and time."""
    replacements = {symbol(var): value for var, value in state.items()}
    replacements[TIME] = time
    return expr.xreplace(replacements)


def _stages(
    builder: StatementBuilder, label: str, state: State, time: sympy.Expr
) -> dict[str, sympy.Expr]:
    """Drift of every variable at ``(state, time)``, stored as ``_<label>_<var>``."""
    system = builder.system
    return {
        var: builder.let(f"_{label}_{var}", _at(system.drift[var], state, time))
        for var in system.variables
    }


def _old_state(system: ODESystem) -> dict[str, sympy.Expr]:
    return {var: symbol(var) for var in system.variables}


def _increments(builder: StatementBuilder) -> dict[str, sympy.Expr]:
    """``_dW_<k> = sqrt(dt) * _randn_<k>`` for every noise source."""
    return {
        k: builder.let(f"_dW_{k}", sympy.sqrt(DT) * noise_symbol(k))
        for k in builder.system.noise_names
    }


def euler(system: ODESystem) -> StateUpdate:
    """Forward Euler; Euler-Maruyama for additive noise (strong order 1)."""
    builder = StatementBuilder(system)
    new = {}
    for var in system.variables:
        noise = sum(g * sympy.sqrt(DT) * noise_symbol(k) for k, g in system.diffusion[var].items())
        new[var] = symbol(var) + DT * system.drift[var] + noise
    return builder.finish("euler", new, system.noise_names)


def rk2(system: ODESystem) -> StateUpdate:
    """Explicit midpoint rule (second order)."""
    builder = StatementBuilder(system)
    x = _old_state(system)
    k1 = _stages(builder, "k1", x, TIME)
    mid = {v: x[v] + DT / 2 * k1[v] for v in x}
    k2 = _stages(builder, "k2", mid, TIME + DT / 2)
    return builder.finish("rk2", {v: x[v] + DT * k2[v] for v in x})


def rk4(system: ODESystem) -> StateUpdate:
    """Classical fourth-order Runge-Kutta method."""
    builder = StatementBuilder(system)
    x = _old_state(system)
    k1 = _stages(builder, "k1", x, TIME)
    k2 = _stages(builder, "k2", {v: x[v] + DT / 2 * k1[v] for v in x}, TIME + DT / 2)
    k3 = _stages(builder, "k3", {v: x[v] + DT / 2 * k2[v] for v in x}, TIME + DT / 2)
    k4 = _stages(builder, "k4", {v: x[v] + DT * k3[v] for v in x}, TIME + DT)
    new = {v: x[v] + DT / 6 * (k1[v] + 2 * k2[v] + 2 * k3[v] + k4[v]) for v in x}
    return builder.finish("rk4", new)


def heun(system: ODESystem) -> StateUpdate:
    """Stochastic Heun method (Stratonovich); Heun's second-order method without noise.

    Predictor ``p = x + f(x, t) dt + sum_k g_k(x, t) dW_k``, then
    ``x <- x + (f(x, t) + f(p, t+dt)) dt/2 + sum_k (g_k(x, t) + g_k(p, t+dt)) dW_k/2``.
    """
    builder = StatementBuilder(system)
    x = _old_state(system)
    dw = _increments(builder)
    f1 = _stages(builder, "k1", x, TIME)
    g1 = _noise_terms(builder, "g1", x, TIME)
    predictor = {
        v: builder.let(f"_p_{v}", x[v] + DT * f1[v] + sum(g * dw[k] for k, g in g1[v].items()))
        for v in x
    }
    f2 = _stages(builder, "k2", predictor, TIME + DT)
    g2 = _noise_terms(builder, "g2", predictor, TIME + DT)
    new = {}
    for v in x:
        noise = sum((g + g2[v][k]) / 2 * dw[k] for k, g in g1[v].items())
        new[v] = x[v] + DT / 2 * (f1[v] + f2[v]) + noise
    return builder.finish("heun", new, system.noise_names)


def _noise_terms(
    builder: StatementBuilder, label: str, state: State, time: sympy.Expr
) -> dict[str, dict[str, sympy.Expr]]:
    """Noise coefficients at ``(state, time)``; state-dependent ones become temporaries."""
    system = builder.system
    states = set(system.symbols)
    terms: dict[str, dict[str, sympy.Expr]] = {}
    for var in system.variables:
        terms[var] = {}
        for k, g in system.diffusion[var].items():
            value = _at(g, state, time)
            if g.free_symbols & states:
                value = builder.let(f"_{label}_{var}_{k}", value)
            terms[var][k] = value
    return terms


def milstein(system: ODESystem) -> StateUpdate:
    """Derivative-free Milstein method (Itô, strong order 1).

    For each noise ``k`` whose coefficients depend on the state, a support
    value ``s_k = x + f dt + g_k sqrt(dt)`` replaces the derivative in the
    Milstein term: ``(g_k(s_k) - g_k(x)) (dW_k**2 - dt) / (2 sqrt(dt))``.
    Only the diagonal double integrals ``(dW_k**2 - dt)/2`` appear, which is
    enough when no noise coefficient depends on a variable that another
    noise source drives (``can_integrate`` checks this).
    """
    builder = StatementBuilder(system)
    x = _old_state(system)
    states = set(system.symbols)
    dw = _increments(builder)
    f1 = _stages(builder, "k1", x, TIME)
    g1 = _noise_terms(builder, "g1", x, TIME)
    new = {v: x[v] + DT * f1[v] + sum(g * dw[k] for k, g in g1[v].items()) for v in x}
    for k in system.noise_names:
        coefficients = {v: system.diffusion[v][k] for v in x if k in system.diffusion[v]}
        needed = set().union(*(g.free_symbols & states for g in coefficients.values()))
        if not needed:
            continue
        support = {
            v: builder.let(f"_s_{k}_{v}", x[v] + DT * f1[v] + g1[v].get(k, 0) * sympy.sqrt(DT))
            for v in x
            if symbol(v) in needed
        }
        for v, g in coefficients.items():
            if g.free_symbols & states:
                shifted = builder.let(f"_g2_{v}_{k}", _at(g, support, TIME))
                correction = (shifted - g1[v][k]) * (dw[k] ** 2 - DT) / (2 * sympy.sqrt(DT))
                new[v] += correction
    return builder.finish("milstein", new, system.noise_names)


def exponential_euler(system: ODESystem) -> StateUpdate:
    """Exponential Euler for conditionally linear equations (first order).

    Each ``dx/dt = a x + b``, with ``a`` and ``b`` depending on the other
    variables, ``t``, and on ``x`` only inside functions (Brian's "conditionally
    linear" form, :func:`split_conditionally_linear`), is solved exactly with
    ``a`` and ``b`` frozen over the step: ``x <- -b/a + (x + b/a) exp(a dt)``.
    Where ``a`` is identically zero the update is the Euler step ``x <- x + b dt``.
    No guard is generated for an ``a`` that only becomes zero for particular
    parameter values (that step divides by zero).
    """
    builder = StatementBuilder(system)
    new = {}
    for var in system.variables:
        x = symbol(var)
        split = split_conditionally_linear(system.drift[var], x)
        assert split is not None, "can_integrate should have rejected this system"
        a, b = split
        if a == 0 or (not a.atoms(sympy.Function) and sympy.cancel(a) == 0):
            new[var] = x + DT * b
            continue
        if sympy.count_ops(a) + sympy.count_ops(b) <= _INLINE_OPS:
            ratio = sympy.cancel(b / a)
        else:
            a = builder.let(f"_slope_{var}", a)
            ratio = builder.let(f"_offset_{var}", b) / a
        new[var] = -ratio + (x + ratio) * sympy.exp(a * DT)
    return builder.finish("exponential_euler", new)


def exact(system: ODESystem) -> StateUpdate:
    """Exact update of a linear system with constant coefficients."""
    new, reason = exact_solution(system)
    assert new is not None, reason
    return StatementBuilder(system).finish("exact", new)


BUILDERS = {
    "exact": exact,
    "exponential_euler": exponential_euler,
    "euler": euler,
    "rk2": rk2,
    "rk4": rk4,
    "heun": heun,
    "milstein": milstein,
}
