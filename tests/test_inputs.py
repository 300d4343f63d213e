"""PoissonGroup, SpikeGeneratorGroup and PoissonInput, checked against known statistics.

Stochastic tests are seeded and compare with the expectation of the process
that the objects define (a Bernoulli trial per neuron and step with
probability ``rate*dt``; a binomial number of input spikes per step), with
bounds of four standard deviations.
"""

import math

import numpy as np
import pytest

from jnsim import (
    CodeError,
    Hz,
    JnsimError,
    NamespaceError,
    Network,
    NeuronGroup,
    PopulationRateMonitor,
    SpikeMonitor,
    StateMonitor,
    UnitError,
    cache_info,
    defaultclock,
    ms,
    mV,
    nA,
    run,
    second,
    seed,
    start_scope,
)
from jnsim.inputs import PoissonGroup, PoissonInput, SpikeGeneratorGroup

from .conftest import raises_jnsim

DT = 1e-4  # seconds


@pytest.fixture(autouse=True)
def _fresh_scope():
    start_scope()
    defaultclock.dt = 0.1 * ms
    yield
    defaultclock.dt = 0.1 * ms


def assert_binomial(count, trials, p, sigmas=4.0):
    """``count`` lies within ``sigmas`` standard deviations of Binomial(trials, p)'s mean."""
    mean = trials * p
    sd = math.sqrt(trials * p * (1 - p))
    assert abs(count - mean) <= sigmas * sd, f"{count} vs {mean} ± {sigmas}×{sd:.3g}"


def interspike_intervals(indices, times):
    """All intervals between consecutive spikes of the same neuron."""
    order = np.lexsort((times, indices))
    indices, times = indices[order], times[order]
    same = indices[1:] == indices[:-1]
    return np.diff(times)[same]


# -- PoissonGroup -----------------------------------------------------------------------

def test_poisson_group_count_isi_and_population_rate():
    seed(11)
    P = PoissonGroup(1000, 20 * Hz)
    spikes = SpikeMonitor(P)
    rate = PopulationRateMonitor(P)
    Network(P, spikes, rate).run(1 * second)
    steps = 10000
    assert_binomial(spikes.num_spikes, 1000 * steps, 20 * DT)
    # every neuron's count is Binomial(steps, p): check the spread over neurons
    per_neuron = spikes.count
    expected_var = steps * 20 * DT * (1 - 20 * DT)
    assert per_neuron.var() == pytest.approx(expected_var, rel=4 * math.sqrt(2 / 999))
    # a Bernoulli process on a grid has geometric intervals: CV = sqrt(1 - p) ≈ 1
    # (intervals seen in a window of 1 s are slightly biased; the bound allows for it)
    isi = interspike_intervals(spikes.i, spikes.t_)
    assert isi.std() / isi.mean() == pytest.approx(math.sqrt(1 - 20 * DT), abs=0.04)
    rates = rate.rate.to("Hz").magnitude
    assert len(rates) == steps
    assert rates.mean() * 1000 * 1.0 == pytest.approx(spikes.num_spikes)
    assert np.all(spikes.i >= 0) and np.all(spikes.i < 1000)


def test_one_rate_per_neuron_and_subgroups():
    seed(12)
    P = PoissonGroup(200, np.r_[np.full(100, 5.0), np.full(100, 50.0)] * Hz)
    L = PoissonGroup(3, [10 * Hz, 20 * Hz, 0.03 * 1 / ms])
    assert np.allclose(L.rates_, [10, 20, 30])
    upper = P[100:]
    assert len(upper) == 100
    assert np.allclose(upper.rates_, 50)
    all_spikes, upper_spikes = SpikeMonitor(P), SpikeMonitor(upper)
    Network(P, L, all_spikes, upper_spikes).run(2 * second)
    counts = all_spikes.count
    assert_binomial(counts[:100].sum(), 100 * 20000, 5 * DT)
    assert_binomial(counts[100:].sum(), 100 * 20000, 50 * DT)
    assert np.array_equal(upper_spikes.count, counts[100:])
    assert upper_spikes.i.min() >= 0 and upper_spikes.i.max() < 100
    # setting through a subgroup, with a string evaluated once (Brian's rule)
    P[:100].rates = "i*Hz"
    assert np.allclose(P.rates_[:100], np.arange(100)) and np.allclose(P.rates_[100:], 50)


