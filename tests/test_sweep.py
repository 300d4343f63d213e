"""Parameter sweeps on Dask (jnsim.sweep): points, seeds, workers, failures, resume, units."""

import json
import os
import re

import numpy as np
import pytest

pytest.importorskip("distributed")

import jnsim
from jnsim import (
    Hz,
    JnsimError,
    Network,
    NeuronGroup,
    SpikeMonitor,
    TimedArray,
    ms,
    mV,
    second,
)
from jnsim.sweeps.points import (
    Run,
    batch_runs,
    batch_size,
    decode_value,
    encode_value,
    expand_points,
    run_seeds,
    runs_of,
)


def raises_jnsim(error, fragment):
    """Expect ``error`` (a JnsimError) with ``fragment`` in its text."""
    return pytest.raises(error, match=re.escape(fragment))


tau = 10 * ms
#: The input current over time, read by the equations of ``build_driven``.
drive = TimedArray([1.0, 2.0], dt=50 * ms)


def build(N):
    """A noisy leaky integrate-and-fire group of N neurons with a spike monitor."""
    G = NeuronGroup(N, """dv/dt = (I - v)/tau + sigma*xi*tau**-0.5 : 1
                          sigma : 1""",
                    threshold="v > 1", reset="v = 0", method="euler", name="neurons")
    G.v = "rand()"
    G.sigma = 0.2
    return Network(G, SpikeMonitor(G, name="spikes"))


def build_driven():
    G = NeuronGroup(10, "dv/dt = (gain*drive(t) - v)/tau : 1", threshold="v > 1",
                    reset="v = 0", method="exact", name="neurons")
    return Network(G, SpikeMonitor(G, name="spikes"))


def rate(net):
    return {"rate": net["spikes"].num_spikes / (len(net["neurons"]) * 0.1 * second),
            "mean_v": float(np.mean(net["neurons"].v_))}


@pytest.fixture(scope="module")
def client():
    import dask
    from distributed import Client, LocalCluster

    from jnsim.sweeps import spawnable_main

    spawnable_main()  # after the IPython tests, __main__ is IPython's (no __spec__)

    # a task whose worker dies fails at once (Dask would otherwise retry it itself),
    # so that sweep(retries=) is what is tested; a worker holds one task at a time, so
    # that a dying worker takes no queued task with it (as in jnsim's local_client)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.scheduler.worker-saturation": 1.0}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
    with Client(cluster) as client:
        yield client
    cluster.close()


# -- points, seeds, batches (pure) --------------------------------------------------------------
def test_a_mapping_is_a_grid_with_the_last_name_fastest():
    names, points, grid = expand_points({"a": [1, 2], "b": np.array([1.0, 2.0, 3.0]) * mV})
    assert names == ("a", "b") and grid
    assert [(p["a"], float(p["b"] / mV)) for p in points] == [
        (1, 1.0), (1, 2.0), (1, 3.0), (2, 1.0), (2, 2.0), (2, 3.0)]


def test_a_list_of_points_is_not_a_grid():
    names, points, grid = expand_points([{"a": 1, "b": 2}, {"b": 4, "a": 3}])
    assert names == ("a", "b") and not grid
    assert points == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]


@pytest.mark.parametrize("params, fragment", [
    ({"a": 3}, "must be a sequence"),
    ({"a": []}, "no values"),
    ([{"a": 1}, {"b": 2}], "same parameters"),
    ("a", "params must be"),
])
def test_bad_points_are_clear_errors(params, fragment):
    with raises_jnsim(JnsimError, fragment):
        expand_points(params)


def test_run_seeds_are_spawned_from_the_root_and_stable_when_points_are_added():
    root = 1234
    seeds = run_seeds(6, 2, 3, np.random.SeedSequence(root))
    expected = [int(c.generate_state(1, np.uint64)[0])
                for c in np.random.SeedSequence(root).spawn(6)]
    assert seeds == expected and len(set(seeds)) == 6
    more = run_seeds(10, 2, 5, np.random.SeedSequence(root))
    assert more[:6] == seeds
    assert run_seeds(4, [7, 8], 2, np.random.SeedSequence(root)) == [7, 8, 7, 8]


