"""One ``prange`` region for a neuron group's state update and its threshold.

In a multi-threaded kernel the state update and the threshold of a group each run
as a ``prange`` loop over the same fixed chunks of neurons (:mod:`.parallel`). Every
region costs its threads a start and a join (microseconds each time step), and the
threshold then reads the whole state again. When nothing scheduled between the two
operations touches what the threshold reads or writes, one region can run both: each
chunk is updated, then tested. The threshold of a chunk sees its neurons exactly as
after the whole update (it reads and writes only its own neurons' values of what the
update writes), so the spikes and the state are the same bits as with two regions.

Works on operation bodies after inlining (:func:`jnsim.codegen.inline.inline_body`):
lines at level 0, four spaces per level, variables prefixed per operation.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Mapping, Sequence

from .parallel import _block_end

__all__ = ["fuse_chunk_loops", "fusion_pairs", "stored_names", "used_keys"]

_PRANGE = re.compile(r"^for (\w+) in numba\.prange\((\w+)\):$")
_KEY = re.compile(r"\b[on]\d+__\w+")


def _tree(lines: Sequence[str]) -> ast.Module:
    return ast.parse(textwrap.dedent("\n".join(lines)))


def stored_names(lines: Sequence[str]) -> set[str]:
    """Names of the arrays the lines may write: item assignments (``a[i] = x``,
    ``a[i] += x``), and every name passed to a call (which may write it)."""
    names: set[str] = set()
    for node in ast.walk(_tree(lines)):
        if (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)):
            names.add(node.value.id)
        elif isinstance(node, ast.Call):
            names |= {a.id for a in node.args if isinstance(a, ast.Name)}
    return names


def used_keys(lines: Sequence[str]) -> set[str]:
    """Driver keys (``n0__v``) named in the lines."""
    return set(_KEY.findall("\n".join(lines)))


def _split(lines: Sequence[str]) -> tuple[list[str], str, list[str], list[str]] | None:
    """``(before, header, body, after)`` of lines with exactly one top-level prange loop."""
    headers = [k for k, line in enumerate(lines) if _PRANGE.match(line)]
    if len(headers) != 1:
        return None
    start = headers[0]
    end = _block_end(lines, start)
    return list(lines[:start]), lines[start], list(lines[start + 1:end]), list(lines[end:])


def _chunk_count(before: Sequence[str], count: str) -> str | None:
    """The expression the chunk count ``count`` is computed from."""
    found = [line.split(" = ", 1)[1] for line in before if line.startswith(f"{count} = ")]
    return found[0] if len(found) == 1 else None


def _only_own_elements(body: Sequence[str], element: str, arrays: set[str]) -> bool:
    """Whether every item of ``arrays`` in the prange body is at index ``element``."""
    tree = _tree(body)
    items: set[int] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                and node.value.id in arrays):
            if not (isinstance(node.slice, ast.Name) and node.slice.id == element):
                return False
            items.add(id(node.value))
    # a name of those arrays used other than as an item (passed on) is not element-wise
    return not any(isinstance(n, ast.Name) and n.id in arrays and id(n) not in items
                   for n in ast.walk(tree))


def fuse_chunk_loops(update: Sequence[str], threshold: Sequence[str],
                     update_prefix: str, threshold_prefix: str) -> list[str] | None:
    """The inlined bodies of a state update and a threshold as one prange loop.

    Parameters
    ----------
    update, threshold
        Inlined bodies (level 0) of the multi-threaded variants; each has one prange
        loop over the chunks of the same neurons.
    update_prefix, threshold_prefix
        Their variables' prefixes (``_o0_``): ``<prefix>_idx`` is the element of a loop.

    Returns
    -------
    list of str or None
        The update's lines before its loop, the threshold's lines before its loop, one
        loop whose chunk runs the update's body and then the threshold's (on the same
        chunk), and the threshold's lines after its loop (compacting the spikes);
        ``None`` if the loops do not have this form, do not cover the same chunks, or
        either reads an array the other writes at another element than its own.
    """
    first, second = _split(update), _split(threshold)
    if first is None or second is None or first[3]:
        return None
    before_u, header_u, body_u, _ = first
    before_t, header_t, body_t, after_t = second
    chunk_u, count_u = _PRANGE.match(header_u).groups()  # type: ignore[union-attr]
    chunk_t, count_t = _PRANGE.match(header_t).groups()  # type: ignore[union-attr]
    size_u, size_t = _chunk_count(before_u, count_u), _chunk_count(before_t, count_t)
    if size_u is None or size_u != size_t:
        return None
    written = stored_names(body_u) | stored_names(body_t)
    shared = written & used_keys(body_u) & used_keys(body_t)
    if not (_only_own_elements(body_u, f"{update_prefix}_idx", shared)
            and _only_own_elements(body_t, f"{threshold_prefix}_idx", shared)):
        return None
    if any(re.search(rf"\b{re.escape(name)}\b", line)
           for line in before_t for name in stored_names(body_u)):
        return None  # the threshold's per-step values read what the update writes
    rename = re.compile(rf"\b{re.escape(chunk_t)}\b")
    return [*before_u, *before_t, header_u, *body_u,
            *(rename.sub(chunk_u, line) for line in body_t), *after_t]


def fusion_pairs(names: Sequence[str], owners: Mapping[str, str], slots: Mapping[str, str],
                 every: Mapping[str, int], bodies: Mapping[str, Sequence[str] | None],
                 parallel: Mapping[str, bool]) -> list[tuple[str, str]]:
    """Pairs (state update, threshold) of one group that may run in one region.

    ``names`` are the operations in driver order. A pair qualifies when both have
    multi-threaded variants and inlined bodies, run on the same steps, and every
    operation scheduled between them neither reads nor writes what the threshold
    writes, nor writes what the threshold reads (so the threshold may move up to
    just after the update).
    """
    pairs = []
    for k, name in enumerate(names):
        if not (slots[name] == "groups" and name.endswith("_state_update")
                and parallel[name] and bodies[name] is not None):
            continue
        owner = owners[name]
        later = [m for m in names[k + 1:]
                 if owners[m] == owner and slots[m] == "thresholds"
                 and m.endswith("_threshold")]
        if not later:
            continue
        threshold = later[0]
        body = bodies[threshold]
        if not parallel[threshold] or body is None or every[threshold] != every[name]:
            continue
        between = names[k + 1:names.index(threshold)]
        writes, reads = stored_names(body), used_keys(body)
        if all(_independent(bodies[m], writes, reads) for m in between):
            pairs.append((name, threshold))
    return pairs


def _independent(lines: Sequence[str] | None, writes: set[str], reads: set[str]) -> bool:
    if lines is None:  # called, not inlined: its arrays are not known here
        return False
    return not (used_keys(lines) & writes) and not (stored_names(lines) & reads)
