"""NeuronGroup, monitors and runs, checked against analytic solutions."""

import math
import os
import signal
import threading

import numpy as np
import pytest

from jnsim import (
    CodeError,
    EquationError,
    Hz,
    JnsimError,
    MethodError,
    NamespaceError,
    Network,
    NeuronGroup,
    PoissonInput,
    PopulationRateMonitor,
    RunError,
    SpikeMonitor,
    StateMonitor,
    TimedArray,
    UnitError,
    cache_info,
    defaultclock,
    linked_var,
    ms,
    mV,
    run,
    second,
    seed,
    start_scope,
)

from .conftest import raises_jnsim


@pytest.fixture(autouse=True)
def _fresh_scope():
    start_scope()
    defaultclock.dt = 0.1 * ms
    yield
    defaultclock.dt = 0.1 * ms


# -- the seed's three ways of giving external values ---------------------------------

def test_explicit_namespace_on_the_group():
    G = NeuronGroup(1, "dv/dt = -v / tau : 1", namespace={"tau": 10 * ms})
    G.v = 1
    net = Network(G)
    net.run(10 * ms)
    assert G.v[0] == pytest.approx(math.exp(-1), rel=1e-9)


def test_namespace_given_to_run():
    G = NeuronGroup(1, "dv/dt = -v / tau : 1")
    G.v = 1
    net = Network(G)
    net.run(10 * ms, namespace={"tau": 10 * ms})
    assert G.v[0] == pytest.approx(math.exp(-1), rel=1e-9)


def test_implicit_namespace_from_the_context():
    G = NeuronGroup(1, "dv/dt = -v / tau : 1")
    G.v = 1
    net = Network(G)
    tau = 10 * ms  # defined after the group: looked up when run() is called
    net.run(10 * ms)
    assert G.v[0] == pytest.approx(math.exp(-1), rel=1e-9)
    assert tau  # (used by the run above)


def test_a_name_missing_at_run_is_an_error_that_names_it():
    G = NeuronGroup(1, "dv/dt = -v / tau_missing : 1")
    raises_jnsim(lambda: Network(G).run(1 * ms), NamespaceError,
                 "'tau_missing' is not defined in the calling code's namespace")


# -- analytic checks ------------------------------------------------------------------

def _lif_expected_spike_steps(tau, El, I, Vt, Vr, dt, refractory_steps, n_steps):
    """Spike steps of an exactly integrated LIF (Brian's step semantics)."""
    steps, v, k, frozen_until = [], Vr, 0, -1
    v = El  # initial value
    while k < n_steps:
        if k >= frozen_until:
            v = (El + I) + (v - El - I) * math.exp(-dt / tau)
        if v > Vt and k >= frozen_until:
            steps.append(k)
            v = Vr
            frozen_until = k + refractory_steps
        k += 1
    return steps


def test_lif_with_constant_input_spikes_at_closed_form_times():
    tau, El, I, Vt, Vr = 10 * ms, -70 * mV, 25 * mV, -50 * mV, -65 * mV
    G = NeuronGroup(2, "dv/dt = (El - v + I)/tau : volt (unless refractory)",
                    threshold="v > Vt", reset="v = Vr", refractory=2 * ms, method="exact")
    G.v = El
    spikes = SpikeMonitor(G)
    run(200 * ms)
    expected = _lif_expected_spike_steps(0.01, -0.07, 0.025, -0.05, -0.065, 1e-4, 20, 2000)
    got = np.round(spikes.t_[spikes.i == 0] / 1e-4).astype(int)
    assert got.tolist() == expected
    # and the first interval matches the closed form tau*ln(I/(I - (Vt - El)))
    first = 10 * math.log(25 / (25 - 20))
    assert got[0] * 0.1 == pytest.approx(first, abs=0.1)
    assert spikes.count.tolist() == [len(expected)] * 2


@pytest.mark.parametrize(("method", "tolerance"), [
    ("exact", 1e-12), ("exponential_euler", 1e-12), ("euler", 1.2e-2), ("rk2", 5e-5),
    ("rk4", 1e-9), ("heun", 5e-5), ("milstein", 1.2e-2),
])
def test_exponential_decay_with_every_method(method, tolerance):
    G = NeuronGroup(1, "dv/dt = -v/(10*ms) : 1", method=method)
    G.v = 1
    M = StateMonitor(G, "v", record=0)
    run(20 * ms)
    expected = np.exp(-M.t_ / 0.01)
    np.testing.assert_allclose(M.v_[0], expected, rtol=tolerance)
    assert G.method == method


def test_coupled_linear_system_is_integrated_exactly():
    G = NeuronGroup(1, """
        dv/dt = (ge - v)/taum : 1
        dge/dt = -ge/taue : 1
    """, method="exact", namespace={"taum": 20 * ms, "taue": 5 * ms})
    G.ge = 1
    M = StateMonitor(G, ("v", "ge"), record=0)
    run(30 * ms)
    t, a, b = M.t_, 0.02, 0.005
    v = (np.exp(-t / a) - np.exp(-t / b)) * b / (a - b)
    np.testing.assert_allclose(M.ge[0], np.exp(-t / b), rtol=1e-10)
    np.testing.assert_allclose(M.v[0], v, rtol=1e-8, atol=1e-14)


def test_default_method_is_exact_for_linear_equations():
    assert NeuronGroup(1, "dv/dt = -v/(10*ms) : 1").method == "exact"
    assert NeuronGroup(1, "dv/dt = -v**2/(10*ms) : 1").method == "euler"


# -- state ---------------------------------------------------------------------------

def test_state_from_quantities_arrays_and_strings():
    G = NeuronGroup(5, "v : volt\nx : 1\nk : integer\nflag : boolean")
    G.v = -70 * mV
    assert np.allclose(G.v / mV, -70)
    G.v = np.arange(5) * mV
    assert np.allclose(G.v_, np.arange(5) * 1e-3)
    G.x = "i * 2 + N"
    assert G.x_.tolist() == [5, 7, 9, 11, 13]
    G.v = "-70*mV + i*mV"
    assert np.allclose(G.v / mV, [-70, -69, -68, -67, -66])
    G.k = "i % 2"
    G.flag = "i > 2"
    assert G.flag_.tolist() == [False, False, False, True, True]
    G.v[:2] = 1 * mV
    assert np.allclose(G.v[:3] / mV, [1, 1, -68])
    G.x["i >= 3"] = 0
    assert G.x_.tolist() == [5, 7, 9, 0, 0]


def test_random_initial_values_in_range_and_seeded():
    Vr, Vt = -60 * mV, -50 * mV
    G = NeuronGroup(1000, "v : volt")
    seed(5)
    G.v = "Vr + rand() * (Vt - Vr)"
    first = G.v_.copy()
    assert first.min() >= -0.06 and first.max() <= -0.05
    assert np.std(first) > 0.002
    seed(5)
    G.v = "Vr + rand() * (Vt - Vr)"
    assert np.array_equal(first, G.v_)