def test_batches_hold_one_structure_and_last_at_least_half_a_second():
    assert batch_size(0.01) == 50 and batch_size(2.0) == 1 and batch_size(0.0) == 1
    runs = runs_of([{"N": n, "I": i} for n in (10, 20) for i in range(10)], ("N",),
                   list(range(20)), 1)
    from jnsim.sweeps.points import structure_key

    sizes = {structure_key([("N", 10)]): 4, structure_key([("N", 20)]): 50}
    batches = batch_runs(runs, sizes, workers=2)
    assert [len(b) for b in batches] == [4, 4, 2, 5, 5]
    for batch in batches:
        assert len({dict(r.structural)["N"] for r in batch}) == 1
    assert sorted(r.index for b in batches for r in b) == list(range(20))


def test_values_with_units_survive_the_resume_file_encoding():
    for value in (3 * mV, np.float64(2.5), 7, float("nan"), np.array([1.0, 2.0]) * Hz):
        back = decode_value(json.loads(json.dumps(encode_value(value))))
        if isinstance(value, float) and np.isnan(value):
            assert np.isnan(back)
        else:
            assert (np.all(back == value) and type(back) is type(value)) or np.all(
                np.asarray(back) == np.asarray(value))
    run = Run(0, 0, 0, 5, (("N", 10),), (("I", 2 * mV),))
    assert json.loads(run.key)["parameters"] == {"N": 10, "I": {"magnitude": 2,
                                                               "units": "mV"}}


# -- mistakes are found before any worker starts --------------------------------------------------
@pytest.mark.parametrize("params, fragment", [
    ({"N": [5], "neurons.tau_m": [1.0]}, "has no variable 'tau_m'"),
    ({"N": [5], "cells.sigma": [1.0]}, "no object named 'cells'"),
    ({"N": [5], "I": [1.0], "unused": [1]}, "no equation of the network (built with N=5) uses"),
    ({"I": [1.0]}, "build() takes N"),
])
def test_parameters_the_network_does_not_have_are_clear_errors(params, fragment):
    I = 1.0
    with raises_jnsim(JnsimError, fragment):
        jnsim.sweep(build, params, duration=10 * ms, client=object())


@pytest.mark.parametrize("duration, fragment", [
    (None, "sweep() needs a duration"), (10, "a duration in time units, not 10"),
    (5 * mV, "a duration in time units"),
])
def test_a_duration_that_is_not_a_time_is_a_clear_error(duration, fragment):
    with raises_jnsim(JnsimError, fragment):
        jnsim.sweep(build, {"N": [5]}, duration=duration, client=object())


def test_a_model_that_cannot_run_fails_at_once_with_its_error():
    def broken(N):
        G = NeuronGroup(N, "dv/dt = -v/tau_typo : 1", name="neurons")
        return Network(G)

    with raises_jnsim(JnsimError, "'tau_typo' is not defined"):
        jnsim.sweep(broken, {"N": [5]}, duration=1 * ms, client=object())
    with raises_jnsim(JnsimError, "build() must return a Network"):
        jnsim.sweep(lambda N: 3, {"N": [5]}, duration=1 * ms, client=object())


# -- on workers --------------------------------------------------------------------------------
def direct_rows(params, seeds):
    """The sweep's runs done here one by one: build, seed, run, measure."""
    from jnsim.sweeps import worker

    rows = []
    for N, I in params:
        for s in seeds:
            jnsim.seed(s["build_seed"])
            net = build(N)
            jnsim.seed(s["seed"])
            net.run(100 * ms, namespace={"I": I, "tau": tau})
            rows.append(worker.check_metrics(rate(net)))
    return rows