def test_string_rates_depending_on_i_t_and_external_names():
    seed(13)
    slope = 200 * Hz / second
    A = PoissonGroup(5, "(1 + i)*20*Hz")
    B = PoissonGroup(200, "slope*t")
    C = PoissonGroup(300, "r0")
    spikes_a, spikes_b, spikes_c = SpikeMonitor(A), SpikeMonitor(B), SpikeMonitor(C)
    net = Network(A, B, C, spikes_a, spikes_b, spikes_c)
    r0 = 10 * Hz
    net.run(1 * second)
    for i, count in enumerate(spikes_a.count):
        assert_binomial(count, 10000, (1 + i) * 20 * DT)
    # the expected count of an inhomogeneous Bernoulli process: sum of r(t_k)*dt
    t_k = np.arange(10000) * DT
    p_k = 200 * t_k * DT
    first = spikes_b.t_ < 0.5
    for window, count in ((p_k[:5000], first.sum()), (p_k[5000:], (~first).sum())):
        mean = 200 * window.sum()
        sd = math.sqrt(200 * (window * (1 - window)).sum())
        assert abs(count - mean) <= 4 * sd
    assert_binomial(spikes_c.num_spikes, 300 * 10000, 10 * DT)
    # reading the rates evaluates the expression at the current time
    assert np.allclose(A.rates.to("Hz").magnitude, [20, 40, 60, 80, 100])
    assert np.allclose(A[1:3].rates.to("Hz").magnitude, [40, 60])
    assert np.allclose(B.rates_, 200.0)
    # a new value of an external name is an argument, not a recompile
    before, first_c = cache_info(), spikes_c.num_spikes
    r0 = 40 * Hz
    net.run(1 * second)
    after = cache_info()
    assert (after.compiled, after.loaded) == (before.compiled, before.loaded)
    assert_binomial(spikes_c.num_spikes - first_c, 300 * 10000, 40 * DT)
    assert r0 and slope


def test_changing_rates_between_runs_does_not_recompile():
    seed(14)
    P = PoissonGroup(500, 10 * Hz)
    spikes = SpikeMonitor(P)
    net = Network(P, spikes)
    net.run(1 * second)
    first = spikes.num_spikes
    assert_binomial(first, 500 * 10000, 10 * DT)
    before = cache_info()
    P.rates = 40 * Hz
    net.run(1 * second)
    after = cache_info()
    assert (after.compiled, after.loaded) == (before.compiled, before.loaded)
    assert_binomial(spikes.num_spikes - first, 500 * 10000, 40 * DT)


def test_seeded_runs_and_store_restore_are_reproducible():
    P = PoissonGroup(50, 100 * Hz)
    spikes = SpikeMonitor(P)
    net = Network(P, spikes)
    net.store()

    def simulate(value):
        net.restore()
        assert spikes.num_spikes == 0 and float(net.t / ms) == 0
        seed(value)
        net.run(20 * ms)
        return spikes.i.copy(), spikes.t_.copy()

    a, b, c = simulate(3), simulate(3), simulate(4)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not (len(a[0]) == len(c[0]) and np.array_equal(a[0], c[0]))
    # rates are part of the stored state
    net.restore()
    P.rates = 5 * Hz
    net.restore()
    assert np.allclose(P.rates_, 100)


