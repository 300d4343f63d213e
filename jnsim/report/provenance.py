"""Where and how a report was made: machine, software, script, git state, date.

:func:`collect_provenance` reads these facts once, when a report is gathered; they
change from run to run (dates, paths, versions) and so stay out of the hashes.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["PACKAGES", "Provenance", "collect_provenance", "git_state", "package_versions"]

#: The packages whose versions a report gives, after jnsim and Python.
PACKAGES = ("numpy", "numba", "sympy", "pint")


@dataclass(frozen=True)
class Provenance:
    """The circumstances of a report (all plain text).

    Attributes
    ----------
    date
        When the facts were gathered (ISO 8601, UTC).
    os, cpu, python
        ``platform.platform()``; the processor's model name and core count; the
        Python implementation and version.
    versions
        ``(package, version)`` for jnsim, Python and :data:`PACKAGES`.
    source
        The script (its path), the notebook (``notebook: path``) or ``interactive``.
    command
        The command line of the process.
    git_commit, git_dirty
        The commit of the git repository holding the source (``None`` outside a
        repository) and whether tracked files differ from it.
    """

    date: str
    os: str
    cpu: str
    python: str
    versions: tuple[tuple[str, str], ...]
    source: str
    command: str
    git_commit: str | None
    git_dirty: bool | None


def package_versions() -> tuple[tuple[str, str], ...]:
    """``(name, version)`` of jnsim, Python and the packages it builds on."""
    from .._version import __version__

    result = [("jnsim", __version__), ("Python", platform.python_version())]
    for package in PACKAGES:
        try:
            result.append((package, importlib.metadata.version(package)))
        except importlib.metadata.PackageNotFoundError:
            result.append((package, "not installed"))
    return tuple(result)


def _cpu() -> str:
    name = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    name = name or platform.processor() or platform.machine() or "unknown"
    return f"{name}, {os.cpu_count() or '?'} logical cores"


def _source(namespace: Mapping[str, Any] | None) -> tuple[str, Path | None]:
    """What ran the code: ``(description, directory for git)``."""
    namespace = namespace or {}
    notebook = namespace.get("__session__") or os.environ.get("JPY_SESSION_NAME")
    if isinstance(notebook, str) and notebook.endswith(".ipynb"):
        return f"notebook: {notebook}", Path(notebook).resolve().parent
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if script:
        path = Path(script).resolve()
        return str(path), path.parent
    return "interactive", Path.cwd()


def git_state(directory: Path | None) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the git repository holding ``directory``, or ``(None, None)``.

    Dirty means tracked files differ from the commit (untracked files do not count).
    """
    if directory is None or not directory.is_dir():
        return None, None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory,
                                capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return None, None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=directory, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None, None
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return commit.stdout.strip(), dirty


def collect_provenance(namespace: Mapping[str, Any] | None = None,
                       date: datetime.datetime | None = None) -> Provenance:
    """The provenance of a report made now, from code run in ``namespace``."""
    source, directory = _source(namespace)
    commit, dirty = git_state(directory)
    when = (date or datetime.datetime.now(datetime.UTC)).replace(microsecond=0)
    argv = getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv]
    return Provenance(
        date=when.isoformat(), os=platform.platform(), cpu=_cpu(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        versions=package_versions(), source=source, command=shlex.join(argv),
        git_commit=commit, git_dirty=dirty)