def test_four_workers_on_an_empty_cache_compile_each_kernel_once(tmp_path, monkeypatch):
    monkeypatch.setenv("JNSIM_CACHE_DIR", str(tmp_path / "kernels"))
    I = 1.5
    results = jnsim.sweep(build, {"N": [20, 40], "I": [1.2, 2.0, 3.0]}, duration=100 * ms,
                          seeds=2, measure=rate, workers=4, root_seed=99)
    assert list(results["status"]) == ["ok"] * 12, results["error"].tolist()
    # the kernel is the same for both sizes: compiled once, here, then loaded from disk
    assert results.attrs["kernels_compiled"] == 1
    assert results["worker"].nunique() >= 2
    # every row equals the same run done directly here
    build_seed = int(np.random.SeedSequence(99).generate_state(1, np.uint64)[0])
    params = [(n, i) for n in (20, 40) for i in (1.2, 2.0, 3.0)]
    seeds = [{"build_seed": build_seed, "seed": int(s)} for s in results["seed"][:2]]
    expected = direct_rows(params[:1], seeds) + direct_rows(params[-1:], [
        {"build_seed": build_seed, "seed": int(s)} for s in results["seed"][-2:]])
    got = results.iloc[[0, 1, 10, 11]]
    assert [float(r["rate"] / Hz) for r in expected] == list(got["rate"])
    assert [r["mean_v"] for r in expected] == list(got["mean_v"])
    assert results.attrs["units"]["rate"] == "Hz"
    # replicates differ, and the rate grows with the input
    assert results["rate"].iloc[0] != results["rate"].iloc[1]
    grid = results.to_xarray()
    assert grid["rate"].dims == ("N", "I", "replicate")
    assert bool((grid["rate"].mean("replicate").diff("I") > 0).all())


def _numba_set_up():
    import sys

    return "numba.np.arraymath" in sys.modules  # imported by Numba's registry set-up


def test_workers_of_local_client_set_up_numba_as_they_start():
    import subprocess
    import sys

    from jnsim.sweeps import local_client

    plain = subprocess.run([sys.executable, "-c", "import jnsim, sys; "
                            "print('numba.np.arraymath' in sys.modules)"],
                           capture_output=True, text=True, check=True)
    assert plain.stdout.strip() == "False"  # importing jnsim alone does not pay it
    with local_client(1) as started:
        assert list(started.run(_numba_set_up).values()) == [True]


def test_same_root_seed_same_results_on_any_number_of_workers(client):
    kwargs = dict(duration=100 * ms, seeds=2, measure=rate, root_seed=7)
    I = 2.0
    a = jnsim.sweep(build, {"N": [30], "neurons.sigma": [0.1, 0.5, 1.0]}, client=client,
                    **kwargs)
    b = jnsim.sweep(build, {"N": [30], "neurons.sigma": [0.1, 0.5, 1.0]}, workers=1, **kwargs)
    assert list(a["seed"]) == list(b["seed"])
    assert list(a["rate"]) == list(b["rate"]) and list(a["mean_v"]) == list(b["mean_v"])
    c = jnsim.sweep(build, {"N": [30], "neurons.sigma": [0.1, 0.5, 1.0]}, client=client,
                    duration=100 * ms, seeds=2, measure=rate, root_seed=8)
    assert list(c["seed"]) != list(a["seed"])


def build_large(N):
    neurons = NeuronGroup(N, "dv/dt = -v / (10*ms) + xi * (10*ms)**-0.5 : 1",
                          method="euler", name="neurons")
    return Network(neurons)


def mean_v(net):
    return {"mean_v": float(np.mean(net["neurons"].v_))}


def test_a_large_noisy_network_gives_the_same_numbers_in_a_worker_as_here(client):
    # a worker runs the kernel a network of this size gets anywhere (the multi-threaded
    # one, on one thread there): the same random numbers as a run outside the sweep
    n = jnsim.threads.AUTO_MIN_NEURONS
    result = jnsim.sweep(build_large, {"N": [n]}, duration=0.5 * ms, measure=mean_v,
                         client=client, root_seed=3)
    assert list(result["status"]) == ["ok"]
    net = build_large(n)
    jnsim.seed(int(result["seed"][0]))
    net.run(0.5 * ms)
    assert net.last_plan.multithreaded == jnsim.threads.parallel_available()
    assert float(np.mean(net["neurons"].v_)) == result["mean_v"][0]