def test_poisson_group_mistakes():
    raises_jnsim(lambda: PoissonGroup(10, 5), UnitError, "must be in Hz", "no units",
                 "rates=10*Hz")
    raises_jnsim(lambda: PoissonGroup(10, 5 * mV), UnitError, "units of volt")
    raises_jnsim(lambda: PoissonGroup(10, -5 * Hz), JnsimError, "non-negative", "-5 Hz")
    raises_jnsim(lambda: PoissonGroup(10, [1, 2] * Hz), JnsimError,
                 "has 10 neurons but got 2 rates", "array of 10")
    raises_jnsim(lambda: PoissonGroup(10, [1 * Hz, 2 * mV]), UnitError, "different units")
    raises_jnsim(lambda: PoissonGroup(0, 5 * Hz), JnsimError, "positive integer")
    raises_jnsim(lambda: PoissonGroup(10, "5*mV + i*mV"), UnitError,
                 "'5*mV + i*mV' has units of volt", "^^^^")
    raises_jnsim(lambda: PoissonGroup(10, "5*Hz +"), CodeError)
    P = PoissonGroup(10, 5 * Hz)
    raises_jnsim(lambda: setattr(P, "rates", -1 * Hz), JnsimError, "non-negative")
    raises_jnsim(lambda: setattr(P, "rates", "-i*Hz"), JnsimError, "left unchanged")
    raises_jnsim(lambda: setattr(P, "rates", 3 * mV), UnitError, "must be in Hz")
    raises_jnsim(lambda: setattr(P, "rates", [1, 2] * Hz), JnsimError, "from 2 values")
    assert np.allclose(P.rates_, 5)
    raises_jnsim(lambda: P[3:3], JnsimError, "empty")
    Q = PoissonGroup(10, "(1 + i)*Hz")
    raises_jnsim(lambda: setattr(Q, "rates", 5 * Hz), JnsimError,
                 "given by the expression '(1 + i)*Hz'", "external name")
    raises_jnsim(lambda: setattr(Q[2:4], "rates", 5 * Hz), JnsimError, "cannot be set")
    assert np.allclose(Q[2:4].rates_, [3, 4])
    R = PoissonGroup(10, "rate_not_defined_anywhere")
    raises_jnsim(lambda: Network(R).run(1 * ms), NamespaceError, "rate_not_defined_anywhere")


# -- SpikeGeneratorGroup ------------------------------------------------------------------

def test_spike_generator_emits_exact_times_and_indices():
    indices = [2, 0, 1, 0, 3, 1]
    times = [3.0, 0.3, 1.05, 1.0, 1.0, 7.25] * ms
    G = SpikeGeneratorGroup(4, indices, times)
    coarse = SpikeGeneratorGroup(2, [0, 1], [2.5, 4.0] * ms, dt=1 * ms)
    empty = SpikeGeneratorGroup(2, [], [] * ms)
    spikes, coarse_spikes, no_spikes = SpikeMonitor(G), SpikeMonitor(coarse), SpikeMonitor(empty)
    net = Network(G, coarse, empty, spikes, coarse_spikes, no_spikes)
    net.run(2 * ms)  # a run split in two continues where it stopped
    net.run(8 * ms)
    # each spike comes out in the step whose interval [k*dt, (k+1)*dt) holds its time,
    # in time order and within a step in index order
    assert spikes.i.tolist() == [0, 0, 1, 3, 2, 1]
    assert np.allclose(spikes.t_ * 1e3, [0.3, 1.0, 1.0, 1.0, 3.0, 7.2], atol=1e-9)
    assert spikes.count.tolist() == [2, 2, 1, 1]
    assert coarse_spikes.i.tolist() == [0, 1]
    assert np.allclose(coarse_spikes.t_ * 1e3, [2.0, 4.0])
    assert no_spikes.num_spikes == 0
    assert G.i_.tolist() == [0, 1, 2, 3]
    assert G.indices.tolist() == indices
    assert np.allclose(G.times.to("ms").magnitude, [3.0, 0.3, 1.05, 1.0, 1.0, 7.25])


def test_spike_generator_period_store_restore_and_set_spikes():
    G = SpikeGeneratorGroup(2, [0, 1], [1, 4] * ms, period=10 * ms)
    spikes = SpikeMonitor(G)
    net = Network(G, spikes)
    net.store()
    net.run(15 * ms)
    net.run(20 * ms)
    expected_t = [1, 4, 11, 14, 21, 24, 31, 34]
    assert spikes.i.tolist() == [0, 1] * 4
    assert np.allclose(spikes.t_ * 1e3, expected_t)
    assert float(G.period.to("ms").magnitude) == pytest.approx(10)
    # restore rewinds the pattern too
    net.restore()
    net.run(35 * ms)
    assert np.allclose(spikes.t_ * 1e3, expected_t)
    # new spikes: those already in the past are not emitted; no recompile
    before = cache_info()
    G.set_spikes([1, 0, 1], [20, 38, 41] * ms, period=0 * ms)
    net.run(10 * ms)
    after = cache_info()
    assert (after.compiled, after.loaded) == (before.compiled, before.loaded)
    assert spikes.i.tolist()[8:] == [0, 1]
    assert np.allclose(spikes.t_[8:] * 1e3, [38, 41])
    # a new period; set_spikes without a period keeps the current one
    net.restore()
    G.set_spikes([0], [2] * ms, period=5 * ms)
    net.run(12 * ms)
    assert np.allclose(spikes.t_ * 1e3, [2, 7])
    assert G.indices.tolist() == [0]
    G.set_spikes([1], [1] * ms)
    assert float(G.period.to("ms").magnitude) == pytest.approx(5)


