"""Generate synaptic connections: conditions, probabilities, explicit lists, generators.

All forms of ``Synapses.connect`` end up here as a :class:`ConnectRequest`
and come back as index arrays ``(i, j)``.  Probabilistic connection with a
constant ``p`` samples candidate pairs by geometric skipping over the
``N_pre x N_post`` grid, so it costs time proportional to the number of
synapses made, not to the number of pairs; a condition is then evaluated on
the candidates only.  Conditions with an expression ``p`` are evaluated in
blocks of pairs.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .equations.expressions import Expression, parse_expression
from .errors import CodeError, JnsimError, SourceSpan
from .evaluate import evaluate, random_generator

__all__ = ["ConnectRequest", "Generator", "generate_connections", "parse_generator"]

_BLOCK_PAIRS = 1 << 20


@dataclass(frozen=True)
class Generator:
    """A parsed generator expression ``j='EXPR for VAR in range(...)/sample(...) if COND'``.

    Attributes
    ----------
    element
        The expression giving the index (uses ``VAR``).
    variable
        The iteration variable.
    kind
        ``'range'`` or ``'sample'``.
    arguments
        The arguments of ``range``/``sample`` (start, stop[, step]); for sample
        also ``p`` or ``size``.
    keyword
        For ``sample``: ``'p'`` or ``'size'``.
    condition
        The ``if`` clause, or ``None``.
    """

    element: Expression
    variable: str
    kind: str
    arguments: tuple[Expression, ...]
    keyword: str | None
    keyword_value: Expression | None
    condition: Expression | None


@dataclass(frozen=True)
class ConnectRequest:
    """Everything one ``connect`` call asks for (after validation)."""

    condition: Expression | None = None
    p: float | Expression = 1.0
    n: int | Expression = 1
    i: np.ndarray | None = None
    j: np.ndarray | None = None
    generator: Generator | None = None
    generator_target: str = "j"  # which index the generator produces
    skip_if_invalid: bool = False


# Values of names for one evaluation: (name) -> scalar or array over candidates.
ValueLookup = Callable[[Expression, np.ndarray, np.ndarray], dict[str, Any]]


def generate_connections(request: ConnectRequest, n_pre: int, n_post: int,
                         values: ValueLookup) -> tuple[np.ndarray, np.ndarray]:
    """The ``(i, j)`` pairs a request asks for, sorted by ``i`` then ``j``.

    Parameters
    ----------
    request
        What to connect.
    n_pre, n_post
        Sizes of the source and target.
    values
        Gives, for an expression and candidate index arrays ``i``, ``j``, the
        values of every name it uses (pre/post variables, externals, ``N_pre``...).
    """
    if request.generator is None and (request.i is not None or request.j is not None):
        i, j = _explicit(request, n_pre, n_post)
    elif request.generator is not None:
        i, j = _from_generator(request, n_pre, n_post, values)
    elif isinstance(request.p, float | int) and not isinstance(request.p, bool):
        i, j = _sampled(request, float(request.p), n_pre, n_post, values)
    else:
        i, j = _blockwise(request, n_pre, n_post, values)
    return _repeat(request, i, j, values)


def _explicit(request: ConnectRequest, n_pre: int, n_post: int
              ) -> tuple[np.ndarray, np.ndarray]:
    if request.i is None or request.j is None:
        raise JnsimError("connect(i=..., j=...) needs both i and j as indices",
                         hint="or give j as a generator string such as j='i'")
    i, j = np.broadcast_arrays(np.asarray(request.i), np.asarray(request.j))
    for name, array, size in (("i", i, n_pre), ("j", j, n_post)):
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise JnsimError(f"connect({name}=...) needs integer indices, not {array.dtype}")
        if array.size and (array.min() < 0 or array.max() >= size):
            raise JnsimError(f"connect({name}=...) has indices outside [0, {size})",
                             hint=f"the {'source' if name == 'i' else 'target'} has {size} "
                                  "neurons")
    return np.ravel(i).astype(np.int64), np.ravel(j).astype(np.int64)


def _sampled(request: ConnectRequest, p: float, n_pre: int, n_post: int,
             values: ValueLookup) -> tuple[np.ndarray, np.ndarray]:
    """Bernoulli(p) over all pairs by geometric skipping, then the condition."""
    if not 0 <= p <= 1:
        raise JnsimError(f"the connection probability must lie in [0, 1], not {p}")
    total = n_pre * n_post
    if p == 0 or total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    positions = np.arange(total, dtype=np.int64) if p == 1 else _bernoulli_positions(p, total)
    i, j = positions // n_post, positions % n_post
    if request.condition is not None:
        keep = np.zeros(len(i), dtype=bool)
        for start in range(0, len(i), _BLOCK_PAIRS):
            block = slice(start, start + _BLOCK_PAIRS)
            keep[block] = _condition(request.condition, i[block], j[block], values)
        i, j = i[keep], j[keep]
    return i, j


def _bernoulli_positions(p: float, total: int) -> np.ndarray:
    """Sorted positions in ``range(total)`` each included with probability ``p``."""
    rng = random_generator()
    chunks = []
    position = -1
    expected = max(16, int(total * p * 1.05) + 16)
    while True:
        gaps = rng.geometric(p, size=expected)
        positions = position + np.cumsum(gaps)
        if positions[-1] >= total:
            chunks.append(positions[positions < total])
            break
        chunks.append(positions)
        position = int(positions[-1])
        expected = max(16, int((total - position) * p * 1.05) + 16)
    return np.concatenate(chunks).astype(np.int64)


def _blockwise(request: ConnectRequest, n_pre: int, n_post: int, values: ValueLookup
               ) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate the condition and an expression ``p`` over all pairs, in blocks of rows."""
    rows = max(1, _BLOCK_PAIRS // max(1, n_post))
    found_i, found_j = [], []
    rng = random_generator()
    for first in range(0, n_pre, rows):
        i = np.repeat(np.arange(first, min(n_pre, first + rows)), n_post)
        j = np.tile(np.arange(n_post), len(i) // n_post if n_post else 0)
        keep = np.ones(len(i), dtype=bool)
        if request.condition is not None:
            keep &= _condition(request.condition, i, j, values)
        if isinstance(request.p, Expression):
            p = np.broadcast_to(evaluate(request.p, values(request.p, i, j), len(i)), i.shape)
            keep &= rng.random(len(i)) < p
        found_i.append(i[keep])
        found_j.append(j[keep])
    return (np.concatenate(found_i) if found_i else np.zeros(0, np.int64),
            np.concatenate(found_j) if found_j else np.zeros(0, np.int64))


def _condition(condition: Expression, i: np.ndarray, j: np.ndarray, values: ValueLookup
               ) -> np.ndarray:
    result = evaluate(condition, values(condition, i, j), len(i))
    return np.broadcast_to(np.asarray(result, dtype=bool), i.shape)


def _repeat(request: ConnectRequest, i: np.ndarray, j: np.ndarray, values: ValueLookup
            ) -> tuple[np.ndarray, np.ndarray]:
    n = request.n
    if isinstance(n, Expression):
        counts = np.broadcast_to(evaluate(n, values(n, i, j), len(i)), i.shape)
    else:
        counts = np.full(len(i), n)
    counts = np.asarray(counts)
    if counts.size and (np.any(counts < 0) or not np.all(np.equal(np.mod(counts, 1), 0))):
        raise JnsimError("the number of synapses per pair (n) must be a whole number >= 0")
    counts = counts.astype(np.int64)
    if np.all(counts == 1):
        return i, j
    return np.repeat(i, counts), np.repeat(j, counts)


# ---------------------------------------------------------------------------
# Generator syntax
# ---------------------------------------------------------------------------

_GENERATOR_HINT = ("write e.g. j='k for k in range(i-2, i+3) if 0 <= k < N_post' or "
                   "j='k for k in sample(N_post, p=0.1)'")


def parse_generator(text: str) -> Generator:
    """Parse ``'EXPR for VAR in range(...)|sample(...) [if COND]'`` (or a plain ``'EXPR'``).

    Raises
    ------
    CodeError
        For anything but that form.
    """
    stripped = text.strip()
    if not re.search(r"\bfor\b", stripped) and stripped.count(" if ") == 1:
        # Brian's short form 'EXPR if COND': one candidate, kept where COND holds
        element, condition = stripped.split(" if ")
        stripped = f"{element} for _k in range(1) if {condition}"
    try:
        tree = ast.parse(f"({stripped})", mode="eval").body
    except SyntaxError:
        tree = None
    if not isinstance(tree, ast.GeneratorExp):
        element = parse_expression(text, error=CodeError)
        return Generator(element, "", "single", (), None, None, None)
    span = SourceSpan.from_offset(text, 0, len(text))
    if len(tree.generators) != 1 or tree.generators[0].is_async:
        raise CodeError("a connection generator has exactly one 'for'", span, _GENERATOR_HINT)
    comprehension = tree.generators[0]
    if not isinstance(comprehension.target, ast.Name):
        raise CodeError("the generator variable must be a single name", span, _GENERATOR_HINT)
    iterator = comprehension.iter
    if not (isinstance(iterator, ast.Call) and isinstance(iterator.func, ast.Name)
            and iterator.func.id in ("range", "sample")):
        raise CodeError("the generator must iterate over range(...) or sample(...)", span,
                        _GENERATOR_HINT)
    if len(comprehension.ifs) > 1:
        raise CodeError("a connection generator has at most one 'if'", span, _GENERATOR_HINT)

    def sub(node: ast.AST) -> Expression:
        code = ast.get_source_segment(f"({stripped})", node) or ast.unparse(node)
        return parse_expression(code, error=CodeError)

    kind = iterator.func.id
    if not 1 <= len(iterator.args) <= 3:
        raise CodeError(f"{kind}() takes one to three positional arguments", span,
                        _GENERATOR_HINT)
    keyword = keyword_value = None
    if kind == "sample":
        if len(iterator.keywords) != 1 or iterator.keywords[0].arg not in ("p", "size"):
            raise CodeError("sample() needs exactly one of p=... or size=...", span,
                            _GENERATOR_HINT)
        keyword = iterator.keywords[0].arg
        keyword_value = sub(iterator.keywords[0].value)
    elif iterator.keywords:
        raise CodeError("range() takes no keyword arguments", span, _GENERATOR_HINT)
    return Generator(
        sub(tree.elt), comprehension.target.id, kind,
        tuple(sub(a) for a in iterator.args), keyword, keyword_value,
        sub(comprehension.ifs[0]) if comprehension.ifs else None)


def _from_generator(request: ConnectRequest, n_pre: int, n_post: int, values: ValueLookup
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised over the outer index, in blocks of at most ``_BLOCK_PAIRS`` candidates.

    As in Brian, the ``if`` clause sees the generated index under its own name (``j``
    for a generator of ``j``) with the values of the group at that index; generated
    indices outside the group are dropped (``skip_if_invalid``) before it is evaluated.
    """
    generator = request.generator
    assert generator is not None
    by_target = request.generator_target
    outer_size, inner_size = (n_pre, n_post) if by_target == "j" else (n_post, n_pre)
    outer_name = "i" if by_target == "j" else "j"
    rng = random_generator()
    outer = np.arange(outer_size, dtype=np.int64)
    starts, lengths, steps = _ranges(generator, outer, outer_name, values)
    fixed_p = _fixed_probability(generator, outer, outer_name, values)
    found_outer, found_inner = [], []
    for rows in _row_blocks(lengths):
        if generator.kind == "sample" and generator.keyword == "size":
            candidates, owner = _sized_sample(generator, outer[rows], starts[rows],
                                              lengths[rows], steps[rows], outer_name,
                                              values, rng)
        else:
            owner, offsets = _flat_candidates(lengths[rows], fixed_p)
            candidates = starts[rows][owner] + offsets * steps[rows][owner]
            owner = outer[rows][owner]
            if generator.kind == "sample" and fixed_p is None:
                assert generator.keyword_value is not None
                p = _vector(generator.keyword_value, owner, outer_name, values, len(owner))
                keep = rng.random(len(owner)) < p
                owner, candidates = owner[keep], candidates[keep]
        inner = _vector(generator.element, owner, outer_name, values, len(owner),
                        {generator.variable: candidates} if generator.variable else None
                        ).astype(np.int64)
        valid = (inner >= 0) & (inner < inner_size)
        if request.skip_if_invalid and not np.all(valid):
            owner, inner, candidates = owner[valid], inner[valid], candidates[valid]
            valid = valid[valid]
        if generator.condition is not None and len(owner):
            # indices outside the group are clipped only to look values up: as in
            # Brian, an invalid index is an error only if the condition accepts it
            safe = np.clip(inner, 0, max(inner_size - 1, 0))
            extra = {generator.variable: candidates} if generator.variable else {}
            i, j = (owner, safe) if by_target == "j" else (safe, owner)
            names = values(generator.condition, i, j)
            names.update({"i": i, "j": j, by_target: inner, **extra})
            keep = np.broadcast_to(np.asarray(evaluate(generator.condition, names, len(owner)),
                                              dtype=bool), owner.shape)
            owner, inner, valid = owner[keep], inner[keep], valid[keep]
        if not np.all(valid):
            bad = int(np.flatnonzero(~valid)[0])
            raise JnsimError(
                f"the generator gives {by_target}={int(inner[bad])} for {outer_name}="
                f"{int(owner[bad])}, outside [0, {inner_size})",
                hint="add a condition such as 'if 0 <= k < N_post', or pass "
                     "skip_if_invalid=True")
        found_outer.append(owner)
        found_inner.append(inner)
    outer_all = np.concatenate(found_outer) if found_outer else np.zeros(0, np.int64)
    inner_all = np.concatenate(found_inner) if found_inner else np.zeros(0, np.int64)
    if request.condition is not None and len(outer_all):
        i, j = (outer_all, inner_all) if by_target == "j" else (inner_all, outer_all)
        keep = _condition(request.condition, i, j, values)
        outer_all, inner_all = outer_all[keep], inner_all[keep]
    if by_target == "j":
        return outer_all, inner_all
    order = np.lexsort((outer_all, inner_all))
    return inner_all[order], outer_all[order]


def _vector(expression: Expression, outer: np.ndarray, outer_name: str, values: ValueLookup,
            size: int, extra: dict[str, Any] | None = None) -> np.ndarray:
    """``expression`` for each entry of ``outer`` (the outer index), as an array."""
    names = values(expression, outer, outer)
    names[outer_name] = outer
    names.update(extra or {})
    return np.broadcast_to(np.asarray(evaluate(expression, names, size)), (size,))


def _ranges(generator: Generator, outer: np.ndarray, outer_name: str, values: ValueLookup
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, number of candidates and step of the ``range``/``sample`` of each outer
    index (Python's ``range`` rules)."""
    size = len(outer)
    if generator.kind == "single":
        return (np.zeros(size, np.int64), np.ones(size, np.int64), np.ones(size, np.int64))
    args = [_vector(a, outer, outer_name, values, size).astype(np.int64)
            for a in generator.arguments]
    if len(args) == 1:
        args = [np.zeros(size, np.int64), args[0]]
    start, stop = args[0], args[1]
    step = args[2] if len(args) > 2 else np.ones(size, np.int64)
    if np.any(step == 0):
        raise JnsimError("range() step must not be zero")
    span = np.where(step > 0, stop - start + step - 1, stop - start + step + 1)
    lengths = np.maximum(0, span // step)
    return start, lengths, step


def _fixed_probability(generator: Generator, outer: np.ndarray, outer_name: str,
                       values: ValueLookup) -> float | None:
    """The ``p`` of ``sample(..., p=...)`` when it is the same for every outer index."""
    if generator.kind != "sample" or generator.keyword != "p" or not len(outer):
        return None
    assert generator.keyword_value is not None
    p = _vector(generator.keyword_value, outer, outer_name, values, len(outer))
    return float(p[0]) if np.all(p == p[0]) else None


def _row_blocks(lengths: np.ndarray) -> list[slice]:
    """Consecutive outer indices with about ``_BLOCK_PAIRS`` candidates in each block."""
    ends = np.cumsum(lengths)
    blocks, first = [], 0
    while first < len(lengths):
        before = ends[first - 1] if first else 0
        last = int(np.searchsorted(ends, before + _BLOCK_PAIRS, side="right"))
        last = max(last, first + 1)
        blocks.append(slice(first, last))
        first = last
    return blocks


def _flat_candidates(lengths: np.ndarray, p: float | None) -> tuple[np.ndarray, np.ndarray]:
    """For every candidate of a block: its row in the block and its position in the row;
    with ``p``, only the candidates kept with probability ``p`` (geometric skipping)."""
    total = int(lengths.sum())
    if p is None or p >= 1:
        positions = np.arange(total, dtype=np.int64)
    elif p <= 0 or total == 0:
        positions = np.zeros(0, np.int64)
    else:
        positions = _bernoulli_positions(p, total)
    ends = np.cumsum(lengths)
    owner = np.searchsorted(ends, positions, side="right")
    offsets = positions - (ends[owner] - lengths[owner]) if len(positions) else positions
    return owner.astype(np.int64), offsets.astype(np.int64)


def _sized_sample(generator: Generator, outer: np.ndarray, starts: np.ndarray,
                  lengths: np.ndarray, steps: np.ndarray, outer_name: str,
                  values: ValueLookup, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``sample(..., size=n)``: ``n`` distinct candidates of each outer index."""
    assert generator.keyword_value is not None
    sizes = _vector(generator.keyword_value, outer, outer_name, values, len(outer)
                    ).astype(np.int64)
    candidates, owners = [], []
    for row in range(len(outer)):
        size, length = int(sizes[row]), int(lengths[row])
        if size > length:
            raise JnsimError(f"sample(size={size}) asks for more than the {length} candidates")
        chosen = np.sort(rng.choice(length, size=size, replace=False))
        candidates.append(starts[row] + chosen * steps[row])
        owners.append(np.full(size, outer[row], np.int64))
    return (np.concatenate(candidates) if candidates else np.zeros(0, np.int64),
            np.concatenate(owners) if owners else np.zeros(0, np.int64))