def test_failed_runs_are_rows_with_their_error(client):
    def measure(net):
        if net["neurons"].sigma_[0] > 5:
            raise ValueError("sigma too large to measure")
        return rate(net)

    I = 1.5
    results = jnsim.sweep(build, {"N": [10], "neurons.sigma": [0.1, 10.0],
                                  "tau": [10 * ms, 0 * ms]},
                          duration=100 * ms, measure=measure, client=client, root_seed=1)
    keys = zip(results["neurons.sigma"], results["tau"], strict=True)
    status = dict(zip(keys, results["status"], strict=True))
    assert status == {(0.1, 10.0): "ok", (0.1, 0.0): "error", (10.0, 10.0): "error",
                      (10.0, 0.0): "error"}
    errors = results.set_index(["neurons.sigma", "tau"])["error"]
    assert errors[(0.1, 0.0)].startswith("RunError: 'v' of neurons became NaN or infinite")
    assert errors[(10.0, 10.0)] == "ValueError: sigma too large to measure"
    assert results.attrs["units"]["tau"] == "ms"
    assert np.isnan(results["rate"].iloc[3])


def test_a_dead_worker_is_retried_and_then_its_runs_are_lost(client, tmp_path):
    marker = tmp_path / "died-once"

    def measure(net):
        from distributed import get_worker

        sigma = float(net["neurons"].sigma_[0])
        try:
            in_worker = get_worker() is not None
        except ValueError:  # in this process (the sweep's first run)
            in_worker = False
        if in_worker and sigma == 0.3 and not marker.exists():
            marker.touch()
            os._exit(3)  # the worker process dies once
        if in_worker and sigma == 0.9:
            os._exit(3)  # this one always kills its worker
        return rate(net)

    I = 1.5
    points = [{"N": 10, "neurons.sigma": s} for s in (0.1, 0.3)]
    results = jnsim.sweep(build, points, duration=100 * ms, measure=measure, client=client,
                          retries=1, root_seed=3)
    assert list(results["status"]) == ["ok", "ok"] and marker.exists()
    # a run that kills every worker it reaches is given up after the retries
    client.wait_for_workers(2)  # the one that died is back (each run is its own task)
    points = [{"N": 10, "neurons.sigma": s} for s in (0.1, 0.9)]
    results = jnsim.sweep(build, points, duration=100 * ms, measure=measure, client=client,
                          retries=1, root_seed=3)
    assert list(results["status"]) == ["ok", "lost"]
    assert "KilledWorker" in results["error"].iloc[1]
    with raises_jnsim(JnsimError, "not a grid"):
        results.to_xarray()


def test_resume_runs_only_what_is_not_in_the_file(client, tmp_path):
    path = tmp_path / "sweep.jsonl"
    I = 1.5
    first = jnsim.sweep(build, {"N": [10], "neurons.sigma": [0.1, 0.2]}, duration=100 * ms,
                        seeds=2, measure=rate, client=client, resume=path)
    lines = path.read_text().splitlines()
    assert len(lines) == 1 + 4 and json.loads(lines[0])["root_seed"] == str(
        first.attrs["root_seed"])
    more = jnsim.sweep(build, {"N": [10], "neurons.sigma": [0.1, 0.2, 0.4]},
                       duration=100 * ms, seeds=2, measure=rate, client=client, resume=path)
    assert len(path.read_text().splitlines()) == 1 + 6  # two new runs only
    assert more.attrs["root_seed"] == first.attrs["root_seed"]
    assert list(more["seed"][:4]) == list(first["seed"])
    assert list(more["rate"][:4]) == list(first["rate"])
    assert list(more["worker"][:4]) == list(first["worker"])  # taken from the file
    assert list(more["status"]) == ["ok"] * 6
    with raises_jnsim(JnsimError, "root_seed"):
        jnsim.sweep(build, {"N": [10], "neurons.sigma": [0.1]}, duration=100 * ms,
                    measure=rate, client=client, resume=path, root_seed=5)