def test_spike_generator_mistakes():
    raises_jnsim(lambda: SpikeGeneratorGroup(3, [0, 1], [1, 2]), UnitError,
                 "must be times", "times=[1, 5.5, 10]*ms")
    raises_jnsim(lambda: SpikeGeneratorGroup(3, [0, 1], [1, 2] * mV), UnitError, "volt")
    raises_jnsim(lambda: SpikeGeneratorGroup(3, [0, 1, 2], [1, 2] * ms), JnsimError,
                 "got 3 indices but 2 times")
    raises_jnsim(lambda: SpikeGeneratorGroup(3, [0, 3], [1, 2] * ms), JnsimError,
                 "index 3 is out of range", "which has 3 neurons", "from 0 to 2")
    raises_jnsim(lambda: SpikeGeneratorGroup(3, [-1, 0], [1, 2] * ms), JnsimError,
                 "index -1 is out of range")
    raises_jnsim(lambda: SpikeGeneratorGroup(3, [0.5, 1], [1, 2] * ms), JnsimError,
                 "must be integers")
    raises_jnsim(lambda: SpikeGeneratorGroup(3, [0, 1], [-1, 2] * ms), JnsimError,
                 "not negative", "-1 ms")
    raises_jnsim(lambda: SpikeGeneratorGroup(3, [1, 1], [1.0, 1.05] * ms), JnsimError,
                 "neuron 1", "twice in one time step", "1 ms and 1.05 ms", "smaller dt")
    raises_jnsim(lambda: SpikeGeneratorGroup(3, [0, 1], [1, 12] * ms, period=10 * ms),
                 JnsimError, "12 ms", "not before the end of the period")
    raises_jnsim(lambda: SpikeGeneratorGroup(3, [0], [1] * ms, period=2.55 * ms), JnsimError,
                 "not a whole multiple of its time step")
    raises_jnsim(lambda: SpikeGeneratorGroup(3, [0], [1] * ms, period=5), UnitError,
                 "period", "must be a time")
    raises_jnsim(lambda: SpikeGeneratorGroup(3, [0], [1] * ms, dt=2), JnsimError,
                 "dt must be a time")
    G = SpikeGeneratorGroup(2, [0, 0], [1.0, 1.5] * ms)
    raises_jnsim(lambda: G.set_spikes([0], [1] * ms, period=-1 * ms), JnsimError,
                 "non-negative")
    raises_jnsim(lambda: G.set_spikes([0, 2], [1, 2] * ms), JnsimError, "index 2")
    assert G.indices.tolist() == [0, 0]  # a failed set_spikes changes nothing
    # two spikes that only collide with a coarser dt are found at run time
    defaultclock.dt = 1 * ms
    raises_jnsim(lambda: Network(G).run(1 * ms), JnsimError, "twice in one time step",
                 "dt = 1 ms")


# -- PoissonInput -------------------------------------------------------------------------

