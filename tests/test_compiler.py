"""Tests of jnsim.compiler: real Numba, real files, fresh processes; no mocks."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import platformdirs
import pytest
from numba.core.errors import NumbaError

from jnsim import compiler
from jnsim._version import __version__ as jnsim_version
from jnsim.compiler import (
    CacheInfo,
    Kernel,
    KernelCompileError,
    cache_dir,
    cache_info,
    clear_memory_cache,
    compile_kernel,
    source_hash,
)
from jnsim.errors import JnsimError

REPO_ROOT = Path(compiler.__file__).resolve().parents[1]

SOURCE = """\
import numba
import numpy as np


@numba.njit(cache=True)
def scaled_sum(x, a):
    total = 0.0
    for i in range(x.shape[0]):
        total += a * x[i]
    return total
"""
# scaled_sum(np.arange(4.0), 2.0) == 2 * (0 + 1 + 2 + 3)
EXPECTED = 12.0

FRESH_PROCESS_SCRIPT = """\
import json, sys
import numpy as np
from jnsim.compiler import cache_info, compile_kernel
kernel = compile_kernel(sys.argv[1], "scaled_sum")
result = kernel(np.arange(4.0), 2.0)
print(json.dumps({"result": result, "info": cache_info()._asdict(), "path": str(kernel.path)}))
"""


@pytest.fixture(autouse=True)
def kernel_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Give each test its own cache directory and fresh counters."""
    directory = tmp_path / "kernels"
    monkeypatch.setenv("JNSIM_CACHE_DIR", str(directory))
    clear_memory_cache()
    compiler.reset_counters()
    yield directory
    clear_memory_cache()
    compiler.reset_counters()


def _fresh_process_command(source: str) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return [sys.executable, "-c", FRESH_PROCESS_SCRIPT, source], env


def run_in_fresh_process(source: str = SOURCE) -> dict:
    """Compile and call ``scaled_sum`` in a new interpreter; return what it reports."""
    command, env = _fresh_process_command(source)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def numba_cache_files(directory: Path, digest: str) -> dict[str, Path]:
    pycache = directory / "__pycache__"
    return {
        p.suffix: p for p in sorted(pycache.glob(f"{digest}.*")) if p.suffix in (".nbi", ".nbc")
    }


# ----------------------------------------------------------------------------
# Locations and hashes (no Numba compilation)


def test_cache_dir_follows_the_environment_variable_at_call_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tmp_path / "one" / "nested"
    monkeypatch.setenv("JNSIM_CACHE_DIR", str(first))
    assert cache_dir() == first
    assert first.is_dir()
    second = tmp_path / "two"
    monkeypatch.setenv("JNSIM_CACHE_DIR", str(second))
    assert cache_dir() == second
    assert second.is_dir()


def test_cache_dir_defaults_to_the_user_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JNSIM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # keep the real one clean
    expected = Path(platformdirs.user_cache_dir("jnsim")) / "kernels"
    assert cache_dir() == expected
    assert expected.is_dir()
    if sys.platform.startswith("linux"):
        assert expected == tmp_path / "xdg" / "jnsim" / "kernels"


def test_source_hash_is_a_stable_sha256_that_depends_on_the_source() -> None:
    digest = source_hash(SOURCE)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert source_hash(SOURCE) == digest
    assert source_hash(SOURCE.replace("a * x[i]", "x[i] * a")) != digest


def test_kernel_file_is_named_by_its_hash_and_names_the_versions(kernel_dir: Path) -> None:
    kernel = compile_kernel(SOURCE, "scaled_sum")  # not called: nothing is compiled yet
    assert kernel.hash == source_hash(SOURCE)
    assert kernel.path == kernel_dir / f"{kernel.hash}.py"
    content = kernel.path.read_bytes()
    assert hashlib.sha256(content).hexdigest() == kernel.hash
    header = content.decode().split("\n\n", 1)[0]
    assert f"jnsim {jnsim_version}" in header
    assert f"numba {numba.__version__}" in header
    assert "python " + ".".join(map(str, sys.version_info[:3])) in header
    assert content.decode().endswith(SOURCE)
    assert kernel.source == SOURCE
    assert kernel.function_name == "scaled_sum"
    assert kernel.origin is None
    assert "scaled_sum" in repr(kernel)
    assert not list(kernel_dir.glob("*.tmp"))  # the atomic write left nothing behind


def test_functions_of_one_module_share_the_file() -> None:
    source = SOURCE + "\n\n@numba.njit(cache=True)\ndef other(x):\n    return x\n"
    first = compile_kernel(source, "scaled_sum")
    second = compile_kernel(source, "other")
    assert first is not second
    assert first.path == second.path
    assert first.dispatcher is not second.dispatcher
    assert compile_kernel(source, "other") is second
    assert cache_info() == CacheInfo(compiled=0, loaded=0, hits=1)