@pytest.mark.parametrize(("assign", "error", "fragment"), [
    (lambda G: setattr(G, "v", 5), UnitError, "no units"),
    (lambda G: setattr(G, "v", 5 * ms), UnitError, "units of second"),
    (lambda G: setattr(G, "v", "5*ms"), UnitError, "must have units of volt"),
    (lambda G: setattr(G, "v", "w*mV"), NamespaceError, "'w' is not defined"),
    (lambda G: setattr(G, "v", np.ones(3) * mV), JnsimError, "cannot set 5 values"),
    (lambda G: setattr(G, "nope", 1), JnsimError, "has no variable 'nope'"),
    (lambda G: setattr(G, "i", 1), JnsimError, "cannot be set"),
])
def test_bad_assignments(assign, error, fragment):
    G = NeuronGroup(5, "v : volt")
    raises_jnsim(lambda: assign(G), error, fragment)


def test_reading_unknown_variable():
    G = NeuronGroup(2, "v : volt")
    with pytest.raises(AttributeError, match="has no variable 'w'"):
        G.w  # noqa: B018


def test_subgroups_share_state_with_their_parent():
    G = NeuronGroup(10, "dv/dt = -v/(10*ms) : 1")
    first, second_half = G[:5], G[5:]
    first.v = 1
    second_half.v = "2 + i"
    assert G.v_.tolist() == [1, 1, 1, 1, 1, 2, 3, 4, 5, 6]
    assert len(second_half) == 5
    assert np.allclose(second_half.v_, [2, 3, 4, 5, 6])
    raises_jnsim(lambda: G[::2], JnsimError, "contiguous")


# -- errors at creation ---------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "error", "fragments"), [
    ({"threshold": "v > 10"}, UnitError, ["cannot compare volt with dimensionless"]),
    ({"threshold": "v + 1*mV"}, CodeError, ["threshold must be a condition"]),
    # a new name assigned with '=' is a temporary (Brian's rule, tested with the
    # temporaries below); an in-place update of a new name is still a mistake
    ({"threshold": "v > 1*mV", "reset": "vv += 1*mV"}, CodeError,
     ["'vv += ...' needs a value of 'vv', which is not assigned yet", "did you mean 'v'?"]),
    ({"threshold": "v > 1*mV", "reset": "v = 0"}, UnitError,
     ["cannot assign a dimensionless value to 'v'", "5*volt"]),
    ({"threshold": "v > 1*mV", "reset": "I = 0*mV"}, CodeError,
     ["cannot assign to 'I'", "subexpression"]),
    ({"threshold": "v > 1*mV", "reset": "v == 0*mV"}, CodeError, ["single '='"]),
    ({"threshold": "v > 1*mV", "reset": "v = x*mV"}, NamespaceError, ["'x' is not defined"]),
    ({"refractory": 5}, JnsimError, ["refractory must be a time"]),
    ({"refractory": "v"}, UnitError, ["refractory period must be a time or a condition"]),
    ({"method": "rk5"}, MethodError, ["rk5", "did you mean 'rk4'"]),
])
def test_mistakes_are_reported_when_the_group_is_created(kwargs, error, fragments):
    model = "dv/dt = -v/(10*ms) : volt\nI = v : volt"
    kwargs = dict(kwargs)
    if "reset" in kwargs and "x*mV" in kwargs["reset"]:
        kwargs["namespace"] = {}
    raises_jnsim(lambda: NeuronGroup(2, model, **kwargs), error, *fragments)


def test_bad_sizes_and_durations():
    raises_jnsim(lambda: NeuronGroup(0, "v : 1"), JnsimError, "positive integer")
    raises_jnsim(lambda: NeuronGroup(2.5, "v : 1"), JnsimError, "positive integer")
    G = NeuronGroup(1, "v : 1")
    net = Network(G)
    raises_jnsim(lambda: net.run(10), JnsimError, "needs a time", "10*ms")
    raises_jnsim(lambda: net.run(-1 * ms), JnsimError, "negative")
    raises_jnsim(lambda: net.run(1 * mV), JnsimError, "duration in time units")


# -- runs ---------------------------------------------------------------------------

def test_repeated_runs_continue():
    G = NeuronGroup(1, "dv/dt = -v/(10*ms) : 1")
    G.v = 1
    net = Network(G)
    net.run(5 * ms)
    net.run(5 * ms)
    assert float(net.t / ms) == pytest.approx(10)
    assert G.v[0] == pytest.approx(math.exp(-1), rel=1e-9)


def test_changing_a_parameter_value_does_not_recompile():
    tau = 10 * ms
    G = NeuronGroup(1, "dv/dt = -v/tau : 1")
    G.v = 1
    net = Network(G)
    net.run(1 * ms)
    before = cache_info()
    tau = 20 * ms
    G.v = 1
    net.run(10 * ms)
    after = cache_info()
    assert after.compiled == before.compiled and after.loaded == before.loaded
    assert G.v[0] == pytest.approx(math.exp(-0.5 - 0.001 / 0.02 * 0), rel=2e-2)


def test_store_and_restore_round_trip():
    G = NeuronGroup(3, "dv/dt = (2 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0")
    spikes = SpikeMonitor(G)
    net = Network(G, spikes)
    net.store("start")
    net.run(50 * ms)
    first = (spikes.t_.copy(), G.v_.copy())
    net.restore("start")
    assert float(net.t / ms) == 0 and spikes.num_spikes == 0
    net.run(50 * ms)
    assert np.array_equal(spikes.t_, first[0]) and np.array_equal(G.v_, first[1])
    raises_jnsim(lambda: net.restore("nope"), JnsimError, "no state stored under 'nope'")


