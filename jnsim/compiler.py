"""Compile generated kernel source with Numba, behind a verified on-disk cache.

Numba's ``cache=True`` only works for functions that live in a real source
file (``exec``'d source has no cache locator), so every kernel module is
written to ``<cache dir>/<hash>.py`` and executed from there; Numba then keeps
its compiled machine code next to it, in ``__pycache__``.

Nothing read from the disk is trusted blindly:

* the name of a kernel file is the SHA-256 of its content, and the content is
  checked against the name before the module is executed; a damaged file is
  rewritten and Numba's cache for it is thrown away;
* after Numba saves compiled code, jnsim records the SHA-256 of each of Numba's
  cache files in a manifest (``<hash>.jnsim-manifest.json``, next to them);
  cache files that do not match their manifest are deleted before Numba reads
  them, so a flipped bit cannot turn into wrong machine code;
* if reading Numba's cache fails anyway (e.g. another process replaced a file
  in between), the failure is turned into a recompile instead of a crash.

The module keeps process-wide counters of kernels compiled, loaded from disk
and reused from memory (:func:`cache_info`).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import types
import uuid
import warnings
from collections import namedtuple
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy
import platformdirs
from numba.core.dispatcher import Dispatcher
from numba.core.errors import NumbaError

from ._version import __version__ as _jnsim_version
from .errors import JnsimError

__all__ = [
    "CacheInfo",
    "Kernel",
    "KernelCompileError",
    "cache_dir",
    "cache_info",
    "clear_memory_cache",
    "compile_kernel",
    "reset_counters",
    "source_hash",
    "warm_numba",
]

_log = logging.getLogger(__name__)

CacheInfo = namedtuple("CacheInfo", "compiled loaded hits")
CacheInfo.__doc__ = """Kernel cache statistics of this process.

Attributes
----------
compiled
    Kernels that Numba compiled in this process.
loaded
    Kernels whose machine code Numba loaded from the disk cache.
hits
    :func:`compile_kernel` calls answered from the in-memory cache.
"""

_ENV_VAR = "JNSIM_CACHE_DIR"
_NUMBA_CACHE_SUFFIXES = (".nbi", ".nbc")
_MANIFEST_SUFFIX = ".jnsim-manifest.json"
_MESSAGE_LINES = 12
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class KernelCompileError(JnsimError):
    """Numba could not compile a kernel that jnsim generated.

    This is a bug in jnsim, not a mistake in the model; the message names the
    kernel, quotes the start of Numba's message and gives the path of the
    generated source file so that it can be read and reported.

    Parameters
    ----------
    message
        The complete explanation.
    hint
        What to do about it.
    function_name
        The kernel that failed.
    path
        The generated source file.
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        function_name: str | None = None,
        path: Path | None = None,
    ):
        self.function_name = function_name
        self.path = path
        super().__init__(message, hint=hint)

    @classmethod
    def from_exception(
        cls, function_name: str, path: Path, exc: BaseException
    ) -> KernelCompileError:
        """Describe ``exc``, raised while compiling ``function_name`` from ``path``."""
        text = _ANSI_ESCAPE.sub("", str(exc))
        lines = [line.rstrip() for line in text.splitlines() if line.strip()]
        if not lines:
            lines = [type(exc).__name__]
        shown = lines[:_MESSAGE_LINES]
        if len(lines) > len(shown):
            shown.append(f"... ({len(lines) - len(shown)} more lines in the chained exception)")
        quoted = "\n".join(f"    {line}" for line in shown)
        message = (
            f"Numba could not compile the generated kernel '{function_name}' "
            f"({type(exc).__name__}):\n{quoted}\n"
            f"  generated source: {path}"
        )
        hint = (
            "this is a bug in jnsim, not in your model; please report it "
            "together with the generated source file"
        )
        return cls(message, hint, function_name=function_name, path=path)


# ----------------------------------------------------------------------------
# Locations and hashes


