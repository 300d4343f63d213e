"""A Brian 2 script runs under jnsim by changing its import: what it takes besides models.

The script below is written the way Brian's documentation and examples write scripts:
NumPy functions without importing NumPy, code-generation settings, a standalone device.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings

import pytest

import jnsim
from jnsim import BrianSettingIgnored

BRIAN_STYLE_SCRIPT = textwrap.dedent("""
    from jnsim import *

    prefs.codegen.target = 'cython'
    prefs['codegen.cpp.extra_compile_args'] = ['-O3']
    set_device('cpp_standalone', build_on_run=False)

    taus = linspace(5, 15, 5) * ms
    G = NeuronGroup(5, 'dv/dt = (1.5 - v)/tau : 1\\ntau : second', threshold='v > 1',
                    reset='v = 0', method='exact')
    G.tau = taus
    spikes = SpikeMonitor(G)
    run(100*ms)
    device.build(directory=None)
    expected = floor(100 / (taus / ms * log(3) + 0.1))  # a period, detected a step late
    print(np.abs(spikes.count[:] - expected).max() <= 1, mean(spikes.count[:]) > 0,
          max(3, 5))
""")


def test_a_brian_style_script_runs_and_is_told_what_is_ignored(tmp_path):
    script = tmp_path / "brian_style.py"
    script.write_text(BRIAN_STYLE_SCRIPT)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "5"]
    for setting in ("prefs.codegen.target", "prefs.codegen.cpp.extra_compile_args",
                    "set_device('cpp_standalone')", "device.build()"):
        assert f"{setting} has no effect in jnsim" in result.stderr
        assert result.stderr.count(f"{setting} has no effect") == 1
    # each warning points at the script's own line
    assert f"{script}:4: BrianSettingIgnored" in result.stderr


def test_star_import_gives_numpy_but_keeps_python_builtins():
    namespace: dict = {}
    exec("from jnsim import *", namespace)
    assert namespace["np"] is jnsim.np
    assert namespace["linspace"] is jnsim.np.linspace and "exp" in namespace
    for builtin in ("max", "min", "sum", "round", "abs", "all", "any", "bool", "pow"):
        assert builtin not in namespace
    assert namespace["e"] == pytest.approx(2.718281828459045) and namespace["mV"] == jnsim.mV
    # NumPy's lazily loaded submodules come with it
    assert namespace["ma"] is jnsim.np.ma and namespace["testing"] is jnsim.np.testing


def test_importing_jnsim_leaves_numpys_lazy_submodules_unloaded():
    script = ("import sys, jnsim\n"
              "print(sorted(m for m in ('numpy.f2py', 'numpy.testing', 'numpy.ma') "
              "if m in sys.modules))\n"
              "print(jnsim.ma.__name__, 'numpy.ma' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split("\n")[:2] == ["[]", "numpy.ma True"]
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        jnsim.not_a_name  # noqa: B018


def test_settings_are_stored_and_warned_once():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jnsim.prefs.devices.cpp_standalone.openmp_threads = 4
        jnsim.prefs.devices.cpp_standalone.openmp_threads = 2
    assert jnsim.prefs["devices.cpp_standalone.openmp_threads"] == 2
    assert [type(w.message) for w in caught] == [BrianSettingIgnored]
    assert jnsim.get_device() is jnsim.device


def test_collect_and_defaultclock_t_as_in_brians_tutorial():
    from jnsim import (
        Network,
        NeuronGroup,
        SpikeMonitor,
        collect,
        defaultclock,
        ms,
        start_scope,
    )

    start_scope()
    G = NeuronGroup(1, "dv/dt = 1/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                    method="exact")
    spikes = SpikeMonitor(G)
    net = Network(collect())
    assert set(net.objects) == {G, spikes}
    net.store()
    net.run(25 * ms)
    assert float(defaultclock.t / ms) == pytest.approx(25)
    net.restore()
    assert float(defaultclock.t / ms) == 0 and spikes.num_spikes == 0
    net.run(5 * ms)
    start_scope()
    assert defaultclock.t_ == 0


PYLAB_PROBE = textwrap.dedent("""
    import sys
    {block}
    import jnsim
    print(sys.modules.get('matplotlib') is not None)
    namespace = {{}}
    exec('from jnsim import *', namespace)
    print(sys.modules.get('matplotlib') is not None, 'plot' in namespace, 'randn' in namespace,
          'fft' in namespace)
    if 'plot' in namespace:
        namespace['figure']()
        line, = namespace['plot']([1, 2, 3])
        namespace['xlabel']('time')
        print(type(line).__name__, namespace['rcParams']['lines.linewidth'] > 0,
              namespace['plt'].gca().get_xlabel())