def test_units_of_parameters_and_metrics_reach_the_table_and_xarray(client):
    def measure(net):
        return {"rate": net["spikes"].num_spikes / (10 * 100 * ms),
                "v_max": float(np.max(net["neurons"].v_)) * mV}

    gains = np.linspace(0.5, 2.5, 3)
    results = jnsim.sweep(build_driven, {"gain": gains}, duration=100 * ms, measure=measure,
                          client=client)
    assert results.attrs["units"] == {"rate": "Hz", "v_max": "mV"}
    rates = results.quantity("rate")
    assert rates.units == Hz and rates.shape == (3,)
    assert rates[0] == 0 * Hz and rates[2] > rates[1]  # the TimedArray reached the workers
    grid = results.to_xarray()
    assert grid["v_max"].attrs["units"] == "mV" and grid["rate"].attrs["units"] == "Hz"
    assert grid.attrs["duration"] == "100 ms"


#: Read by a string expression in a build() (not by its Python code).
v_start = 0.25


def test_build_time_expressions_find_the_callers_names_on_the_workers(client):
    def build_started(N):
        G = NeuronGroup(N, "dv/dt = (I - v)/tau : 1", threshold="v > 1", reset="v = 0",
                        method="exact", name="neurons")
        G.v = "v_start + 0*rand()"  # evaluated in build(), on the worker
        return Network(G, SpikeMonitor(G, name="spikes"))

    def first_v(net):
        return {"v0": float(net["neurons"].v_[0])}

    I = 0.5
    results = jnsim.sweep(build_started, {"N": [3], "tau": [5 * ms, 10 * ms, 20 * ms]},
                          duration=1 * ms, measure=first_v, client=client)
    assert list(results["status"]) == ["ok"] * 3, results["error"].tolist()
    # v relaxes from 0.25 towards I = 0.5 for 1 ms with each tau
    expected = [0.5 - 0.25 * np.exp(-1 / t) for t in (5, 10, 20)]
    assert list(results["v0"]) == pytest.approx(expected, rel=1e-12)
    assert results["worker"].iloc[1:].str.len().min() > 0


def test_a_notebook_shows_progress_the_dashboard_and_a_plot_that_fills_in(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [
        "import numpy as np\nfrom jnsim import *\nfrom jnsim.sweeps.live import SweepDisplay",
        "def build(N):\n"
        "    G = NeuronGroup(N, 'dv/dt = (I - v)/(10*ms) : 1', threshold='v > 1',\n"
        "                    reset='v = 0', method='exact', name='neurons')\n"
        "    return Network(G, SpikeMonitor(G))\n"
        "I = 0.0\n"
        "results = sweep(build, {'N': [5], 'I': np.linspace(0.5, 3, 6)},\n"
        "                duration=50*ms, workers=2)",
        "d = SweepDisplay.latest\n"
        "print(d.bar.value, d.bar.max, d.bar.bar_style)\n"
        "print(len(d.source.data['x']), d.figure.xaxis[0].axis_label, '|',\n"
        "      d.figure.yaxis[0].axis_label)\n"
        "print(d.dashboard_link.startswith('http'), d.link.value)\n"
        "print(d.label.value.split(' · ')[0])",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = [o for o in notebook.cells[1].outputs if o.output_type == "display_data"]
    assert any("application/vnd.jupyter.widget-view+json" in o.data for o in shown)
    text = "".join(o.text for o in notebook.cells[2].outputs if o.output_type == "stream")
    lines = text.splitlines()
    assert lines[0] == "6 6 success"
    assert lines[1] == "6 I | neurons.rate (Hz)"
    assert lines[2] == "True Dask dashboard: closed with the sweep's LocalCluster"
    assert lines[3] == "6 of 6 runs"


def test_workers_start_from_a_terminal_ipython_session(monkeypatch):
    # IPython puts its user module, without __spec__, in sys.modules['__main__'];
    # multiprocessing's spawn (Dask's nannies) failed on it
    import sys

    from jnsim.sweeps import local_client

    class UserModule:  # what IPython's shell installs
        pass

    user_module = UserModule()
    user_module.__dict__.update(vars(sys.modules["__main__"]))
    user_module.__dict__.pop("__spec__", None)
    monkeypatch.setitem(sys.modules, "__main__", user_module)
    client = local_client(1)
    try:
        assert len(client.scheduler_info()["workers"]) == 1
    finally:
        client.close()