# ----------------------------------------------------------------------------
# Compiling, reusing and loading


def test_compile_hit_fresh_process_load_and_changed_source(kernel_dir: Path) -> None:
    kernel = compile_kernel(SOURCE, "scaled_sum")
    assert isinstance(kernel, Kernel)
    assert cache_info() == CacheInfo(compiled=0, loaded=0, hits=0)
    assert kernel(np.arange(4.0), 2.0) == EXPECTED
    assert kernel.origin == "compiled"
    assert cache_info() == CacheInfo(compiled=1, loaded=0, hits=0)
    assert kernel.dispatcher.stats.cache_path == str(kernel_dir / "__pycache__")

    again = compile_kernel(SOURCE, "scaled_sum")
    assert again is kernel
    assert again(np.arange(4.0), 3.0) == 18.0
    assert cache_info() == CacheInfo(compiled=1, loaded=0, hits=1)

    fresh = run_in_fresh_process()
    assert fresh["info"] == {"compiled": 0, "loaded": 1, "hits": 0}
    assert fresh["result"] == EXPECTED
    assert fresh["path"] == str(kernel.path)

    # Within this process too, forgetting the kernel makes the next request load it.
    clear_memory_cache()
    reloaded = compile_kernel(SOURCE, "scaled_sum")
    assert reloaded is not kernel
    assert reloaded(np.arange(4.0), 2.0) == EXPECTED
    assert reloaded.origin == "loaded"
    assert cache_info() == CacheInfo(compiled=1, loaded=1, hits=1)

    changed = compile_kernel(SOURCE.replace("a * x[i]", "a * x[i] + 1.0"), "scaled_sum")
    assert changed.hash != kernel.hash
    assert changed.path != kernel.path
    assert changed(np.arange(4.0), 2.0) == EXPECTED + 4.0
    assert changed.origin == "compiled"
    assert cache_info() == CacheInfo(compiled=2, loaded=1, hits=1)


def test_two_processes_compiling_the_same_source_at_once() -> None:
    command, env = _fresh_process_command(SOURCE)
    running = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for process in running:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        assert json.loads(stdout.splitlines()[-1])["result"] == EXPECTED
    # Whatever the interleaving was, what is left on disk is usable.
    after = run_in_fresh_process()
    assert after["result"] == EXPECTED
    assert after["info"] == {"compiled": 0, "loaded": 1, "hits": 0}


# ----------------------------------------------------------------------------
# Damaged files