def cache_dir() -> Path:
    """Return the directory that holds compiled kernels, creating it if needed.

    Returns
    -------
    pathlib.Path
        ``$JNSIM_CACHE_DIR`` when that environment variable is set (read at
        every call), otherwise ``<user cache dir>/jnsim/kernels``.

    Raises
    ------
    OSError
        If the directory cannot be created.
    """
    path = _configured_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _configured_cache_dir() -> Path:
    configured = os.environ.get(_ENV_VAR)
    if configured:
        return Path(os.path.abspath(os.path.expanduser(configured)))
    return Path(platformdirs.user_cache_dir("jnsim")) / "kernels"


def _file_header() -> str:
    python = sys.implementation.name + " " + ".".join(map(str, sys.version_info[:3]))
    return (
        "# Kernel module generated by jnsim; do not edit: the file name is the\n"
        "# SHA-256 of this text, and a file that does not match it is replaced.\n"
        f"# jnsim {_jnsim_version}, numba {numba.__version__}, "
        f"numpy {numpy.__version__}, python {python}\n"
        "\n"
    )


def _file_text(source: str) -> str:
    """The exact text of the kernel file for ``source``."""
    if not source.endswith("\n"):
        source += "\n"
    return _file_header() + source


def source_hash(source: str) -> str:
    """Return the cache key of a kernel source.

    Parameters
    ----------
    source
        The generated module source.

    Returns
    -------
    str
        The SHA-256 hex digest of the kernel file's text: the source preceded
        by a header naming the jnsim, Numba, NumPy and Python versions, so
        that a cache written by other versions is never reused.
    """
    return hashlib.sha256(_file_text(source).encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------------
# A fallback directory when the cache directory cannot be written

_fallback_dir: Path | None = None
_warned_dirs: set[str] = set()


def _probe_writable(path: Path) -> None:
    tempfile.TemporaryFile(dir=path).close()


def _kernel_dir() -> Path:
    """The cache directory, or a per-process temporary one if it cannot be written."""
    global _fallback_dir
    try:
        path = cache_dir()
        _probe_writable(path)
        # Numba keeps its cache in __pycache__ when it can write there (and
        # elsewhere, or nowhere, when it cannot), so require that too.
        pycache = path / "__pycache__"
        pycache.mkdir(exist_ok=True)
        _probe_writable(pycache)
        return path
    except OSError as exc:
        failed = str(_configured_cache_dir())
        if _fallback_dir is None:
            _fallback_dir = Path(tempfile.mkdtemp(prefix="jnsim-kernels-"))
            atexit.register(shutil.rmtree, _fallback_dir, ignore_errors=True)
        if failed not in _warned_dirs:
            _warned_dirs.add(failed)
            warnings.warn(
                f"jnsim cannot write its kernel cache in {failed} ({exc}); compiled "
                f"kernels are kept in {_fallback_dir} for this session only. Set "
                f"{_ENV_VAR} to a writable directory to keep them.",
                RuntimeWarning,
                stacklevel=3,
            )
        return _fallback_dir


# ----------------------------------------------------------------------------
# Numba's cache files and jnsim's manifest of them


def _numba_cache_files(cache_path: Path, digest: str) -> dict[str, Path]:
    """Numba's index and data files for the kernel module ``<digest>.py``."""
    try:
        candidates = list(cache_path.glob(f"{digest}.*"))
    except OSError:
        return {}
    return {p.name: p for p in candidates if p.suffix in _NUMBA_CACHE_SUFFIXES}


def _manifest_path(cache_path: Path, digest: str) -> Path:
    return cache_path / f"{digest}{_MANIFEST_SUFFIX}"


def _discard_numba_cache(cache_path: Path, digest: str) -> None:
    """Delete Numba's cache files for ``<digest>.py`` and their manifest."""
    paths = [*_numba_cache_files(cache_path, digest).values(), _manifest_path(cache_path, digest)]
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            _log.warning("could not delete the Numba cache file %s: %s", path, exc)
    _log.debug("discarded the Numba cache of %s in %s", digest, cache_path)


def _write_manifest(cache_path: Path, digest: str) -> None:
    """Record the SHA-256 of each of Numba's cache files for ``<digest>.py``."""
    files: dict[str, str] = {}
    for name, path in sorted(_numba_cache_files(cache_path, digest).items()):
        try:
            files[name] = sha256_file(path)
        except OSError:
            continue
    data = json.dumps({"format": 1, "files": files}, indent=1, sort_keys=True)
    try:
        _write_atomically(_manifest_path(cache_path, digest), data.encode("utf-8"))
    except OSError as exc:
        _log.warning("could not write the kernel cache manifest in %s: %s", cache_path, exc)


def _numba_cache_is_intact(cache_path: Path, digest: str) -> bool:
    """Whether Numba's files for ``<digest>.py`` are exactly those of the manifest."""
    present = _numba_cache_files(cache_path, digest)
    if not present:
        return True
    try:
        manifest = json.loads(_manifest_path(cache_path, digest).read_text("utf-8"))
        recorded = manifest["files"]
        actual = {name: sha256_file(path) for name, path in present.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return recorded == actual


def _guard_numba_cache(dispatcher: Dispatcher, digest: str) -> None:
    """Make one dispatcher's cache fail safe and keep the manifest up to date.

    Numba raises whatever ``pickle`` raises when a cache file is damaged; here a
    failed load deletes the files and returns "not cached", so Numba compiles
    afresh. A failed save is reported as a warning instead of an exception, and
    a successful one refreshes the manifest.
    """
    cache = getattr(dispatcher, "_cache", None)
    load = getattr(cache, "load_overload", None)
    save = getattr(cache, "save_overload", None)
    cache_path = getattr(cache, "cache_path", None)
    if load is None or save is None or cache_path is None:
        return  # not a file-backed cache (cache=False), or a Numba that works differently
    cache_path = Path(cache_path)

    def load_overload(sig: Any, target_context: Any) -> Any:
        try:
            return load(sig, target_context)
        except Exception as exc:
            _log.warning("unreadable Numba cache for %s (%r); recompiling", cache_path, exc)
            _discard_numba_cache(cache_path, digest)
            return None

    def save_overload(sig: Any, data: Any) -> None:
        try:
            save(sig, data)
        except Exception as exc:
            warnings.warn(
                f"jnsim could not save a compiled kernel in {cache_path} ({exc}); it "
                "will be compiled again in the next session",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        _write_manifest(cache_path, digest)

    cache.load_overload = load_overload
    cache.save_overload = save_overload


# ----------------------------------------------------------------------------
# Kernels and the in-process cache


class Kernel:
    """A compiled kernel function: a Numba dispatcher with its provenance.

    Calling the kernel calls the dispatcher. The first call compiles the
    function or loads it from Numba's disk cache; which of the two happened is
    read from the dispatcher's ``stats`` and counted in :func:`cache_info`.

    Parameters
    ----------
    source
        The generated module source (without jnsim's file header).
    digest
        :func:`source_hash` of ``source``.
    path
        The kernel module file.
    function_name
        Name of the kernel function in the module.
    dispatcher
        The Numba dispatcher of that function.
    """

    __slots__ = ("_dispatcher", "_function_name", "_hash", "_origin", "_path", "_source")

    def __init__(
        self, source: str, digest: str, path: Path, function_name: str, dispatcher: Callable
    ):
        self._source = source
        self._hash = digest
        self._path = path
        self._function_name = function_name
        self._dispatcher = dispatcher
        self._origin: str | None = None

    @property
    def source(self) -> str:
        """The generated module source."""
        return self._source

    @property
    def hash(self) -> str:
        """The cache key, :func:`source_hash` of the source."""
        return self._hash

    @property
    def path(self) -> Path:
        """The kernel module file (to read the code that runs)."""
        return self._path

    @property
    def function_name(self) -> str:
        """Name of the kernel function in the module."""
        return self._function_name

    @property
    def dispatcher(self) -> Callable:
        """The Numba dispatcher that runs the kernel."""
        return self._dispatcher

    @property
    def origin(self) -> str | None:
        """How the first call got machine code: ``"compiled"`` or ``"loaded"`` (from disk).

        ``None`` before a first call succeeded in compiling or loading, and
        ``"python"`` when Numba's JIT is disabled (``NUMBA_DISABLE_JIT=1``).
        """
        return self._origin

    def __call__(self, *args: Any) -> Any:
        """Run the kernel.

        Raises
        ------
        KernelCompileError
            If Numba cannot type or lower the kernel for these arguments.
        """
        if self._origin is None:
            return self._first_call(args)
        try:
            return self._dispatcher(*args)
        except NumbaError as exc:
            raise KernelCompileError.from_exception(self._function_name, self._path, exc) from exc

    def prepare(self, *args: Any) -> float:
        """Compile the kernel for these arguments, or load it from the disk cache,
        without running it.

        Returns
        -------
        float
            Wall seconds spent compiling or loading (0.0 if that was done before,
            or when Numba's JIT is disabled).

        Raises
        ------
        KernelCompileError
            If Numba cannot type or lower the kernel for these arguments.
        """
        if self._origin is not None:
            return 0.0
        typeof = getattr(self._dispatcher, "typeof_pyval", None)
        compile_signature = getattr(self._dispatcher, "compile", None)
        if typeof is None or compile_signature is None:  # NUMBA_DISABLE_JIT
            return 0.0
        started = time.perf_counter()
        try:
            compile_signature(tuple(typeof(a) for a in args))
        except NumbaError as exc:
            raise KernelCompileError.from_exception(self._function_name, self._path, exc) from exc
        finally:
            self._note_origin()
        return time.perf_counter() - started

    def _first_call(self, args: tuple) -> Any:
        try:
            return self._dispatcher(*args)
        except NumbaError as exc:
            raise KernelCompileError.from_exception(self._function_name, self._path, exc) from exc
        finally:
            self._note_origin()

    def _note_origin(self) -> None:
        stats = getattr(self._dispatcher, "stats", None)
        if stats is None:  # NUMBA_DISABLE_JIT: a plain Python function
            self._origin = "python"
            return
        if not getattr(self._dispatcher, "overloads", None):
            return  # nothing compiled or loaded yet (the call failed before)
        misses = sum(stats.cache_misses.values())
        hits = sum(stats.cache_hits.values())
        with _lock:
            if self._origin is not None:
                return
            if misses or not hits:
                self._origin = "compiled"
                _counters["compiled"] += 1
            else:
                self._origin = "loaded"
                _counters["loaded"] += 1

    def __repr__(self) -> str:
        state = self._origin or "not yet called"
        return f"<Kernel {self._function_name!r} {self._hash[:12]} ({state}) at {self._path}>"


_lock = threading.RLock()
_counters = {"compiled": 0, "loaded": 0, "hits": 0}
_kernels: dict[tuple[str, str], Kernel] = {}
_modules: dict[str, types.ModuleType] = {}


def warm_numba() -> None:
    """Set up Numba's typing and lowering registries now, not in the first kernel load.

    Numba does this once per process, the first time it compiles or loads a function
    from its cache: about 0.3-0.4 s (importing its NumPy and linear algebra support),
    while loading a cached kernel itself takes milliseconds. Sweep workers call it as
    they start (:mod:`jnsim.sweeps.preload`), so that their first task does not pay it.
    """
    from numba.core.registry import cpu_target

    cpu_target.typing_context.refresh()
    cpu_target.target_context.refresh()


def cache_info() -> CacheInfo:
    """Return how many kernels this process compiled, loaded and reused.

    Returns
    -------
    CacheInfo
        ``compiled``: compiled by Numba in this process; ``loaded``: machine
        code loaded from the disk cache; ``hits``: :func:`compile_kernel`
        calls answered from memory. A kernel counts as compiled or loaded on
        its first call.
    """
    with _lock:
        return CacheInfo(_counters["compiled"], _counters["loaded"], _counters["hits"])


def reset_counters() -> None:
    """Set the counters of :func:`cache_info` back to zero."""
    with _lock:
        for key in _counters:
            _counters[key] = 0


def clear_memory_cache() -> None:
    """Forget the kernels held in memory; the next request reads the disk cache.

    The counters of :func:`cache_info` are kept (see :func:`reset_counters`).
    """
    with _lock:
        _kernels.clear()
        for module in _modules.values():
            if sys.modules.get(module.__name__) is module:
                del sys.modules[module.__name__]
        _modules.clear()


def _module_name(digest: str) -> str:
    # Deterministic, so that Numba's cached function descriptors (which record
    # the module name) find the module again in a later process.
    return f"_jnsim_kernel_{digest}"


def _load_module(source: str, digest: str, path: Path, function_name: str) -> types.ModuleType:
    """Write (or verify) the kernel file ``path`` and execute it as a module."""
    text = _file_text(source)
    try:
        existing_ok = sha256_file(path) == digest
        repaired = not existing_ok
    except FileNotFoundError:
        existing_ok, repaired = False, False
    except OSError:
        existing_ok, repaired = False, True
    if not existing_ok:
        if repaired:
            _log.warning("kernel file %s does not match its hash; rewriting it", path)
        _write_atomically(path, text.encode("utf-8"))

    name = _module_name(digest)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        # Execute the verified text held in memory, under the file's name (which
        # is what Numba's cache locator needs), rather than re-reading the file.
        exec(compile(text, str(path), "exec"), module.__dict__)
    except Exception as exc:
        if sys.modules.get(name) is module:
            del sys.modules[name]
        raise KernelCompileError.from_exception(function_name, path, exc) from exc

    cache_paths = set()
    for value in list(vars(module).values()):
        if isinstance(value, Dispatcher) and value.py_func.__code__.co_filename == str(path):
            cache_path = getattr(value.stats, "cache_path", None)
            if cache_path is not None:
                cache_paths.add(Path(cache_path))
            _guard_numba_cache(value, digest)
    for cache_path in cache_paths:
        if repaired or not _numba_cache_is_intact(cache_path, digest):
            _discard_numba_cache(cache_path, digest)
    return module


def compile_kernel(source: str, function_name: str) -> Kernel:
    """Compile ``function_name`` from a generated kernel module, through the cache.

    The module is written to ``<cache_dir()>/<source_hash(source)>.py`` (if an
    intact copy is not there already) and executed from that file, so that
    Numba can cache its machine code next to it. Compilation itself happens on
    the kernel's first call, when the argument types are known.

    Parameters
    ----------
    source
        A complete Python module: imports, then ``@numba.njit(cache=True)``
        functions that receive every parameter as an argument.
    function_name
        The function of the module to return.

    Returns
    -------
    Kernel
        The same object for the same source and name within a process.

    Raises
    ------
    KernelCompileError
        If the module cannot be executed or has no Numba function of that
        name (a bug in the code generator).
    """
    digest = source_hash(source)
    key = (digest, function_name)
    with _lock:
        kernel = _kernels.get(key)
        if kernel is not None:
            _counters["hits"] += 1
            return kernel
        module = _modules.get(digest)
        if module is None:
            path = _kernel_dir() / f"{digest}.py"
            module = _load_module(source, digest, path, function_name)
            _modules[digest] = module
        path = Path(module.__file__)
        dispatcher = getattr(module, function_name, None)
        if not callable(dispatcher):
            error = LookupError(f"the generated module defines no function {function_name!r}")
            raise KernelCompileError.from_exception(function_name, path, error)
        kernel = Kernel(source, digest, path, function_name, dispatcher)
        _kernels[key] = kernel
        return kernel
