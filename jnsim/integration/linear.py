"""Linear systems: detection and exact solution.

A system is *linear* when ``dx/dt = A x + b`` with a matrix ``A`` and a vector
``b`` that contain neither state variables nor time.  Its exact update over a
step is ``x <- expm(A dt) x + (integral_0^dt expm(A s) ds) b``, which is the
top part of ``expm(M dt) [x; 1]`` for the augmented matrix ``M = [[A, b],
[0, 0]]``.

``expm(M dt)`` is computed with Putzer's algorithm,
``expm(M t) = sum_k r_{k+1}(t) P_k`` with ``P_k = prod_{j<=k} (M - l_j)``, where
``r_1 = exp(l_1 t)`` and ``r_{k+1}(t) = int_0^t exp(l_{k+1} (t - s)) r_k(s) ds``.
The ``r_k`` are kept as sums of ``c t**p exp(mu t)``, which makes repeated
eigenvalues (``dv/dt = (g - v)/tau, dg/dt = -g/tau``) and singular matrices
(``dv/dt = I/C``) ordinary cases.  Eigenvalues come from the strongly connected
blocks of ``M``, so triangular systems such as CUBA never need a
characteristic polynomial.  Complex eigenvalue pairs become ``exp * cos`` and
``exp * sin`` terms.

The symbolic result is valid for the parameters as symbols: eigenvalues that
are different symbols (``-1/taue``, ``-1/taum``) are treated as different, so
setting ``taue == taum`` numerically divides by zero.  Give equal time
constants the same name to get the confluent formula.

The work is bounded: before each rational simplification the number of terms of
the expanded numerator and denominator is estimated (:func:`expanded_size`), and
a system whose solution needs a bigger one has no usable closed form (the
formula would be slow to derive and slow to evaluate); ``default_method`` then
falls back to the next method.  The bound counts terms, not seconds, so the
same model always gets the same method.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sympy

from .system import DT, TIME, ODESystem

__all__ = [
    "MAX_TERMS",
    "LinearForm",
    "exact_solution",
    "expanded_size",
    "is_linear_system",
    "linear_form",
    "split_affine",
]

#: Eigenvalues bigger than this (in SymPy operations) make the result unreadable.
_MAX_EIGENVALUE_OPS = 40

#: The most terms (numerator plus denominator, expanded) a rational expression may
#: have to be simplified.  Polynomial GCDs grow fast beyond it: the homeostatic STDP
#: weight equation needs one of about 3000 terms (20 s); the exact solutions in the
#: test suite need at most about 110 (milliseconds).
MAX_TERMS = 500


class _TooLarge(Exception):
    """A rational expression has more than :data:`MAX_TERMS` terms (see :func:`_cancel`)."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _terms(expr: sympy.Expr) -> int:
    """An upper bound on the number of terms of ``expand(expr)`` (a polynomial expr)."""
    if expr.is_Add:
        return sum(_terms(a) for a in expr.args)
    if expr.is_Mul:
        return math.prod(_terms(a) for a in expr.args)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        base, power = _terms(expr.base), int(expr.exp)
        return math.comb(base + power - 1, power)  # monomials of degree `power`
    return 1


def expanded_size(expr: sympy.Expr) -> int:
    """An upper bound on the terms of ``expr`` as one expanded fraction.

    This is the size of the polynomials whose greatest common divisor
    ``sympy.cancel`` computes; it is found without expanding anything.

    Examples
    --------
    >>> a, b, c = sympy.symbols("a b c")
    >>> expanded_size((a + b)**2 / (a - c))
    5
    """
    numerator, denominator = expr.as_numer_denom()
    return _terms(numerator) + _terms(denominator)


def _bounded(simplify: Callable[[sympy.Expr], sympy.Expr]) -> Callable[[sympy.Expr], sympy.Expr]:
    """``simplify``, raising :class:`_TooLarge` for expressions over :data:`MAX_TERMS`."""

    def bounded(expr: sympy.Expr) -> sympy.Expr:
        if not isinstance(expr, sympy.Expr) or expr.is_Atom:
            return simplify(expr)
        size = expanded_size(expr)
        if size > MAX_TERMS:
            raise _TooLarge(size)
        return simplify(expr)

    return bounded


_cancel = _bounded(sympy.cancel)
_expand = _bounded(sympy.expand)


def _too_large(error: _TooLarge) -> str:
    return (f"the exact solution is too large to derive (a coefficient with about "
            f"{error.size} terms; the limit is {MAX_TERMS})")


@dataclass(frozen=True)
class LinearForm:
    """``dx/dt = matrix * x + offset`` for the state vector ``x``."""

    matrix: sympy.ImmutableMatrix
    offset: sympy.ImmutableMatrix