def test_damaged_kernel_file_is_detected_by_its_hash_and_rewritten(kernel_dir: Path) -> None:
    kernel = compile_kernel(SOURCE, "scaled_sum")
    assert kernel(np.arange(4.0), 2.0) == EXPECTED
    intact = kernel.path.read_bytes()
    assert numba_cache_files(kernel_dir, kernel.hash)

    damages = {
        "garbage": b"this is not the kernel\n",
        "truncated": intact[: len(intact) // 2],
        "tampered": intact.replace(b"a * x[i]", b"a * a * x[i]"),
    }
    for number, (damage, content) in enumerate(damages.items(), start=2):
        kernel.path.write_bytes(content)
        clear_memory_cache()
        repaired = compile_kernel(SOURCE, "scaled_sum")
        assert repaired.path.read_bytes() == intact, damage
        # Numba's cache of the damaged file is gone before anything reads it.
        assert not numba_cache_files(kernel_dir, kernel.hash), damage
        assert repaired(np.arange(4.0), 2.0) == EXPECTED, damage
        assert repaired.origin == "compiled", damage
        assert cache_info().compiled == number


def corrupt_truncate_index(files: dict[str, Path]) -> None:
    data = files[".nbi"].read_bytes()
    files[".nbi"].write_bytes(data[: len(data) // 3])


def corrupt_garble_data(files: dict[str, Path]) -> None:
    size = files[".nbc"].stat().st_size
    files[".nbc"].write_bytes(np.random.default_rng(1).bytes(size))


def corrupt_empty_data(files: dict[str, Path]) -> None:
    files[".nbc"].write_bytes(b"")


def corrupt_flip_one_byte(files: dict[str, Path]) -> None:
    # Still a valid pickle: only jnsim's manifest notices this one.
    data = bytearray(files[".nbc"].read_bytes())
    data[len(data) // 2] ^= 0xFF
    files[".nbc"].write_bytes(bytes(data))


@pytest.mark.parametrize(
    "corrupt",
    [corrupt_truncate_index, corrupt_garble_data, corrupt_empty_data, corrupt_flip_one_byte],
    ids=["truncated-index", "garbled-data", "empty-data", "flipped-byte"],
)
def test_damaged_numba_cache_is_recompiled_in_a_fresh_process(kernel_dir: Path, corrupt) -> None:
    kernel = compile_kernel(SOURCE, "scaled_sum")
    assert kernel(np.arange(4.0), 2.0) == EXPECTED
    files = numba_cache_files(kernel_dir, kernel.hash)
    assert set(files) == {".nbi", ".nbc"}
    corrupt(files)

    fresh = run_in_fresh_process()
    assert fresh["info"] == {"compiled": 1, "loaded": 0, "hits": 0}
    assert fresh["result"] == EXPECTED
    # The recompile left a sound cache behind.
    clear_memory_cache()
    reloaded = compile_kernel(SOURCE, "scaled_sum")
    assert reloaded(np.arange(4.0), 2.0) == EXPECTED
    assert reloaded.origin == "loaded"


def test_unreadable_numba_cache_that_passes_the_manifest_still_recompiles(
    kernel_dir: Path,
) -> None:
    # As if another process replaced the files between the check and the load.
    kernel = compile_kernel(SOURCE, "scaled_sum")
    assert kernel(np.arange(4.0), 2.0) == EXPECTED
    files = numba_cache_files(kernel_dir, kernel.hash)
    files[".nbi"].write_bytes(b"\x80\x05garbage")
    manifest = kernel_dir / "__pycache__" / f"{kernel.hash}.jnsim-manifest.json"
    recorded = json.loads(manifest.read_text())
    recorded["files"][files[".nbi"].name] = hashlib.sha256(b"\x80\x05garbage").hexdigest()
    manifest.write_text(json.dumps(recorded))

    clear_memory_cache()
    again = compile_kernel(SOURCE, "scaled_sum")
    assert again(np.arange(4.0), 2.0) == EXPECTED
    assert again.origin == "compiled"
    assert cache_info() == CacheInfo(compiled=2, loaded=0, hits=0)


# ----------------------------------------------------------------------------
# Errors and unusual directories


def test_typing_error_names_the_kernel_and_the_generated_file() -> None:
    source = SOURCE.replace("total += a * x[i]", 'total += a * x[i] + "volt"')
    kernel = compile_kernel(source, "scaled_sum")
    with pytest.raises(KernelCompileError) as caught:
        kernel(np.arange(4.0), 2.0)
    error = caught.value
    assert isinstance(error, JnsimError)
    assert isinstance(error.__cause__, NumbaError)
    message = str(error)
    assert "'scaled_sum'" in message
    assert str(kernel.path) in message
    assert "TypingError" in message
    assert "bug in jnsim" in message
    assert len(message.splitlines()) < 25
    assert error.function_name == "scaled_sum"
    assert error.path == kernel.path
    assert cache_info() == CacheInfo(compiled=0, loaded=0, hits=0)


def test_errors_raised_by_a_running_kernel_are_not_wrapped() -> None:
    source = SOURCE.replace(
        "    total = 0.0\n",
        "    if a < 0.0:\n        raise ValueError('negative')\n    total = 0.0\n",
    )
    kernel = compile_kernel(source, "scaled_sum")
    with pytest.raises(ValueError, match="negative"):
        kernel(np.arange(4.0), -1.0)
    assert kernel.origin == "compiled"  # the failed first call still compiled it
    assert kernel(np.arange(4.0), 2.0) == EXPECTED
    assert cache_info() == CacheInfo(compiled=1, loaded=0, hits=0)


def test_source_that_cannot_be_executed_raises_kernel_compile_error(kernel_dir: Path) -> None:
    source = SOURCE.replace("def scaled_sum(x, a):", "def scaled_sum(x, a)")
    with pytest.raises(KernelCompileError, match="SyntaxError") as caught:
        compile_kernel(source, "scaled_sum")
    assert str(kernel_dir / f"{source_hash(source)}.py") in str(caught.value)


def test_missing_function_raises_kernel_compile_error() -> None:
    with pytest.raises(KernelCompileError, match="no function 'integrate'"):
        compile_kernel(SOURCE, "integrate")


def test_unwritable_cache_dir_falls_back_to_a_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("JNSIM_CACHE_DIR", str(blocker / "kernels"))
    with pytest.warns(RuntimeWarning, match="cannot write its kernel cache"):
        kernel = compile_kernel(SOURCE, "scaled_sum")
    assert tmp_path not in kernel.path.parents
    assert kernel(np.arange(4.0), 2.0) == EXPECTED
    assert kernel.origin == "compiled"