def test_seed_makes_noisy_runs_bit_for_bit_reproducible():
    def simulate(value):
        start_scope()
        G = NeuronGroup(20, "dv/dt = -v/(10*ms) + xi/sqrt(10*ms) : 1")
        M = StateMonitor(G, "v", record=True)
        seed(value)
        run(5 * ms)
        return M.v_.copy()

    a, b, c = simulate(3), simulate(3), simulate(4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # 64-bit seeds (as numpy.random.SeedSequence gives them) are not taken mod 2**32
    big = 3 + 2**40
    assert np.array_equal(simulate(big), simulate(big))
    assert not np.array_equal(simulate(big), a)
    assert not np.array_equal(simulate(2**64 - 1), simulate(2**32 - 1))
    raises_jnsim(lambda: seed(2**64), JnsimError, "from 0 to 2**64 - 1")
    raises_jnsim(lambda: seed(-1), JnsimError, "from 0 to 2**64 - 1")


def test_64_bit_seeds_reach_every_generator():
    """A 64-bit seed fixes the expressions' generator (``rand()`` in a string), the
    kernels' and the binomial numbers drawn with Numba's generator."""
    def simulate(value):
        start_scope()
        G = NeuronGroup(50, "dv/dt = -v/(10*ms) : 1")
        seed(value)
        G.v = "rand()"
        P = PoissonInput(G, "v", 20, 100 * Hz, weight=0.01)
        run(5 * ms)
        return G.v_.copy()

    value = 2**63 + 12345
    assert np.array_equal(simulate(value), simulate(value))
    assert not np.array_equal(simulate(value), simulate(value + 2**32))


def test_noise_statistics_ornstein_uhlenbeck():
    G = NeuronGroup(4000, "dv/dt = -v/tau + sigma*sqrt(2/tau)*xi : 1",
                    namespace={"tau": 5 * ms, "sigma": 2.0})
    seed(11)
    run(50 * ms)
    assert np.var(G.v_) == pytest.approx(4.0, rel=0.08)


def test_nan_stops_the_run_with_a_clear_error():
    G = NeuronGroup(3, "dv/dt = v**2/ms : 1", method="euler")
    G.v = "i*100"
    raises_jnsim(lambda: Network(G).run(100 * ms), RunError,
                         "'v' of neurongroup", "became NaN or infinite", "at neuron 2",
                         "t = ")


def test_nan_error_names_the_variable_and_the_first_neuron_holding_it():
    G = NeuronGroup(5, """dv/dt = -v/(10*ms) : 1
                          dw/dt = w**2/ms : 1 (unless refractory)""",
                    threshold="v > 10", refractory=1 * ms, method="euler")
    G.w = "(i >= 3)*100"
    raises_jnsim(lambda: Network(G).run(100 * ms), RunError,
                 "'w' of neurongroup", "at neuron 3")
    assert np.all(np.isfinite(G.v_))


def test_interrupted_run_can_continue():
    G = NeuronGroup(200, "dv/dt = -v/(10*ms) + xi/sqrt(10*ms) : 1", method="euler")
    net = Network(G)
    net.run(1 * ms)  # compile first
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        net.run(100 * second)
    timer.cancel()
    stopped = float(net.t / ms)
    assert 1 < stopped < 100_000
    assert np.all(np.isfinite(G.v_))
    net.run(2 * ms)
    assert float(net.t / ms) == pytest.approx(stopped + 2)


# -- monitors -------------------------------------------------------------------------

def test_state_monitor_with_its_own_dt_and_subexpressions():
    G = NeuronGroup(3, "dv/dt = -v/(10*ms) : 1\ndouble = 2*v : 1")
    G.v = 1
    M = StateMonitor(G, ["v", "double"], record=[0, 2], dt=1 * ms)
    run(10 * ms)
    assert len(M.t) == 10
    np.testing.assert_allclose(M.t_, np.arange(10) * 1e-3, atol=1e-12)
    np.testing.assert_allclose(M.double, 2 * M.v)
    np.testing.assert_allclose(M[2].v, np.exp(-M.t_ / 0.01), rtol=1e-9)
    raises_jnsim(lambda: M[1], JnsimError, "does not record element 1")
    raises_jnsim(lambda: StateMonitor(G, "w"), JnsimError, "no variable 'w' to record")


def test_spike_monitor_buffers_grow_across_many_spikes():
    G = NeuronGroup(500, "dv/dt = 1/ms : 1", threshold="v > 0.5", reset="v = 0")
    spikes = SpikeMonitor(G)
    run(100 * ms)
    # v grows by 0.1 per step and resets after passing 0.5: a spike every 6 steps
    assert spikes.num_spikes == 500 * (1000 // 6)
    assert spikes.num_spikes == len(spikes.i) == spikes.count.sum()
    trains = spikes.spike_trains()
    assert len(trains) == 500 and len(trains[0]) == spikes.count[0]


def test_population_rate_monitor():
    G = NeuronGroup(100, "dv/dt = 1/(10*ms) : 1", threshold="v > 1", reset="v = 0")
    rate = PopulationRateMonitor(G)
    run(1 * second)
    assert float(np.mean(rate.rate.to("Hz").magnitude)) == pytest.approx(1 / 0.0101, rel=0.02)
    smooth = rate.smooth_rate(window="flat", width=20 * ms)
    assert len(smooth) == len(rate.t)


def test_smooth_rate_windows_are_brians():
    """Windows as Brian 2.9 builds them: a Gaussian over +-2 standard deviations, a flat
    window of an odd number of samples, or a given array of odd length."""
    G = NeuronGroup(1, "v : 1", threshold="i == 0 and t > 4.95*ms and t < 5.05*ms")
    rate = PopulationRateMonitor(G)
    run(10 * ms)
    raw = rate.rate.to("Hz").magnitude
    spike = np.flatnonzero(raw)[0]
    gaussian = rate.smooth_rate("gaussian", width=0.5 * ms).to("Hz").magnitude
    k = np.arange(-10, 11)  # 2 * 0.5 ms / 0.1 ms = 10 samples each side
    window = np.exp(-0.5 * (k * 0.1 / 0.5) ** 2)
    np.testing.assert_allclose(gaussian[spike - 10:spike + 11], raw[spike] * window
                               / window.sum(), rtol=1e-12)
    assert gaussian[spike - 11] == 0 and gaussian[spike + 11] == 0
    flat = rate.smooth_rate("flat", width=1 * ms).to("Hz").magnitude
    assert np.count_nonzero(flat) == 11
    custom = rate.smooth_rate(np.array([1.0, 2.0, 1.0])).to("Hz").magnitude
    np.testing.assert_allclose(custom[spike - 1:spike + 2], raw[spike] * np.array([1, 2, 1]) / 4)
    raises_jnsim(lambda: rate.smooth_rate(np.ones(4)), JnsimError, "odd number")
    raises_jnsim(lambda: rate.smooth_rate("gaussian"), JnsimError, "width")


def test_run_regularly():
    G = NeuronGroup(2, "x : 1")
    G.run_regularly("x += 1", dt=1 * ms)
    run(10 * ms)
    assert G.x_.tolist() == [10, 10]


def test_equations_error_in_group_creation_is_a_jnsim_error():
    raises_jnsim(lambda: NeuronGroup(2, "dv/dt = -v : volt"), UnitError, "volt/second")
    raises_jnsim(lambda: NeuronGroup(2, "dv/dt = -v/tau : 1 (event-driven)"),
                 EquationError, "only used in synapses")


# -- TimedArray ------------------------------------------------------------------------

def test_timed_array_drives_a_variable_and_new_values_do_not_recompile():
    from jnsim import TimedArray, nA

    stimulus = TimedArray(np.array([0.0, 1.0, 3.0]) * nA, dt=1 * ms)
    G = NeuronGroup(2, "I = stimulus(t) : amp")
    M = StateMonitor(G, "I", record=0)
    net = Network(G, M)
    net.run(5 * ms)
    expected = np.array([0.0, 1.0, 3.0, 3.0, 3.0]) * 1e-9  # the last value is kept
    np.testing.assert_allclose(M.I_[0][::10], expected)
    before = cache_info()
    stimulus = TimedArray(np.array([2.0, 2.0]) * nA, dt=1 * ms)
    net.run(1 * ms)
    assert cache_info().compiled == before.compiled
    np.testing.assert_allclose(M.I_[0][-1], 2e-9)


def test_two_dimensional_timed_array_and_units():
    from jnsim import TimedArray

    rates = TimedArray(np.array([[1.0, 2.0], [3.0, 4.0]]), dt=1 * ms)
    G = NeuronGroup(2, "dx/dt = rates(t, i)/ms : 1")
    run(2 * ms)
    np.testing.assert_allclose(G.x_, [1 + 3, 2 + 4], rtol=1e-9)
    raises_jnsim(lambda: NeuronGroup(1, "y = rates(i, t) : 1", namespace={"rates": rates}),
                 UnitError,
                 "argument of rates() must have units of second")
    raises_jnsim(lambda: TimedArray(np.zeros((2, 2, 2)), dt=1 * ms), JnsimError, "1-D or 2-D")


def test_timed_array_input_is_integrated_exactly_as_brian_does():
    """A TimedArray whose dt is a multiple of the time step holds during a step, so the
    equation is linear over each step: 'exact' applies (and is chosen by default, as in
    Brian) and matches the piecewise closed form to rounding error."""
    stim = TimedArray(np.array([1.5, 0.0, 1.0, 0.3]), dt=2 * ms)
    G = NeuronGroup(2, "dv/dt = (stim(t)*(i + 1) - v)/(5*ms) : 1")
    assert G.method == "exact"
    M = StateMonitor(G, "v", record=True)
    net = Network(G, M)
    net.run(10 * ms)
    # closed form, step by step: over step k the input is the level of t = k*dt
    expected = np.zeros((2, 100))
    for neuron in range(2):
        v = 0.0
        for k in range(100):
            level = [1.5, 0.0, 1.0, 0.3][min(int((k * 1e-4 + 1e-9) / 2e-3), 3)] * (neuron + 1)
            v = level + (v - level) * np.exp(-1e-4 / 5e-3)
            expected[neuron, k] = v
    # the monitor records at the start of each step: column k + 1 is the value after step k
    np.testing.assert_allclose(M.v_[:, 1:], expected[:, :-1], rtol=1e-12, atol=1e-15)
    # a finer TimedArray would change within a step: 'exact' is refused, as in Brian
    fine = TimedArray(np.array([1.0, 2.0]), dt=0.05 * ms)
    raises_jnsim(lambda: NeuronGroup(1, "dv/dt = (fine(t) - v)/(5*ms) : 1", method="exact",
                                     namespace={"fine": fine}),
                 MethodError, "depends on time t")
    # the time step changed after creation so that the input changes within a step
    held = NeuronGroup(1, "dv/dt = (stim(t) - v)/(5*ms) : 1", method="exact",
                       namespace={"stim": stim})
    defaultclock.dt = 0.3 * ms
    raises_jnsim(lambda: Network(held).run(1 * ms), JnsimError,
                 "'stim' constant during a time step", "not a whole multiple")


def test_conditions_as_numbers_in_equations():
    G = NeuronGroup(3, "dx/dt = (v > 0)*1/ms : 1\nv : 1")
    G.v = [-1, 0, 1]
    run(1 * ms)
    np.testing.assert_allclose(G.x_, [0, 0, 1], atol=1e-12)


def test_noise_is_independent_across_neurons():
    G = NeuronGroup(2, "dv/dt = -v/(10*ms) + xi/sqrt(10*ms) : 1")
    M = StateMonitor(G, "v", record=True)
    seed(21)
    run(300 * ms)
    correlation = np.corrcoef(np.diff(M.v_[0]), np.diff(M.v_[1]))[0, 1]
    assert abs(correlation) < 0.05


def test_division_is_floating_point_and_floor_int_behave_like_the_seed_says():
    G = NeuronGroup(4, """
        half = i / 2 : 1
        halved = i // 2 : integer
        floored = floor(i / 2) : 1
        truncated = int(i / 2) : integer
    """)
    assert G.half.magnitude.tolist() == [0, 0.5, 1, 1.5]
    assert G.floored.magnitude.tolist() == [0, 0, 1, 1]


# -- linked variables ---------------------------------------------------------------------

def test_linked_variables_read_the_source_group():
    from jnsim import linked_var

    source = NeuronGroup(2, "dv/dt = -v/(10*ms) : 1")
    source.v = [1, 2]
    reader = NeuronGroup(4, "v : 1 (linked)\ndouble = 2*v : 1")
    reader.v = linked_var(source, "v", index=[0, 0, 1, 1])
    run(10 * ms)
    np.testing.assert_allclose(reader.v_, np.array([1, 1, 2, 2]) * math.exp(-1), rtol=1e-9)
    np.testing.assert_allclose(reader.double.magnitude, 2 * reader.v_)
    same_size = NeuronGroup(2, "v : 1 (linked)")
    same_size.v = linked_var(source.v)
    np.testing.assert_allclose(same_size.v_, source.v_)
    raises_jnsim(lambda: setattr(same_size, "v", 3), JnsimError, "is linked to")
    unlinked = NeuronGroup(4, "w : 1 (linked)")
    raises_jnsim(lambda: setattr(unlinked, "w", linked_var(source, "v")), JnsimError,
                 "without an index")
    raises_jnsim(lambda: Network(unlinked).run(1 * ms), JnsimError,
                 "the linked variable 'w' of", "linked_var")
    plain = NeuronGroup(2, "w : 1")
    raises_jnsim(lambda: setattr(plain, "w", linked_var(source, "v")), JnsimError,
                 "not declared as linked")


def test_linked_variables_are_written_through_and_seen_by_synapses_and_monitors():
    """Brian's semantics (checked against Brian 2.9): code assigning a linked variable
    writes the source; synapses and monitors see the source's values."""
    from jnsim import StateMonitor, Synapses, linked_var

    source = NeuronGroup(3, "v : 1", threshold="True")
    source.v = [1.0, 2.0, 3.0]
    reader = NeuronGroup(3, "x : 1 (linked)\ny : 1", threshold="True", reset="x = x + 10")
    reader.x = linked_var(source, "v")
    copy = Synapses(source, reader, on_pre="y_post = x_post")
    copy.connect(j="i")
    recorded = StateMonitor(reader, "x", record=True)
    Network(source, reader, copy, recorded).run(0.2 * ms)
    np.testing.assert_array_equal(source.v_, [21.0, 22.0, 23.0])  # two resets
    np.testing.assert_array_equal(reader.x_, source.v_)
    np.testing.assert_array_equal(reader.y_, [11.0, 12.0, 13.0])  # read before step 2's reset
    np.testing.assert_array_equal(recorded.x_, [[1.0, 11.0], [2.0, 12.0], [3.0, 13.0]])


def test_linked_variables_with_an_index_or_a_shared_source():
    from jnsim import StateMonitor, Synapses, linked_var

    source = NeuronGroup(3, "v : 1\nscale : 1 (shared)", threshold="True")
    source.v = [1.0, 2.0, 3.0]
    source.scale = 4.0
    picker = NeuronGroup(4, "z : 1 (linked)\ns : 1 (linked)\nw : 1",
                         threshold="i == 0", reset="z = -1\nw = s")
    picker.z = linked_var(source, "v", index=[2, 1, 0, 0])
    picker.s = linked_var(source, "scale")
    recorded = StateMonitor(picker, ["z", "s"], record=True)
    Network(source, picker, recorded).run(0.1 * ms)
    np.testing.assert_array_equal(recorded.z_[:, 0], [3.0, 2.0, 1.0, 1.0])
    np.testing.assert_array_equal(recorded.s_[:, 0], [4.0, 4.0, 4.0, 4.0])
    np.testing.assert_array_equal(source.v_, [1.0, 2.0, -1.0])  # through index[0] = 2
    np.testing.assert_array_equal(picker.w_, [4.0, 0.0, 0.0, 0.0])
    # code outside the group cannot follow the index: a clear error, not zeros
    start_scope()
    inputs = Synapses(source, picker, on_pre="z_post += 1")
    inputs.connect()
    raises_jnsim(lambda: Network(source, picker, inputs).run(0.1 * ms), JnsimError,
                 "'z' of", "linked to", "through an index", "only the group's own code")
    boolean = NeuronGroup(3, "flag : boolean (linked)")
    raises_jnsim(lambda: setattr(boolean, "flag", linked_var(source, "v")), JnsimError,
                 "cannot link 'flag' (boolean)")


def test_refractory_condition_only_ends_refractoriness_as_in_brian():
    """Brian: a condition as refractory period decides when a spiking neuron leaves
    refractoriness; it never makes a neuron refractory that has not spiked."""
    eqs = "dv/dt = (1.2 - v)/(10*ms) : 1 (unless refractory)"
    # v passes 0.5 on its way to the threshold: with Brian's rule that changes nothing,
    # and the neuron fires every tau*ln(1.2/0.2) = 17.9 ms as without refractoriness
    G = NeuronGroup(1, eqs, threshold="v > 1", reset="v = 0", refractory="v > 0.5",
                    method="exact")
    spikes = SpikeMonitor(G)
    Network(G, spikes).run(100 * ms)
    np.testing.assert_allclose(np.diff(spikes.t_), 0.0180, atol=1.5e-4)
    assert spikes.num_spikes == 5
    # reset above the level: the neuron stays refractory (v frozen) after its first spike
    H = NeuronGroup(1, eqs, threshold="v > 1", reset="v = 0.8", refractory="v > 0.5",
                    method="exact")
    spikes_h = SpikeMonitor(H)
    Network(H, spikes_h).run(100 * ms)
    assert spikes_h.num_spikes == 1 and H.v_[0] == 0.8


def test_a_no_op_run_regularly_between_update_and_threshold_changes_no_spike():
    def spike_times(separate):
        start_scope()
        G = NeuronGroup(50, "dv/dt = (1.5 + 0.01*i - v)/(10*ms) : 1 (unless refractory)",
                        threshold="v > 1", reset="v = 0", refractory=3 * ms)
        if separate:
            G.run_regularly("v = v", when="groups")
        spikes = SpikeMonitor(G)
        run(100 * ms)
        return spikes.i.copy(), spikes.t_.copy()

    plain, regular = spike_times(False), spike_times(True)
    assert len(plain[0]) > 100
    assert np.array_equal(plain[0], regular[0]) and np.array_equal(plain[1], regular[1])


def test_kernel_random_numbers_have_the_right_distributions():
    n = 200_000
    G = NeuronGroup(n, """
        u = rand() : 1 (constant over dt)
        z = randn() : 1 (constant over dt)
    """)
    M = StateMonitor(G, ("u", "z"), record=True, dt=0.1 * ms)
    seed(8)
    run(0.2 * ms)  # values of the second step (computed in the first step's update)
    u, z = M.u_[:, 1], M.z_[:, 1]
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 4 * math.sqrt(1 / 12 / n)
    assert abs(u.var() - 1 / 12) < 0.002
    counts = np.histogram(u, bins=20, range=(0, 1))[0]
    chi2 = ((counts - n / 20) ** 2 / (n / 20)).sum()
    assert chi2 < 50  # 19 degrees of freedom: p < 1e-4 beyond ~45
    assert abs(z.mean()) < 4 / math.sqrt(n)
    assert abs(z.var() - 1) < 0.02
    kurtosis = ((z - z.mean()) ** 4).mean() / z.var() ** 2
    assert abs(kurtosis - 3) < 0.1
    assert np.corrcoef(u[:-1], u[1:])[0, 1] < 0.02


# -- reading subexpressions in Python ----------------------------------------------------

def test_reading_subexpressions_that_call_timed_arrays_or_use_the_time_step():
    ta = TimedArray([1, 2, 3] * mV, dt=1 * ms)
    per_neuron = TimedArray([[1, 2], [3, 4]], dt=1 * ms)
    G = NeuronGroup(2, """v = ta(t) : volt
                          u = per_neuron(t, i) : 1
                          k = t_in_timesteps : integer
                          both = 2*k + u : 1""")
    assert np.allclose(G.v[:] / mV, [1, 1])
    assert G.k[:].tolist() == [0, 0]
    assert np.allclose(G.u_, [1, 2])
    run(1.5 * ms)  # the group's time is now 1.5 ms, step 15
    assert np.allclose(G.v[:] / mV, [2, 2])
    assert G.k[:].tolist() == [15, 15]
    assert np.allclose(G.both_, [33, 34])
    assert np.allclose(G[1:].u_, [4])
    M = StateMonitor(G, ["v", "k"], record=0)  # the kernel agrees with the Python value
    run(0.2 * ms)
    assert M.k[0].tolist() == [15, 16]
    assert np.allclose(M.v[0] / mV, [2, 2])
    assert G.k[:].tolist() == [17, 17]


def test_assigning_to_a_subexpression_says_so():
    G = NeuronGroup(3, "v = 2*w : 1\nw : 1")
    G.w = "i"
    for assign in (lambda: setattr(G, "v", 5), lambda: G.v.__setitem__(slice(None), 5),
                   lambda: setattr(G[1:], "v", 5), lambda: setattr(G, "v_", 5)):
        raises_jnsim(assign, JnsimError, "'v' of", "is a subexpression (v = 2*w)",
                     "cannot be set", "declare it as a parameter: 'v : 1'")
    assert np.allclose(G.v_, [0, 2, 4])  # nothing changed
    assert np.allclose(G[1:].v[:], [2, 4])


def test_unit_hint_names_the_variable_the_user_wrote():
    neurons = NeuronGroup(2, "v : volt\ntau : second")
    error = raises_jnsim(lambda: setattr(neurons, "v", 5), UnitError, "no units")
    assert error.hint == "give it units, e.g. neurons.v = 5*mV"
    error = raises_jnsim(lambda: setattr(neurons, "tau", 5), UnitError, "no units")
    assert error.hint == "give it units, e.g. neurons.tau = 5*ms"


# -- shared variables written by code ------------------------------------------------------

def test_run_regularly_writes_shared_variables_once_per_run():
    G = NeuronGroup(3, "I : 1 (shared)\nc : 1 (shared)\nv : 1")
    G.I = 2
    G.run_regularly("I += 1 + c\nc = c + 0.5\nv = I + i", dt=1 * ms)
    run(3 * ms)  # at 0, 1 and 2 ms: I = 3.0, 4.5, 6.5 (c = 0, 0.5, 1.0 before each)
    assert G.I_[0] == pytest.approx(6.5)
    assert G.c_[0] == pytest.approx(1.5)
    assert np.allclose(G.v_, [6.5, 7.5, 8.5])  # per-neuron statements see the new value


def test_shared_variables_follow_brians_rules_in_code():
    G = NeuronGroup(2, "v : 1\nI : 1 (shared)", threshold="v > 1",
                    events={"big": "v > 2"})
    raises_jnsim(lambda: NeuronGroup(2, "v : 1\nc : 1 (shared)", threshold="v > 1",
                                     reset="c += 1"),
                 CodeError, "the reset cannot assign to the shared variable 'c'",
                 "run_regularly")
    raises_jnsim(lambda: G.run_on_event("big", "I = 1"), CodeError,
                 "cannot assign to the shared variable 'I'")
    raises_jnsim(lambda: G.run_regularly("v = 1\nI = 2"), CodeError,
                 "'I' is assigned after the per-element variable 'v'",
                 "put assignments to shared variables first")
    raises_jnsim(lambda: G.run_regularly("I = v"), CodeError,
                 "'I' cannot be set from 'v', which has a value per element")
    raises_jnsim(lambda: G.run_regularly("I += i"), CodeError, "cannot be set from 'i'")
    raises_jnsim(lambda: setattr(G, "I", "v*2"), CodeError, "cannot be set from 'v'")
    G.I = "N + 1"
    assert G.I_[0] == 3


def test_a_monitor_of_a_group_left_out_of_the_network_is_a_clear_error():
    G = NeuronGroup(1, "dv/dt = -v/(10*ms) : 1")
    M = StateMonitor(G, "v", record=0)
    G = NeuronGroup(1, "x : 1")  # the monitored group has no name left
    with pytest.raises(JnsimError) as caught:
        run(1 * ms)
    assert f"{M.name} records" in str(caught.value)
    assert "which is not part of the network" in str(caught.value)
    assert "keep a variable referring to it" in str(caught.value)
    raises_jnsim(lambda: Network(M).run(1 * ms), JnsimError, f"{M.name} records",
                 "add", "to the Network")
    spikes = SpikeMonitor(NeuronGroup(1, "v : 1", threshold="v > 1"))
    raises_jnsim(lambda: Network(G, spikes).run(1 * ms), JnsimError, "not part of the network")
    Network(M, M.source).run(1 * ms)
    assert len(M.t) == 10


def test_shared_constant_over_dt_subexpressions_are_stored_once_per_step():
    G = NeuronGroup(3, """s = 1 + t/ms : 1 (shared, constant over dt)
                          r = rand() : 1 (shared, constant over dt)
                          dx/dt = r/ms : 1
                          doubled = 2*s : 1""")
    M = StateMonitor(G, ["s", "r", "x"], record=True, when="end")
    run(0.3 * ms)
    assert G.s_[0] == pytest.approx(1.2)  # the value of the last step, as the kernel used it
    assert np.allclose(G.doubled_, 2.4)
    assert np.allclose(M.s_[0], [1.0, 1.1, 1.2])
    # one random number per step, the same for every neuron, and the one recorded
    assert np.allclose(M.x_, M.x_[0])
    assert np.allclose(np.diff(M.x_[0]) / 0.1, M.r_[0, 1:])


def test_random_draws_multiplied_by_zero_are_fine():
    """SymPy must not try to evaluate a draw numerically (mpmath has its own rand)."""
    G = NeuronGroup(3, "dv/dt = (rand()*0 + randn()*0 - v)/ms : 1", threshold="rand()*0 > 1",
                    reset="v = rand()*0", method="euler")
    G.v = "rand()*0 + 1"
    Network(G).run(0.2 * ms)
    np.testing.assert_allclose(G.v_, 0.9 ** 2)


def test_a_subgroup_bound_to_a_name_does_not_run_its_group_again():
    """run() collects `sub = G[3:7]` too; the group must still be updated once per step
    (same spike counts as Brian 2.9 for this script)."""
    G = NeuronGroup(10, "dv/dt = (1.1 + 0.05*i - v)/(10*ms) : 1", threshold="v > 1",
                    reset="v = 0", method="exact")
    sub = G[3:7]
    in_sub = SpikeMonitor(sub)
    everywhere = SpikeMonitor(G)
    run(60 * ms)
    assert everywhere.count[:].tolist() == [2, 2, 3, 3, 4, 4, 4, 5, 5, 5]
    assert in_sub.count[:].tolist() == [3, 4, 4, 4]
    # a network given only the subgroup runs its group, once per step
    start_scope()
    H = NeuronGroup(2, "dv/dt = 1/(10*ms) : 1", method="exact")
    net = Network(H[1:])
    net.run(10 * ms)
    np.testing.assert_allclose(H.v_, [1.0, 1.0], rtol=1e-9)


def test_a_linked_variable_of_a_one_element_group_needs_no_index():
    """Brian's non-reliability example links 25 neurons to a 1-neuron input group."""
    from jnsim import linked_var

    source = NeuronGroup(1, "x : 1")
    source.x = 0.7
    reader = NeuronGroup(4, "x_input : 1 (linked)\ny : 1")
    reader.x_input = linked_var(source, "x")
    reader.run_regularly("y = x_input", dt=1 * ms)
    run(1 * ms)
    assert reader.y_.tolist() == [0.7] * 4
    two = NeuronGroup(2, "x : 1")
    raises_jnsim(lambda: setattr(reader, "x_input", linked_var(two, "x")), JnsimError,
                 "without an index")


# -- temporary variables in code blocks -------------------------------------------------

def test_reset_and_run_regularly_temporaries_match_brian():
    """A new name assigned in a code block is a temporary that later statements read.

    Brian 2.9 (numpy target, dt = 0.1 ms) gives c = 2.5, w = [11.5, 14, 16.5] and
    v = 0.5 for this model after run(5*ms) (script in the commit adding this test:
    the same code with ``from brian2 import *``).
    """
    H = NeuronGroup(3, """dv/dt = 1/(2*ms) : 1
                          c : 1 (shared)
                          w : 1""", threshold="v > 1", reset="a = v*2\nv = 0\nw += a")
    H.run_regularly("half = 0.5\nc = c + half\nk = i*half + c\nw = w + k", dt=1 * ms)
    run(5 * ms)
    assert H.c_ == pytest.approx(2.5)
    assert H.w_ == pytest.approx([11.5, 14.0, 16.5])
    assert H.v_ == pytest.approx([0.5, 0.5, 0.5])


def test_run_regularly_scalar_temporary_runs_once_and_random_ones_per_neuron():
    # 'half' reads only constants: it is computed once, before the loop, so a shared
    # variable may be set from it; 'draw' calls rand(): one value per neuron (Brian)
    G = NeuronGroup(200, "c : 1 (shared)\nr : 1")
    G.run_regularly("half = 0.25\nc = 2*half\ndraw = rand()\nr = draw", dt=1 * ms)
    run(1 * ms)
    assert G.c_ == pytest.approx(0.5)
    assert len(set(G.r_.tolist())) == 200
    raises_jnsim(lambda: G.run_regularly("k = r*2\nc = k"), CodeError,
                 "the shared variable 'c' is assigned after the per-element variable 'k'")


def test_run_on_event_temporary():
    G = NeuronGroup(2, "dv/dt = 1/(1*ms) : 1\ncount : 1", threshold="v > 1", reset="v = 0")
    G.run_on_event("spike", "step = 2\ncount += step")
    run(2.55 * ms)
    # spikes after 1.1 ms and 2.2 ms of integration at dt = 0.1 ms
    assert G.count_ == pytest.approx([4, 4])


@pytest.mark.parametrize(("reset", "error", "fragments"), [
    ("y = a + 1\na = 2", CodeError,
     ["line 1, column 5: 'a' is read before it is assigned",
      "the code assigns it on line 2, which makes it a temporary variable"]),
    ("ww += 1", CodeError,
     ["'ww += ...' needs a value of 'ww'", "did you mean 'w'?", "first assigned with '='"]),
    ("a = v\nw = a", UnitError, ["line 2, column 5: cannot assign volt to 'w'"]),
    ("a = 1\na = 2*mV\nw = a", UnitError, ["cannot assign volt to 'a', which is dimensionless"]),
    ("ms = 3", CodeError, ["cannot assign to 'ms'", "the name of a unit"]),
    ("xi_1 = 3", CodeError, ["cannot assign to 'xi_1'", "noise symbol"]),
    ("lastspike = 3*ms", CodeError, ["cannot assign to 'lastspike'", "special symbol"]),
])
def test_temporary_mistakes(reset, error, fragments):
    model = "dv/dt = -v/(10*ms) : volt\nw : 1"
    raises_jnsim(lambda: NeuronGroup(1, model, threshold="v > 1*mV", reset=reset), error,
                 *fragments)


def test_unread_temporary_warns_with_a_hint():
    from jnsim.errors import UnusedTemporaryWarning

    with pytest.warns(UnusedTemporaryWarning, match="assigns 'vv'.*did you mean 'v'") as record:
        NeuronGroup(1, "dv/dt = -v/(10*ms) : volt", threshold="v > 1*mV", reset="vv = 0*mV")
    assert record[0].filename == __file__


# -- noise in subexpressions ------------------------------------------------------------

def test_noise_in_a_subexpression_gives_the_ornstein_uhlenbeck_statistics():
    """Noise written in a subexpression (Spreizer et al. 2019) drives the equation.

    Euler-Maruyama for dv = (mu - v)/tau dt + s*sqrt(tau)/tau dW with dt = tau/100 is
    v' = a*v + b*N(0, 1), a = 1 - dt/tau, b = s*sqrt(dt/tau): stationary mean mu and
    variance b**2/(1 - a**2) = 0.0452261 (reached after 10 tau). Brian 2.9 (numpy
    target, seed(1), the same script with ``from brian2 import *``) gives mean 0.5037
    and variance 0.04369 over its 4000 neurons; the bounds are 5 standard errors.
    """
    seed(3)
    tau = 10 * ms
    G = NeuronGroup(4000, """dv/dt = (noise - v)/tau : 1
                             noise = mu + s*sqrt(tau)*xi_pop : 1
                             mu = 0.5 : 1 (shared)
                             s = 0.3 : 1 (shared)""", method="euler",
                    namespace={"tau": tau})
    run(100 * ms)
    a, b = 0.99, 0.3 * math.sqrt(0.01)
    variance = b**2 / (1 - a**2)
    assert np.mean(G.v_) == pytest.approx(0.5, abs=5 * math.sqrt(variance / 4000))
    assert np.var(G.v_) == pytest.approx(variance, abs=5 * variance * math.sqrt(2 / 4000))


def test_noise_shared_by_two_equations_through_a_subexpression_is_the_same_noise():
    G = NeuronGroup(50, """dv/dt = noise/ms : 1
                           dw/dt = noise/ms : 1
                           noise = sqrt(ms)*xi_1 : 1""", method="euler")
    run(1 * ms)
    assert np.allclose(G.v_, G.w_) and np.std(G.v_) > 0


def test_a_noisy_subexpression_cannot_be_recorded():
    G = NeuronGroup(2, "dv/dt = noise/ms : 1\nnoise = sqrt(ms)*xi : 1", method="euler")
    raises_jnsim(lambda: StateMonitor(G, "noise", record=True), JnsimError,
                 "'noise' of neurongroup", "draws noise ('xi'): it has no value to record")


# -- shared subexpressions reading linked variables -------------------------------------

def test_shared_subexpression_may_read_a_variable_linked_to_one_value():
    """Brette & Guigon (2003) in Brian's examples: 'B = ... x ... : 1 (shared)' with
    'x : 1 (linked)' to a group of one neuron. Brian checks shared subexpressions when the
    group is created, before links exist, so it accepts this; here B = 2*x = 3 for every
    neuron and dv/dt = (B*p - v)/tau integrates exactly to B*p*(1 - exp(-t/tau))."""
    source = NeuronGroup(1, "x : 1")
    source.x = 1.5
    G = NeuronGroup(4, """dv/dt = (B*p - v)/(10*ms) : 1
                          B = 2*x : 1 (shared)
                          p : 1
                          x : 1 (linked)""", method="exact")
    G.x = linked_var(source, "x")
    G.p = "i"
    M = StateMonitor(G, "B", record=0)
    run(5 * ms)
    assert np.allclose(M.B_[0], 3.0)
    expected = 3.0 * np.arange(4) * (1 - math.exp(-0.5))
    assert G.v_ == pytest.approx(expected, rel=1e-9)


def test_shared_subexpression_reading_a_per_element_link_is_refused():
    # Brian runs this but records B from element 0 while the state update uses each
    # element's own x: jnsim refuses the link instead
    source = NeuronGroup(3, "x : 1")
    G = NeuronGroup(3, "B = 2*x : 1 (shared)\nx : 1 (linked)")
    raises_jnsim(lambda: setattr(G, "x", linked_var(source, "x")), JnsimError,
                 "the shared subexpression 'B' of", "reads 'x', so 'x' must be linked to one "
                 "value for all elements", "drop the flag (shared)")
    raises_jnsim(lambda: NeuronGroup(3, "B = 2*y : 1 (shared)\ny : 1"), EquationError,
                 "the shared subexpression 'B' refers to 'y', which has a value per element")


def test_linked_variable_reads_a_subexpression_where_it_is_used():
    """Brian's synapses/homeostatic_stdp_at_inhibitory_synapes.py links ``G : Hz (linked)``
    of synapses to the subexpression ``G = H - gamma`` of a neuron group."""
    from jnsim import Hz, SpikeGeneratorGroup, Synapses

    gamma = 5 * Hz
    tau = 10 * ms
    # explicit names: Brian orders the state updates of one slot by name
    F = NeuronGroup(2, """dH/dt = -H/tau : Hz
                          G = H - gamma + i*Hz : Hz""", method="exact", name="a_source")
    F.H = [10, 20] * Hz
    F1 = NeuronGroup(1, """dH/dt = -H/tau : Hz
                           G = H - gamma + 2*i*Hz : Hz""", method="exact", name="b_source")
    F1.H = 30 * Hz
    L = NeuronGroup(3, """G : Hz (linked)
                          dv/dt = G/(100*Hz)/ms : 1""", method="euler", name="c_reader")
    L.G = linked_var(F, "G", index=[0, 1, 1])
    P = SpikeGeneratorGroup(1, [0, 0, 0], [1, 4, 7] * ms)
    S = Synapses(P, L, """Gx : Hz (linked)
                          w : 1""", on_pre="w += Gx*ms")
    S.connect(j="k for k in range(3)")
    S.Gx = linked_var(F1, "G")
    M = StateMonitor(L, ["G", "v"], record=True)
    MS = StateMonitor(S, ["Gx", "w"], record=[0, 2])
    run(10 * ms)
    # Brian 2.9 (numpy target), the same script
    np.testing.assert_allclose(M.G_[:, -1], [-1.28423309, 3.43153382, 3.43153382],
                               rtol=1e-8)
    np.testing.assert_allclose(np.asarray(M.v)[:, -1], [0.13028643, 0.85457286, 0.85457286],
                               rtol=1e-7)
    np.testing.assert_allclose(MS.Gx_[:, 3], [24.11336601, 24.11336601], rtol=1e-8)
    np.testing.assert_allclose(np.asarray(S.w[:]), [0.04653386] * 3, rtol=1e-6)
    np.testing.assert_allclose(L.G_, [-1.32120559, 3.35758882, 3.35758882],
                               rtol=1e-8)
    assert float(np.mean(np.asarray(M.v))) == pytest.approx(0.3903217368931214, rel=1e-10)
    assert float(np.mean(np.asarray(MS.w))) == pytest.approx(0.03109268535774061, rel=1e-10)
    noisy = NeuronGroup(1, """dH/dt = -H/tau : Hz
                              N_ = H + xi*Hz*sqrt(ms) : Hz""")
    reader = NeuronGroup(1, "N_ : Hz (linked)")
    raises_jnsim(lambda: setattr(reader, "N_", linked_var(noisy, "N_")), JnsimError,
                 "draws noise")


def test_run_regularly_of_a_subgroup_acts_on_its_neurons_only():
    """As in Brian (Izhikevich 2003's example gives the two subgroups different noise):
    i counts from the subgroup's first neuron and N is its size. Brian 2.9 (numpy target)
    gives x = [10, 11, 12, 20, 21, 22] and y = [0, 0, 3, 3, 3, 0] for this script."""
    from jnsim import Network

    group = NeuronGroup(6, "x : 1\ny : 1")
    first = group[:3].run_regularly("x = 10 + i", dt=1 * ms)
    second = group[3:].run_regularly("x = 20 + i", dt=1 * ms)
    third = group[2:5].run_regularly("y = N", dt=1 * ms)
    Network(group).run(1 * ms)
    assert list(group.x[:]) == [10, 11, 12, 20, 21, 22]
    assert list(group.y[:]) == [0, 0, 3, 3, 3, 0]
    assert first is not second is not third


def test_a_group_can_link_to_its_own_variables():
    # a group linked to itself contains itself: collecting the network's objects recursed
    from jnsim import linked_var

    G = NeuronGroup(3, """dv/dt = -v/(10*ms) : 1
                          u : 1 (linked)""", namespace={"ms": ms})
    G.u = linked_var(G, "v", index=[2, 0, 1])
    G.v = [1.0, 2.0, 3.0]
    net = Network(G)
    net.run(1 * ms)
    decay = np.exp(-0.1)
    assert np.allclose(G.v[:], np.array([1.0, 2.0, 3.0]) * decay, rtol=1e-12)
    assert np.allclose(G.u[:], np.array([3.0, 1.0, 2.0]) * decay, rtol=1e-12)


def test_recording_a_subexpression_that_reads_another_with_an_external_constant():
    # I reads a, which reads the external 'limit': the recording needs 'limit' too
    # (Tetzlaff et al. 2015 records such a stimulus; the kernel failed to compile)
    limit = 2
    G = NeuronGroup(4, """du/dt = (-u + I)/(10*ms) : 1
                          index : 1 (constant)
                          a = index < limit : boolean
                          I = int(a)*1.0 : 1""", method="euler",
                    namespace={"ms": ms, "limit": limit})
    G.index = range(4)
    M = StateMonitor(G, "I", record=True)
    Network(G, M).run(0.2 * ms)
    assert M.I[:, -1].tolist() == [1.0, 1.0, 0.0, 0.0]