""")


def _probe(tmp_path, block=""):
    env = {**os.environ, "MPLBACKEND": "Agg", "JNSIM_CACHE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", PYLAB_PROBE.format(block=block)],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_star_import_gives_pylab_names_and_imports_matplotlib_only_when_used(tmp_path):
    pytest.importorskip("matplotlib")
    # the first import with an empty cache reads pylab's names (importing matplotlib)
    assert _probe(tmp_path) == ["True", "True", "True", "True", "True",
                                "Line2D", "True", "time"]
    assert len(list(tmp_path.glob("pylab-names-*.json"))) == 1
    # later ones read them from the cache and import matplotlib at the first plot
    assert _probe(tmp_path) == ["False", "False", "True", "True", "True",
                                "Line2D", "True", "time"]


def test_without_matplotlib_numpy_names_remain_and_nothing_fails(tmp_path):
    block = "sys.modules['matplotlib'] = None  # as if it were not installed"
    assert _probe(tmp_path, block) == ["False", "False", "False", "True", "True"]


def test_star_import_keeps_jnsim_names_over_pylab_names():
    namespace: dict = {}
    exec("from jnsim import *", namespace)
    assert namespace["seed"] is jnsim.seed and namespace["ms"] is jnsim.ms
    assert namespace["rand"] is jnsim.np.random.rand  # numpy.random's, as in Brian


def test_quantities_convert_to_plain_numbers_as_brians_do():
    from jnsim import ms, mV, nA, second

    assert float(3 * mV) == pytest.approx(0.003) and int(2 * second) == 2
    assert jnsim.np.asarray(5 * mV) == pytest.approx(0.005)  # SI values, as in Brian
    assert list(jnsim.np.asarray([1, 2] * nA)) == pytest.approx([1e-9, 2e-9])
    spikes = [0, 50] * ms
    spikes += 2 * ms  # an integer list times a unit is a float quantity array
    assert list(spikes.to("ms").magnitude) == [2.0, 52.0]
    times = jnsim.np.array([1.0, 2.0, 3.5]) * ms
    counts, _ = jnsim.np.histogram(times / ms, bins=jnsim.np.arange(0, 5))
    assert list(counts) == [0, 1, 1, 1]  # a NumPy function pint does not take
    weights = jnsim.np.array([1.0, 2.0, 4.0]) * mV
    with pytest.warns(UserWarning, match="the units are dropped: numpy.bincount"):
        summed = jnsim.np.bincount([0, 1, 1], weights=weights, minlength=3)
    assert list(summed) == pytest.approx([0.001, 0.006, 0.0])  # SI values, as in Brian


def test_quantity_takes_brians_keywords():
    from jnsim import Quantity, get_or_create_dimension, ms

    times = jnsim.np.arange(4) * ms
    copied = Quantity(times, copy=True)  # Stimberg et al. 2018, example 1
    copied[0] = 7 * ms
    assert times[0] == 0 * ms and copied[0] == 7 * ms
    shared = Quantity(times)
    assert jnsim.np.shares_memory(shared.magnitude, times.magnitude)
    seconds = Quantity(jnsim.np.arange(3), dim=get_or_create_dimension(time=1))
    assert seconds[2] == 2000 * ms
    assert Quantity([1, 2], dtype=float).magnitude.dtype == jnsim.np.float64
    from jnsim import get_dimensions, mV
    from jnsim.errors import UnitError

    assert Quantity(3, dim=get_dimensions(mV)) == 3000 * mV
    with pytest.raises(UnitError, match="dim= takes dimensions"):
        Quantity(3, dim=mV)


def test_indices_computed_from_quantities_index_arrays():
    """Platkiewicz & Brette 2011: M.v[0, np.round(S.t/dt).astype(int)]."""
    from jnsim import ms, mV

    values = jnsim.np.arange(10.0) * mV
    steps = jnsim.np.round(jnsim.np.array([0.2, 0.5]) * ms / (0.1 * ms)).astype(int)
    assert list(values[steps].to("mV").magnitude) == [2.0, 5.0]
    grid = jnsim.np.arange(20.0).reshape(2, 10) * mV
    assert list(grid[1, steps].to("mV").magnitude) == [12.0, 15.0]
    values[steps] = 0 * mV
    assert list(values.to("mV").magnitude[[2, 5]]) == [0.0, 0.0]
    with pytest.raises(IndexError):  # a fraction is no index
        values[jnsim.np.array([0.5]) * ms / ms]


STANDALONE_RERUN_SCRIPT = textwrap.dedent("""
    from jnsim import *

    set_device('cpp_standalone', build_on_run=False)
    G = NeuronGroup(5, 'dv/dt = -v/(10*ms) : volt', threshold='v > 10*mV',
                    reset='v = 0*mV', method='exact')
    G.v = 0*mV
    S = SpikeMonitor(G)
    run(1*ms)
    device.build(run=False, directory=None)
    print(S.count[:].tolist())
    device.run(run_args={G.v: [0, 5, 11, 20, 30]*mV})
    print(S.count[:].tolist(), float(defaultclock.t / ms))
    device.run(run_args={(G, 'v'): [20, 0, 0, 0, 0]*mV})
    print(S.count[:].tolist())
""")


def test_standalone_reruns_with_run_args_start_again_from_t0(tmp_path):
    # Brian's device.run(run_args={G.v: values}) reruns the built program with new
    # initial values (Stimberg et al. 2019's bisection example)
    script = tmp_path / "rerun.py"
    script.write_text(STANDALONE_RERUN_SCRIPT)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[0, 0, 0, 0, 0]", "[0, 0, 1, 1, 1] 1.0",
                                          "[1, 0, 0, 0, 0]"]


def test_device_run_before_any_run_says_so():
    from jnsim import JnsimError, device, start_scope

    start_scope()
    with pytest.raises(JnsimError, match="nothing has run yet"):
        device.run(run_args={})


def test_add_attribute_declares_a_name_a_group_then_accepts():
    from jnsim import JnsimError, NeuronGroup, StateMonitor

    group = NeuronGroup(2, "v : 1")
    with pytest.raises(JnsimError, match="no variable 'label'"):
        group.label = "excitatory"  # an unknown name is refused (a typo would pass)
    group.add_attribute("label")
    group.label = "excitatory"
    assert group.label == "excitatory"
    monitor = StateMonitor(group, "v", record=True)
    monitor.add_attribute("run_time")  # compare_GSL_to_conventional.py
    monitor.run_time = 1.5
    assert monitor.run_time == 1.5
    with pytest.raises(AttributeError, match="already has an attribute 'v'"):
        group.add_attribute("v")
