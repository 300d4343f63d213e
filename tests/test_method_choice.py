"""The automatic choice of integration method on models whose exact solution is huge.

The homeostatic STDP models below are linear in their state variables, so the exact
method applies in principle; its closed form is too large to derive quickly, and the
choice falls back to Euler (as Brian 2 does: exact, then euler, then heun) instead
of spending minutes in SymPy.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from jnsim import (
    Hz,
    NeuronGroup,
    PoissonGroup,
    SpikeGeneratorGroup,
    StateMonitor,
    Synapses,
    TimedArray,
    defaultclock,
    linked_var,
    ms,
    nS,
    run,
    second,
    start_scope,
)
from jnsim.integration import ODESystem, can_integrate, default_method
from jnsim.integration.linear import MAX_TERMS, expanded_size

#: The weight dynamics of ANNarchy's homeostatic STDP ramp example (Carlson et al. 2013),
#: as clock-driven equations; ``R`` is the post-synaptic firing rate.
HOMEOSTATIC_WEIGHT = """
dltp/dt = -ltp/tau_plus : 1 (clock-driven)
dltd/dt = -ltd/tau_minus : 1 (clock-driven)
K = (R/Rtarget)/(T*(1 + abs(1 - R/Rtarget)*gamma)) : Hz
stdp = ltp*int(lastspike_post >= lastspike_pre) - ltd*int(lastspike_post < lastspike_pre) : 1
dw/dt = (alpha*w*(1 - R/Rtarget) + beta*stdp)*K : 1 (clock-driven)
"""

PARAMETERS = {
    "tau_plus": 20 * ms, "tau_minus": 60 * ms, "A_plus": 0.0002, "A_minus": 0.000066,
    "alpha": 0.1, "beta": 1.0, "gamma": 50.0, "Rtarget": 35 * Hz, "T": 5000 * ms,
    "tau_r": 5000 * ms, "tau_ampa": 5 * ms,
}


@pytest.fixture(autouse=True)
def _fresh_scope():
    start_scope()
    defaultclock.dt = 0.1 * ms
    yield


def homeostatic_weight_neurons(namespace: dict) -> NeuronGroup:
    """The homeostatic weight dynamics in a NeuronGroup; the rate ``R`` and the last
    spike times are parameters."""
    equations = (HOMEOSTATIC_WEIGHT.replace(" (clock-driven)", "")
                 .replace("lastspike_post", "t_last_post_spike")
                 .replace("lastspike_pre", "t_last_pre_spike"))
    return NeuronGroup(1, "R : Hz\nt_last_post_spike : second\nt_last_pre_spike : second"
                       + equations, namespace=namespace)


def homeostatic_weight_system() -> ODESystem:
    """The three homeostatic STDP equations as an ODESystem (R a parameter)."""
    ltp, ltd, w, alpha, beta, gamma, T, R, Rtarget, tau_plus, tau_minus = sympy.symbols(
        "ltp ltd w alpha beta gamma T R Rtarget tau_plus tau_minus", real=True)
    K = (R / Rtarget) / (T * (1 + sympy.Abs(1 - R / Rtarget) * gamma))
    return ODESystem(("ltp", "ltd", "w"), {
        "ltp": -ltp / tau_plus, "ltd": -ltd / tau_minus,
        "w": (alpha * w * (1 - R / Rtarget) + beta * (ltp - ltd)) * K})


@pytest.mark.timeout(30)
def test_exact_refuses_a_solution_too_large_to_derive():
    system = homeostatic_weight_system()
    ok, reason = can_integrate("exact", system)
    assert not ok
    assert reason.startswith("method 'exact' cannot integrate these equations: "
                             "the exact solution is too large to derive")
    assert f"the limit is {MAX_TERMS}" in reason
    assert default_method(system) == "euler"


@pytest.mark.timeout(30)
def test_large_coupled_blocks_fall_back_quickly():
    """A fully coupled block with a different coefficient everywhere: the characteristic
    polynomial of 8 equations alone took a minute to compute."""
    n = 8
    xs = sympy.symbols(f"x0:{n}", real=True)
    a = sympy.symbols(f"a0:{n * n}", real=True)
    drift = {str(x): sum(a[i * n + j] * xs[j] for j in range(n)) for i, x in enumerate(xs)}
    system = ODESystem(tuple(drift), drift)
    assert default_method(system) == "euler"
    assert "too large" in can_integrate("exact", system)[1]


def test_expanded_size_counts_terms_without_expanding():
    x, y, z = sympy.symbols("x y z")
    assert expanded_size(x) == 2  # x / 1
    assert expanded_size((x + y) / z) == 3
    # (x + y + z)**2 has 6 monomials; the bound is exact for distinct symbols
    assert expanded_size((x + y + z) ** 2) == len(sympy.expand((x + y + z) ** 2).args) + 1
    assert expanded_size((x + 1) ** 30 * (y + 1) ** 30) > MAX_TERMS


@pytest.mark.timeout(30)
def test_homeostatic_stdp_synapses_choose_euler():
    """ANNarchy's homeostatic STDP ramp (the report page's example) written for jnsim."""
    namespace = dict(PARAMETERS)
    inputs = NeuronGroup(100, "rates : Hz", threshold="rand() < rates*dt", refractory=0 * ms,
                         namespace=namespace)
    inputs.rates = np.linspace(0.2, 20.0, 100) * Hz
    neuron = NeuronGroup(1, """
        dv/dt = ((0.04*v/mV + 5)*v + 140*mV - u + g_ampa*(-v)/mV)/ms : volt
        du/dt = 0.02*(0.2*v - u)/ms : volt
        dg_ampa/dt = -g_ampa/tau_ampa : volt
        dr/dt = -r/tau_r : Hz
        """, threshold="v >= 30*mV", reset="v = -65*mV; u += 8*mV; r += 1/tau_r",
        refractory=0 * ms, namespace=namespace)
    S = Synapses(inputs, neuron, "R = r_post : Hz" + HOMEOSTATIC_WEIGHT,
                 on_pre="g_ampa_post += w*mV\nltp = A_plus", on_post="ltd = A_minus",
                 namespace=namespace)
    assert S.method == "euler"
    assert neuron.method == "euler"  # the Izhikevich model is not linear
    # the same weight dynamics in a NeuronGroup, with the rate R as a parameter
    assert homeostatic_weight_neurons(namespace).method == "euler"


@pytest.mark.timeout(30)
def test_brian_homeostatic_stdp_at_inhibitory_synapses_chooses_methods():
    """Brian 2's examples/synapses/homeostatic_stdp_at_inhibitory_synapes.py (Zenke et
    al. 2015), built as far as its method choices; G is linked through H (jnsim links
    to state variables, not subexpressions)."""
    gamma, tau_H, population_size = 5 * Hz, 0.1 * second, 1000
    tau_stdp, eta = 20 * ms, 1 * nS * second
    population_spike_rate = TimedArray(np.arange(0, 12.5, 2.5) * Hz, dt=1 * second)
    spike_generators = PoissonGroup(population_size, rates="population_spike_rate(t)")
    global_factor = NeuronGroup(1, "G = H - gamma : Hz\ndH/dt = -H/tau_H : Hz")
    aggregator = Synapses(spike_generators, global_factor,
                          on_pre="H_post += 1/(tau_H * population_size)")
    aggregator.connect()
    times = (np.arange(5) + 0.5) * second
    pre = SpikeGeneratorGroup(1, np.zeros(5, dtype=int), times)
    post = SpikeGeneratorGroup(1, np.zeros(5, dtype=int), times + 1 * ms)
    synapse = Synapses(pre, post, """
        H : Hz (linked)
        G = H - gamma : Hz
        wij : siemens
        dzi/dt = -zi / tau_stdp : 1 (event-driven)
        dzj/dt = -zj / tau_stdp : 1 (event-driven)
        """, on_pre="zi += 1.\nwij += eta * G * zj", on_post="zj += 1.\nwij += eta * G * (zi + 1)")
    synapse.connect(i=0, j=0)
    synapse.H = linked_var(global_factor, "H")
    assert global_factor.method == "exact"
    assert set(synapse.code.event_updates) == {"zi", "zj"}
    assert all(u.method == "exact" for u in synapse.code.event_updates.values())
    del population_spike_rate, eta, tau_stdp  # used by the objects through the namespace


def test_homeostatic_weight_follows_its_exponential_solution():
    """With the traces at zero the weight obeys dw/dt = lambda*w with
    lambda = alpha*K*(1 - R/Rtarget); Euler (the chosen method) tracks exp(lambda*t)."""
    namespace = dict(PARAMETERS, T=50 * ms)
    G = homeostatic_weight_neurons(namespace)
    G.R = 70 * Hz
    G.w = 0.02
    assert G.method == "euler"
    monitor = StateMonitor(G, "w", record=0)
    run(200 * ms)
    R, Rtarget, T = 70.0, 35.0, 0.05
    rate = 0.1 * (R / Rtarget) / (T * (1 + abs(1 - R / Rtarget) * 50.0)) * (1 - R / Rtarget)
    t = np.asarray(monitor.t / second)
    np.testing.assert_allclose(monitor.w[0], 0.02 * np.exp(rate * t), rtol=1e-5)