def test_poisson_input_drift_of_an_integrator_and_changes_without_recompiling():
    seed(21)
    w0 = 0.01 * mV
    H = NeuronGroup(200, "dv/dt = 0*volt/second : volt")
    ramp = NeuronGroup(4, "dv/dt = 0*volt/second : volt")
    part = NeuronGroup(10, "dv/dt = 0*volt/second : volt")
    constant = PoissonInput(H, "v", N=50, rate=10 * Hz, weight=0.1 * mV)
    by_index = PoissonInput(ramp, "v", 20, 50 * Hz, "w0*(1 + i)")
    on_part = PoissonInput(part[5:], "v", 20, 50 * Hz, weight=1 * mV)
    run(1 * second)  # run() finds the inputs like any other object
    # drift of a non-leaky integrator: N*rate*T*weight, counts Binomial(N*steps, rate*dt)
    trials, p = 50 * 10000, 10 * DT
    counts = H.v_ / 1e-4
    assert np.allclose(counts, np.round(counts))
    mean_sd = math.sqrt(trials * p * (1 - p) / 200)
    assert abs(counts.mean() - trials * p) <= 4 * mean_sd
    assert counts.var(ddof=1) == pytest.approx(trials * p * (1 - p), rel=4 * math.sqrt(2 / 199))
    assert H.v_.mean() == pytest.approx(50 * 10 * 1.0 * 0.1e-3, abs=4 * mean_sd * 1e-4)
    for i, v in enumerate(ramp.v_):
        assert_binomial(v / ((1 + i) * 1e-5), 20 * 10000, 50 * DT)
    assert np.all(part.v_[:5] == 0)
    for v in part.v_[5:]:
        assert_binomial(v / 1e-3, 20 * 10000, 50 * DT)
    assert by_index.weight == "w0*(1 + i)"
    # N, rate and numeric weights are arguments: changing them does not recompile
    before = cache_info()
    start = ramp.v_.copy()
    w0 = 0.02 * mV
    by_index.N = 40
    by_index.rate = 25 * Hz
    run(1 * second)
    after = cache_info()
    assert (after.compiled, after.loaded) == (before.compiled, before.loaded)
    for i, v in enumerate(ramp.v_ - start):
        assert_binomial(v / ((1 + i) * 2e-5), 40 * 10000, 25 * DT)
    assert w0 and constant and on_part


def test_poisson_input_mistakes():
    G = NeuronGroup(3, """dv/dt = -v/(10*ms) : volt
                          I = v/(100*Mohm) : amp
                          k : integer""")
    raises_jnsim(lambda: PoissonInput(G, "v", 10, 5 * Hz, 1 * nA), UnitError,
                 "has units of amp", "'v' of neurongroup", "units of volt")
    raises_jnsim(lambda: PoissonInput(G, "v", 10, 5 * Hz, 1), UnitError, "no units")
    raises_jnsim(lambda: PoissonInput(G, "v", 10, 5 * Hz, "2*nA*(1 + i)"), UnitError,
                 "must have units of volt", "'2*nA*(1 + i)' has units of amp")
    raises_jnsim(lambda: PoissonInput(G, "v", 10, 5 * mV, 1 * mV), UnitError,
                 "rate of", "must be in Hz")
    raises_jnsim(lambda: PoissonInput(G, "u", 10, 5 * Hz, 1 * mV), JnsimError,
                 "no variable 'u'", "v")
    raises_jnsim(lambda: PoissonInput(G, "I", 10, 5 * Hz, 1 * nA), JnsimError)
    raises_jnsim(lambda: PoissonInput(G, "k", 10, 5 * Hz, 1), JnsimError,
                 "not a floating point variable")
    raises_jnsim(lambda: PoissonInput(G, "v", -1, 5 * Hz, 1 * mV), JnsimError,
                 "non-negative integer")
    raises_jnsim(lambda: PoissonInput(G, "v", 10, 5 * Hz, [1, 2] * mV), JnsimError,
                 "one value")
    raises_jnsim(lambda: PoissonInput(G, "v", 10, 5 * Hz, 1 * mV, when="later"), JnsimError,
                 "'later' is not a slot of a time step", "synapses", "after_thresholds")
    raises_jnsim(lambda: PoissonInput(G, "v", 10.5, 5 * Hz, 1 * mV), JnsimError,
                 "non-negative integer, not 10.5")
    raises_jnsim(lambda: PoissonInput("G", "v", 10, 5 * Hz, 1 * mV), JnsimError,
                 "needs a NeuronGroup")
    fast = PoissonInput(G, "v", 10, 20000 * Hz, 1 * mV)
    raises_jnsim(lambda: Network(G, fast).run(1 * ms), JnsimError, "too high", "rate*dt = 2")