def _is_zero(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is identically zero (rational simplification only)."""
    if expr == 0:
        return True
    return _cancel(_expand(expr)) == 0


def _coefficient(f: sympy.Expr, x: sympy.Symbol) -> sympy.Expr:
    """``df/dx``, with cheap simplification of rational expressions."""
    a = sympy.diff(f, x)
    if x in a.free_symbols and not a.atoms(sympy.Function):
        a = _cancel(a)
    return a


def split_affine(f: sympy.Expr, x: sympy.Symbol) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``(a, b)`` with ``f == a*x + b`` and ``a``, ``b`` free of ``x``, or ``None``.

    ``None`` also when ``f`` is too large to simplify (see :data:`MAX_TERMS`).
    """
    try:
        a = _coefficient(f, x)
        if x in a.free_symbols:
            return None
        b = f.xreplace({x: sympy.S.Zero})
        if b.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            b = _cancel(f - a * x)
    except _TooLarge:
        return None
    if x in b.free_symbols:
        return None
    return a, b


def split_conditionally_linear(
    f: sympy.Expr, x: sympy.Symbol
) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``(a, b)`` with ``f == a*x + b`` where ``a`` and ``b`` may depend on ``x`` only
    inside functions (``tanh(x)``, ``exp(x)``), or ``None``.

    This is the "conditionally linear" form Brian 2 accepts for exponential Euler: the
    expanded drift collected by powers of ``x`` has only the terms ``x`` and ``1``.
    Frozen over a step, ``a`` and ``b`` give a first-order scheme like Euler's, exact
    where they are constant.  ``split_affine``'s stricter form is tried first.
    """
    strict = split_affine(f, x)
    if strict is not None:
        return strict
    collected = sympy.collect(sympy.expand(f), x, evaluate=False)
    if not set(collected) <= {x, sympy.S.One}:
        return None
    return collected.get(x, sympy.S.Zero), collected.get(sympy.S.One, sympy.S.Zero)


def linear_form(system: ODESystem) -> tuple[LinearForm | None, str]:
    """Decompose the drift as ``A x + b``.

    Returns
    -------
    form, reason
        The linear form, or ``None`` and a reason such as
        ``"dv/dt is not linear in w"``.  Noise terms are not looked at.
    """
    try:
        return _linear_form(system)
    except _TooLarge as error:
        return None, _too_large(error)


def _linear_form(system: ODESystem) -> tuple[LinearForm | None, str]:
    states = system.symbols
    rows, offsets = [], []
    for var in system.variables:
        f = system.drift[var]
        row = []
        for x in states:
            a = _coefficient(f, x)
            if a.free_symbols & set(states):
                return None, f"d{var}/dt is not linear in {x}"
            if TIME in a.free_symbols:
                return None, f"the coefficient of {x} in d{var}/dt depends on time t"
            row.append(a)
        b = f.xreplace({x: sympy.S.Zero for x in states})
        if b.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            b = _cancel(f - sum(a * x for a, x in zip(row, states, strict=True)))
        if TIME in b.free_symbols:
            return None, f"d{var}/dt depends on time t"
        rows.append(row)
        offsets.append(b)
    return LinearForm(sympy.ImmutableMatrix(rows), sympy.ImmutableMatrix(offsets)), ""


def is_linear_system(system: ODESystem) -> bool:
    """Whether the drift is ``A x + b`` with ``A``, ``b`` free of state variables and ``t``.

    Noise terms are ignored: an Ornstein-Uhlenbeck process is linear, but only
    its deterministic part could be solved exactly.
    """
    return linear_form(system)[0] is not None


def exact_solution(system: ODESystem) -> tuple[dict[str, sympy.Expr] | None, str]:
    """The exact one-step update of a deterministic linear system.

    Returns
    -------
    new_values, reason
        ``{var: expression of the old state}``, or ``None`` and the reason
        why no usable closed form exists.
    """
    if not system.variables:
        return {}, ""
    form, reason = linear_form(system)
    if form is None:
        return None, reason
    states = system.symbols
    values = {}
    # Variables that do not act on each other are solved apart: the exponential of a
    # block-diagonal matrix is block-diagonal, and solving the blocks together would
    # build cross terms between unrelated eigenvalues that only cancel in the end.
    parts = _independent_parts(form.matrix)
    for part in parts:
        if len(parts) == 1:
            matrix, offset = form.matrix, form.offset
        else:
            matrix = sympy.ImmutableMatrix(form.matrix.extract(part, part))
            offset = sympy.ImmutableMatrix(form.offset.extract(part, [0]))
        solved = _solve(matrix, offset, tuple(system.variables[k] for k in part))
        if isinstance(solved, str):
            return None, solved
        part_states = (*(states[k] for k in part), 1)
        for k, terms in zip(part, solved, strict=True):
            values[system.variables[k]] = sympy.Add(
                *(basis * sympy.Add(*(c * x for c, x in zip(coefficients, part_states,
                                                             strict=True)))
                  for basis, coefficients in terms))
    return {var: values[var] for var in system.variables}, ""


def _independent_parts(matrix: sympy.Matrix) -> list[list[int]]:
    """Groups of variables coupled through ``matrix`` in either direction (its weakly
    connected components), each in index order, ordered by their first index."""
    size = matrix.rows
    part_of = list(range(size))

    def root(k: int) -> int:
        while part_of[k] != k:
            part_of[k] = part_of[part_of[k]]
            k = part_of[k]
        return k

    for i in range(size):
        for j in range(size):
            if i != j and matrix[i, j] != 0:
                part_of[root(i)] = root(j)
    parts: dict[int, list[int]] = {}
    for k in range(size):
        parts.setdefault(root(k), []).append(k)
    return sorted(parts.values(), key=lambda part: part[0])


# --- the matrix exponential ----------------------------------------------------------

# A row of the solution: pairs (basis function of dt, coefficients of (x_1..x_n, 1)).
_Row = tuple[tuple[sympy.Expr, tuple[sympy.Expr, ...]], ...]


@functools.lru_cache(maxsize=256)
def _solve(
    matrix: sympy.ImmutableMatrix, offset: sympy.ImmutableMatrix, names: tuple[str, ...]
) -> tuple[_Row, ...] | str:
    """Rows of ``expm(M dt)`` for the augmented matrix, or a reason string."""
    try:
        return _solve_bounded(matrix, offset, names)
    except _TooLarge as error:
        return _too_large(error)


def _solve_bounded(
    matrix: sympy.ImmutableMatrix, offset: sympy.ImmutableMatrix, names: tuple[str, ...]
) -> tuple[_Row, ...] | str:
    n = matrix.rows
    augmented = sympy.zeros(n + 1, n + 1)
    augmented[:n, :n] = matrix
    augmented[:n, n] = offset
    eigenvalues = _eigenvalues(augmented, (*names, "1"))
    if isinstance(eigenvalues, str):
        return eigenvalues
    exp_terms = _putzer(augmented, eigenvalues)
    rows = []
    for i in range(n):
        row = _collect_row(exp_terms, i, n + 1)
        if isinstance(row, str):
            return row
        rows.append(row)
    return tuple(rows)


def _strong_components(matrix: sympy.Matrix) -> list[list[int]]:
    """Index blocks that are mutually coupled, in order of their first index."""
    size = matrix.rows
    reach = [[i == j or matrix[i, j] != 0 for j in range(size)] for i in range(size)]
    for k in range(size):
        for i in range(size):
            if reach[i][k]:
                reach[i] = [r or rk for r, rk in zip(reach[i], reach[k], strict=True)]
    blocks: list[list[int]] = []
    seen: set[int] = set()
    for i in range(size):
        if i not in seen:
            block = [j for j in range(size) if reach[i][j] and reach[j][i]]
            seen.update(block)
            blocks.append(block)
    return blocks


def _unsafe_root(expr: sympy.Expr) -> sympy.Expr | None:
    """A radicand in ``expr`` that is not known to be non-negative, if any."""
    for power in expr.atoms(sympy.Pow):
        exponent = power.exp
        if exponent.is_Rational and not exponent.is_integer and not power.base.is_nonnegative:
            return power.base
    return None


def _eigenvalues(matrix: sympy.Matrix, names: tuple[str, ...]) -> list[sympy.Expr] | str:
    """Eigenvalues with multiplicity, equal ones as identical expressions."""
    found: list[sympy.Expr] = []
    for block in _strong_components(matrix):
        if len(block) == 1:
            found.append(matrix[block[0], block[0]])
            continue
        coupled = ", ".join(names[i] for i in block)
        roots = _roots(matrix.extract(block, block))
        if sum(roots.values()) != len(block) or any(
            r.has(sympy.RootOf) or sympy.count_ops(r) > _MAX_EIGENVALUE_OPS for r in roots
        ):
            return f"the coupled equations for {coupled} have no compact closed-form solution"
        for root, multiplicity in roots.items():
            radicand = _unsafe_root(root)
            if radicand is not None:
                return (
                    f"the exact solution needs the square root of {radicand}, which may be negative"
                )
            found.extend([root] * multiplicity)
    return _canonical(found)


def _roots(block: sympy.Matrix) -> dict[sympy.Expr, int]:
    """The eigenvalues of ``block`` that SymPy finds by factoring its characteristic
    polynomial and the quadratic formula, with multiplicity.

    Cubic and quartic formulas are not tried: their results are never compact
    (see ``_MAX_EIGENVALUE_OPS``) and SymPy can spend minutes deriving them.
    Raises :class:`_TooLarge` for blocks whose characteristic polynomial would be
    too large to compute or factor.
    """
    size = math.prod(1 + sum(expanded_size(e) for e in block.row(i) if e != 0)
                     for i in range(block.rows))
    if size > MAX_TERMS:
        raise _TooLarge(size)
    return sympy.roots(block.charpoly(), cubics=False, quartics=False)


def _canonical(values: Iterable[sympy.Expr]) -> list[sympy.Expr]:
    """Replace values equal to an earlier one by that one; group equal values."""
    representatives: list[sympy.Expr] = []
    counts: dict[sympy.Expr, int] = {}
    for value in values:
        same = next((r for r in representatives if _is_zero(value - r)), None)
        if same is None:
            representatives.append(value)
            same = value
        counts[same] = counts.get(same, 0) + 1
    return [r for r in representatives for _ in range(counts[r])]


# r_k as {(power of t, exponent mu): coefficient}
_Terms = dict[tuple[int, sympy.Expr], sympy.Expr]


def _convolve(terms: _Terms, lam: sympy.Expr) -> _Terms:
    """``int_0^t exp(lam (t - s)) r(s) ds`` for ``r`` given by ``terms``."""
    result: _Terms = {}

    def add(key: tuple[int, sympy.Expr], value: sympy.Expr) -> None:
        result[key] = result.get(key, sympy.S.Zero) + value

    for (p, mu), c in terms.items():
        if mu == lam:
            add((p + 1, lam), c / (p + 1))
            continue
        delta = mu - lam
        for j in range(p + 1):
            add(
                (p - j, mu),
                c * (-1) ** j * math.factorial(p) / math.factorial(p - j) / delta ** (j + 1),
            )
        add((0, lam), -c * (-1) ** p * math.factorial(p) / delta ** (p + 1))
    return {key: _cancel(value) for key, value in result.items()}


def _putzer(
    matrix: sympy.Matrix, eigenvalues: list[sympy.Expr]
) -> dict[tuple[int, sympy.Expr], sympy.Matrix]:
    """``expm(matrix * t)`` as ``{(p, mu): C}`` meaning ``sum C t**p exp(mu t)``."""
    size = matrix.rows
    identity = sympy.eye(size)
    product = identity
    r: _Terms = {(0, eigenvalues[0]): sympy.S.One}
    total: dict[tuple[int, sympy.Expr], sympy.Matrix] = {}
    for k in range(size):
        if k > 0:
            product = (product * (matrix - eigenvalues[k - 1] * identity)).applyfunc(_cancel)
            r = _convolve(r, eigenvalues[k])
        if product.is_zero_matrix:
            break
        for key, c in r.items():
            total[key] = total.get(key, sympy.zeros(size, size)) + c * product
    return total


def _collect_row(
    exp_terms: dict[tuple[int, sympy.Expr], sympy.Matrix], i: int, size: int
) -> _Row | str:
    """Row ``i`` of the exponential as real basis functions of ``dt`` with coefficients."""
    real: dict[sympy.Expr, list[sympy.Expr]] = {}

    def add(basis: sympy.Expr, coefficients: list[sympy.Expr]) -> None:
        acc = real.setdefault(basis, [sympy.S.Zero] * size)
        for j, c in enumerate(coefficients):
            acc[j] += c

    for (p, mu), matrix in exp_terms.items():
        coefficients = [matrix[i, j] for j in range(size)]
        power = DT**p
        omega = sympy.im(mu)
        if _is_zero(omega):
            add(power * sympy.exp(mu * DT), coefficients)
            continue
        alpha = sympy.re(mu)
        if omega.has(sympy.re, sympy.im) or alpha.has(sympy.re, sympy.im):
            return f"cannot separate the eigenvalue {mu} into real and imaginary parts"
        sign = -1 if omega.could_extract_minus_sign() else 1
        growth = power * sympy.exp(alpha * DT)
        parts = [sympy.expand_complex(c).as_real_imag() for c in coefficients]
        add(growth * sympy.cos(sign * omega * DT), [re for re, _ in parts])
        add(growth * sympy.sin(sign * omega * DT), [-sign * im for _, im in parts])
    row = []
    for basis, coefficients in real.items():
        simplified = tuple(sympy.factor(_cancel(c)) for c in coefficients)
        if any(c != 0 for c in simplified):
            row.append((basis, simplified))
    if any(c.has(sympy.re, sympy.im, sympy.I) for _, cs in row for c in cs):
        return "the exact solution could not be written with real numbers only"
    return tuple(row)
