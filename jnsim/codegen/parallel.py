"""Multi-threaded variants of generated element loops.

A serial operation's lines are rewritten into a variant whose work is spread over
threads with ``numba.prange``, such that the results do not depend on the number of
threads:

* **element loops** (a neuron group's state update): the elements are split into
  fixed chunks of :data:`CHUNK` elements, independent of the number of threads, and
  each chunk runs the serial loop over its elements. Every element is computed by
  the same code whichever thread runs it.
* **threshold**: each chunk records its spiking neurons in its own stretch of the
  spike buffer (a chunk never has more spikes than neurons), and a serial pass then
  moves the chunks' spikes together, in chunk order: spikes come out in neuron
  order, as in the serial loop.
* **synaptic propagation**: the target neurons are split into one range per thread;
  each thread walks over every spike and synapse in the serial order and applies
  those whose target is in its range. No two threads write one target, and each
  target receives its additions in the serial order (the same float sums).
* **random numbers** in these loops come from a counter-based generator keyed by
  (a per-step key, the call site, the element), not from a stream: the numbers do
  not depend on which thread draws them, or when. The per-step key is drawn from
  the kernels' stream once per step, so consecutive runs, ``restore()`` and
  ``seed()`` behave as with the serial kernel (the numbers themselves differ from
  the serial kernel's).

Each rewrite is a pure function on lines of source (four spaces per level).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Mapping, Sequence

__all__ = ["CHUNK", "MIN_EVENTS", "PARALLEL_NJIT_OPTIONS", "RANDOM_HELPERS", "chunked_element_loop",
           "keyed_random", "loop_is_element_wise", "parallel_pathway", "parallel_threshold",
           "prange_pointers"]

#: Elements per chunk of a multi-threaded element loop (a multiple of any SIMD width).
CHUNK = 1024

#: Steps of a pathway with fewer synaptic events than this run on one thread (read when
#: a network runs). Measured on CUBA 64k with 2 threads (``benchmarks/threads.py``):
#: kernel 0.222 s at 4096 (its excitatory pathway, about 2300 events a step, then ran on
#: one thread), 0.201-0.205 s at 1024, 512 and 128.
MIN_EVENTS = 1024

#: Numba's parallel options for multi-threaded kernels: explicit ``prange`` loops only
#: (no automatic parallelisation of array expressions, which could change results).
PARALLEL = ("{'comprehension': False, 'reduction': False, 'inplace_binop': False, "
            "'setitem': False, 'numpy': False, 'stencil': False, 'fusion': False, "
            "'prange': True}")
PARALLEL_NJIT_OPTIONS = f"parallel={PARALLEL}"

#: Placeholder for the number of the operation in the kernel, which keys its random
#: numbers (replaced when the kernel is assembled).
SITE_PLACEHOLDER = "_RANDOM_SITE_"

_RANDOM_CALL = re.compile(r"\b_rand(n?)\(_rng\)")

#: Counter-based random numbers: SplitMix64's finaliser applied to (key, site, element).
RANDOM_HELPERS: dict[str, str] = {
    "_mix64": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _mix64(z):\n"
        "    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)\n"
        "    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)\n"
        "    return z ^ (z >> np.uint64(31))\n"
    ),
    "_rand_key": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _rand_key(s):\n"
        "    return _mix64(np.uint64(_rand(s) * 9007199254740992.0))\n"
    ),
    "_rand_at": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _rand_at(key, site, element):\n"
        "    z = _mix64(key + np.uint64(site) * np.uint64(0x9E3779B97F4A7C15))\n"
        "    z = _mix64(z ^ (np.uint64(element) * np.uint64(0xD1B54A32D192ED03)))\n"
        "    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)\n"
    ),
    "_randn_at": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _randn_at(key, site, element):\n"
        "    u = 1.0 - _rand_at(key, site, element)\n"
        "    return math.sqrt(-2.0 * math.log(u)) * math.cos(\n"
        "        6.283185307179586 * _rand_at(key, site + 1, element))\n"
    ),
}


def _indent(line: str) -> int:
    return (len(line) - len(line.lstrip(" "))) // 4


def _shift(lines: Sequence[str], levels: int) -> list[str]:
    return ["    " * levels + line if line.strip() else line for line in lines]


def _block_end(lines: Sequence[str], header: int) -> int:
    """Index of the first line after the block opened at ``lines[header]``."""
    level = _indent(lines[header])
    end = header + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > level):
        end += 1
    return end


def keyed_random(lines: Sequence[str], element: str = "_idx") -> tuple[list[str], bool]:
    """Random draws from the stream replaced by counter-based draws for ``element``.

    Each call site gets its own numbers (a randn takes two): ``_rand(_rng)`` becomes
    ``_rand_at(_rkey, site, element)``.

    Returns
    -------
    tuple
        The lines, and whether any draw was replaced.
    """
    counter = [0]

    def replace(match: re.Match[str]) -> str:
        site = counter[0]
        counter[0] += 2 if match.group(1) else 1
        name = "_randn_at" if match.group(1) else "_rand_at"
        return f"{name}(_rkey, {SITE_PLACEHOLDER} + {site}, {element})"

    result = [_RANDOM_CALL.sub(replace, line) for line in lines]
    return result, counter[0] > 0


def _chunk_header(size: str) -> list[str]:
    """Lines (at level 1) opening a prange loop over the fixed chunks of ``size`` elements."""
    return [f"    _nchunks = ({size} + {CHUNK - 1}) // {CHUNK}",
            "    for _c in numba.prange(_nchunks):",
            f"        _lo = _c * {CHUNK}",
            f"        _hi = _lo + {CHUNK}",
            f"        if _hi > {size}:",
            f"            _hi = {size}"]


def chunked_element_loop(lines: Sequence[str], header: str = "    for _idx in range(N):",
                         private: Sequence[str] = ("    _nonfinite = False",),
                         ) -> list[str] | None:
    """An element loop split into fixed chunks run in parallel.

    Parameters
    ----------
    lines
        The serial function's body: lines before the loop, the loop ``header``, its
        body, and lines after it (which run once per chunk in the variant: they
        may only read what the chunk computed, like the NaN check).
    header
        The loop's first line.
    private
        Lines before the loop that initialise per-chunk values (moved into the chunk).

    Returns
    -------
    list of str or None
        The variant's lines (random draws in the loop keyed by element, see
        :func:`keyed_random`); ``None`` if there is no such loop, or the lines after it
        draw random numbers.
    """
    if header not in lines:
        return None
    start = lines.index(header)
    end = _block_end(lines, start)
    before = [line for line in lines[:start] if line not in private]
    inits = [line for line in lines[:start] if line in private]
    body, after = keyed_random(lines[start + 1:end])[0], list(lines[end:])
    if any("_rng)" in line for line in after):
        return None
    size = header.split("range(")[1].rstrip("):")
    loop = [header.replace(f"range({size})", "range(_lo, _hi)")]
    return (before + _chunk_header(size) + _shift(inits, 1) + _shift(loop + body, 1)
            + _shift(after, 1))


def parallel_threshold(lines: Sequence[str]) -> list[str] | None:
    """The variant of a threshold (``_detection``): chunks in parallel, then compaction.

    Each chunk writes its spikes from its own first neuron on (``_spikes[_lo + k]``)
    and its count in ``_counts``; the serial pass moves them down in chunk order
    (never over spikes not yet moved, since every chunk starts at or after where its
    spikes go).
    """
    header = "    for _idx in range(N):"
    if (header not in lines or "    _n = 0" not in lines
            or "    _nspikes[0] = _n" not in lines):
        return None
    start = lines.index(header)
    end = _block_end(lines, start)
    before = [line for line in lines[:start] if line != "    _n = 0"]
    body = [line.replace("_spikes[_n] = _idx", "_spikes[_m] = _idx")
            .replace("_n += 1", "_m += 1") for line in keyed_random(lines[start + 1:end])[0]]
    if list(lines[end:]) != ["    _nspikes[0] = _n"]:
        return None
    return (before + _chunk_header("N")[:1]
            + ["    _counts = np.empty(_nchunks, np.int64)"] + _chunk_header("N")[1:]
            + ["        _m = _lo", "        for _idx in range(_lo, _hi):"]
            + _shift(body, 1)
            + ["        _counts[_c] = _m - _lo",
               "    _n = 0",
               "    for _c in range(_nchunks):",
               f"        _first = _c * {CHUNK}",
               "        for _k in range(_counts[_c]):",
               "            _spikes[_n] = _spikes[_first + _k]",
               "            _n += 1",
               "    _nspikes[0] = _n"])


def _sorted_targets_loop(loop: Sequence[str], synapse: int, post: int) -> list[str] | None:
    """The spike loop of one thread when each row's synapses are sorted by target.

    A binary search per spike finds the row's first synapse whose target is at or
    after the thread's range (``_tlo``); the walk stops at the first target past it
    (``_thi``). Each thread thus visits only its own synapses, in the serial order.
    ``None`` if the loop is not the plain walk over a row.
    """
    row = "for _s in range(_ptr[_source], _ptr[_source + 1]):"
    if len(loop) < 3 or loop[2].strip() != row or _indent(loop[2]) != 2:
        return None
    first = loop[synapse].split(" = ", 1)[1]
    target = loop[post].split(" = ", 1)[1]
    middle = re.sub(r"\b_s\b", "_mid", first)
    probe = re.sub(r"\b_idx\b", f"({middle})", target)
    level = _indent(loop[post])
    return [*loop[:2],
            "        _first = _ptr[_source]",
            "        _past_last = _ptr[_source + 1]",
            "        while _first < _past_last:",
            "            _mid = (_first + _past_last) // 2",
            f"            if {probe} < _tlo:",
            "                _first = _mid + 1",
            "            else:",
            "                _past_last = _mid",
            "        for _s in range(_first, _ptr[_source + 1]):",
            *loop[3:post + 1],
            "    " * level + "if _post >= _thi:",
            "    " * (level + 1) + "break",
            *loop[post + 1:]]


def parallel_pathway(lines: Sequence[str]) -> list[str] | None:
    """The variant of a synaptic pathway with one delay: one target range per thread.

    The loop ``for _k in range(_ring_count[_past]):`` over the spikes of ``delay``
    steps ago runs in every thread, which applies only the synapses whose target
    (``_post``) is in its range. When every row's synapses are sorted by target
    (``_tsorted``, an argument computed with the pathway's layout), a thread finds its
    first synapse in each row by binary search and stops after its last one; otherwise
    it walks the whole row and tests each target. ``_post`` must be computed right
    after ``_idx``. ``_threads``, the number of ranges, is an argument of the kernel
    (Numba's ``get_num_threads()`` in compiled code would keep the kernel out of the
    disk cache). Random draws in the loop are keyed by synapse (each synapse is
    reached at most once per step). Steps with fewer than ``_min_events`` synaptic
    events (an argument of the kernel, :data:`MIN_EVENTS`) run the loop on the calling
    thread alone (the same additions in the same order, so the same results): waking
    the other threads would cost more.
    """
    header = "    for _k in range(_ring_count[_past]):"
    if header not in lines:
        return None
    start = lines.index(header)
    end = _block_end(lines, start)
    if end != len(lines):
        return None
    loop = keyed_random(lines[start:end])[0]
    synapse = next((k for k, line in enumerate(loop) if line.strip().startswith("_idx = ")),
                   None)
    if synapse is None:
        return None
    post = next((k for k, line in enumerate(loop) if line.strip().startswith("_post = ")), None)
    if post is None:  # the serial code does not need the target: compute it here
        post = synapse + 1
        loop.insert(post, "    " * _indent(loop[synapse]) + "_post = _syn_j[_idx] + _tgt_start")
    if any(not line.strip().startswith("_pre = ") for line in loop[synapse + 1:post]):
        return None  # only index lines come before the test of the target
    level = _indent(loop[post])
    guarded = [*loop[:post + 1], "    " * level + "if _post >= _tlo and _post < _thi:",
               *_shift(loop[post + 1:], 1)]
    by_target = _sorted_targets_loop(loop, synapse, post)
    split = (_shift(guarded, 2) if by_target is None else
             ["            if _tsorted:", *_shift(by_target, 3), "            else:",
              *_shift(guarded, 3)])
    return [*lines[:start],
            "    _events = 0",
            "    for _k in range(_ring_count[_past]):",
            "        _source = _ring[_past, _k]",
            "        _events += _ptr[_source + 1] - _ptr[_source]",
            "    if _events < _min_events:",
            *_shift(loop, 1),
            "    else:",
            "        _targets = _tgt_stop - _tgt_start",
            "        for _c in numba.prange(_threads):",
            "            _tlo = _tgt_start + _c * _targets // _threads",
            "            _thi = _tgt_start + (_c + 1) * _targets // _threads",
            *split]


def loop_is_element_wise(lines: Sequence[str], header: str, parameters: Mapping[str, str],
                         owned: Sequence[str] = ("_idx",), exempt: Sequence[str] = ()) -> bool:
    """Whether the loop opened by ``header`` may be split over threads by element.

    It may if every array it writes is written and read only at an element the
    iteration owns (an index in ``owned``, e.g. ``_idx``), so that no two iterations
    touch one written value, and it draws no numbers from Numba's own generator
    (``np.random``, which is per thread). Arrays are compared by the driver key
    they are bound to (``parameters``: local name -> key), so two names of one array
    (``ge_pre`` and ``ge_post`` of a group connected to itself) count as one.
    Arrays in ``exempt`` are written by the rewrite's own rules (the spike buffer).

    Returns
    -------
    bool
        ``False`` also when there is no such loop.
    """
    if header not in lines:
        return False
    start = lines.index(header)
    block = lines[start:_block_end(lines, start)]
    level = _indent(header)
    tree = ast.parse("\n".join(line[4 * level:] for line in block))
    accesses: dict[str, set[str]] = {}
    stored: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and ast.unparse(node).startswith("np.random"):
            return False
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)):
            continue
        if node.value.id in exempt:
            continue
        key = parameters.get(node.value.id, node.value.id)
        accesses.setdefault(key, set()).add(ast.unparse(node.slice))
        if isinstance(node.ctx, ast.Store):
            stored.add(key)
    return all(len(accesses[key]) == 1 and accesses[key] <= set(owned) for key in stored)


_PRANGE = re.compile(r"^\s*for \w+ in numba\.prange\(")


def prange_pointers(source: str, candidates: Mapping[str, tuple[str, int]]
                    ) -> tuple[str, set[str]]:
    """Arrays indexed inside ``prange`` bodies read through pointers made in the body.

    Numba compiles a ``prange`` body into a function that takes its arrays with any
    layout (strides unknown), which keeps LLVM from vectorising the body's loops: the
    state update of CUBA ran 1.8x slower on one thread than the same loop in the
    serial kernel. A pointer made from the array's address inside the body
    (``_pointer_float64(v.ctypes.data)``) has no strides, as in the serial kernel,
    which passes such arrays as pointers (:mod:`jnsim.codegen.pointers`). Only
    one-dimensional arrays in ``candidates`` (contiguous and writeable: of a pointer
    dtype, or ``'bool'``) that the body uses with plain indices only (``v[i]``,
    ``v[i] = x``) are rewritten. A boolean array is read through a byte pointer (Numba
    stores a ``bool`` in a byte, 0 or 1): a read ``b[i]`` becomes ``(b__t[i] != 0)``,
    a bool again, and a bool stored into a byte is 0 or 1.

    Returns
    -------
    tuple
        The source, and the dtypes of the pointers it makes (for the import line).
    """
    relevant = tuple(sorted((k, v) for k, v in candidates.items() if k in source))
    text, dtypes = _prange_pointers(source, relevant)
    return text, set(dtypes)


@functools.lru_cache(maxsize=64)
def _prange_pointers(source: str, kinds: tuple[tuple[str, tuple[str, int]], ...]
                     ) -> tuple[str, frozenset[str]]:
    """:func:`prange_pointers`, cached: a network generates the same driver at each run."""
    from .pointers import _plain_index

    candidates = dict(kinds)
    lines = source.split("\n")
    dtypes: set[str] = set()
    k = 0
    while k < len(lines):
        if not _PRANGE.match(lines[k]):
            k += 1
            continue
        end = _block_end(lines, k)
        level = _indent(lines[k])
        width = 4 * (level + 1)
        body = [line[width:] for line in lines[k + 1:end]]
        tree = ast.parse("\n".join(body))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        plain: set[str] = set()
        other: set[str] = set()
        bool_reads: list[ast.Subscript] = []
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Name) and node.id in candidates
                    and candidates[node.id][1] == 1):
                continue
            parent = parents.get(node)
            if (isinstance(parent, ast.Subscript) and parent.value is node
                    and _plain_index(parent.slice) and parent.lineno == parent.end_lineno):
                plain.add(node.id)
                if candidates[node.id][0] == "bool" and isinstance(parent.ctx, ast.Load):
                    bool_reads.append(parent)
            else:
                other.add(node.id)
        names = sorted(plain - other)
        if not names:
            k = end
            continue
        for read in sorted((r for r in bool_reads if r.value.id in names),
                           key=lambda r: (r.lineno, r.col_offset), reverse=True):
            text = body[read.lineno - 1]
            body[read.lineno - 1] = (text[:read.col_offset] + "("
                                     + text[read.col_offset:read.end_col_offset] + " != 0)"
                                     + text[read.end_col_offset:])
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
        made = []
        for name in names:
            dtype = "uint8" if candidates[name][0] == "bool" else candidates[name][0]
            dtypes.add(dtype)
            made.append(f"{name}__t = _pointer_{dtype}({name}.ctypes.data)")
        body = made + [pattern.sub(r"\1__t", line) for line in body]
        lines[k + 1:end] = [" " * width + line if line.strip() else line for line in body]
        k = end + len(made)
    return "\n".join(lines), frozenset(dtypes)