def test_binomial_input_is_reproducible_under_seed_whatever_ran_in_between():
    """PoissonInput draws from Numba's generator, seeded lazily before the first
    kernel that uses it: runs in between that do not use it change nothing."""

    def simulate(value, unrelated_run_first):
        start_scope()
        seed(value)
        if unrelated_run_first:
            other = NeuronGroup(5, "dv/dt = -v/(5*ms) + 0.3*xi/sqrt(ms) : 1", method="euler")
            Network(other).run(2 * ms)
        G = NeuronGroup(20, "dv/dt = -v/(10*ms) : 1")
        inputs = PoissonInput(G, "v", 50, 200 * Hz, weight=0.01)
        M = StateMonitor(G, "v", record=True)
        Network(G, inputs, M).run(5 * ms)
        return M.v_.copy()

    direct, after_other, other_seed = simulate(7, False), simulate(7, True), simulate(8, False)
    assert np.array_equal(direct, after_other)
    assert not np.array_equal(direct, other_seed)
    assert np.all(direct[:, -1] > 0)


def test_restore_random_state_repeats_a_stochastic_run_exactly():
    """Brian's restore(restore_random_state=True): every generator (kernel draws, noise,
    binomial inputs, string expressions) returns to its stored state."""
    seed(5)
    G = NeuronGroup(30, "dv/dt = -v/(10*ms) + 0.5*xi/sqrt(ms) : 1", threshold="rand() < 0.01",
                    reset="v = 0", method="euler")
    inputs = PoissonInput(G, "v", 20, 100 * Hz, weight=0.05)
    spikes = SpikeMonitor(G)
    net = Network(G, inputs, spikes)
    net.store()

    def simulate(repeat_randomness):
        net.restore(restore_random_state=repeat_randomness)
        G.v = "0.1*rand()"
        net.run(20 * ms)
        return G.v_.copy(), spikes.i.copy()

    first, repeated = simulate(True), simulate(True)
    np.testing.assert_array_equal(first[0], repeated[0])
    np.testing.assert_array_equal(first[1], repeated[1])
    fresh = simulate(False)  # by default the generators go on, as in Brian
    assert not np.array_equal(first[0], fresh[0])


def test_poisson_group_run_regularly_sets_numeric_rates():
    """frompapers/Wang_2002.py switches stimulus rates on and off with
    ``stiminputE1.run_regularly("rates = int(t > stim_on and t < stim_off) * ...")``."""
    seed(11)
    stim_on, stim_off = 20 * ms, 80 * ms
    P = PoissonGroup(200, rates=0 * Hz)
    P.run_regularly("rates = int(t > stim_on and t < stim_off) * (50*Hz + i*0.5*Hz)",
                    dt=10 * ms)
    M = SpikeMonitor(P)
    run(55 * ms)
    # set at t = 50 ms: on for every neuron
    np.testing.assert_allclose(P.rates_, 50 + 0.5 * np.arange(200))
    run(45 * ms)
    assert np.all(P.rates_ == 0)  # set to 0 at t = 80 ms and 90 ms
    times = M.t_
    # on from the update at 30 ms (t > 20 ms is false at 20 ms) to the one at 80 ms
    assert times.min() >= 0.030 - 1e-9 and times.max() < 0.080 - 1e-9
    # a Bernoulli trial per neuron and step: mean rate 99.75 Hz over 50 ms
    p = (50 + 0.5 * np.arange(200)) * DT
    expected, sd = 500 * p.sum(), math.sqrt(500 * (p * (1 - p)).sum())
    assert abs(M.num_spikes - expected) < 4 * sd
    raises_jnsim(lambda: PoissonGroup(2, rates="10*Hz").run_regularly("rates = 5*Hz"),
                 JnsimError, "cannot assign them")


def test_timed_array_values_and_dt_read_as_in_brian():
    # Brian's TimedArray keeps .values as a plain array in SI and .dt as seconds
    # (synapses/spike_based_homeostasis.py plots them)
    from jnsim import Hz, TimedArray, second

    stimulus = TimedArray([25 * Hz, 50 * Hz, 0 * Hz], dt=10 * second)
    assert isinstance(stimulus.values, np.ndarray)
    assert stimulus.values.tolist() == [25.0, 50.0, 0.0]
    assert stimulus.dt == 10.0 and isinstance(stimulus.dt, float)
    times = np.arange(0.0, len(stimulus.values) * stimulus.dt, stimulus.dt)
    assert times.tolist() == [0.0, 10.0, 20.0]
