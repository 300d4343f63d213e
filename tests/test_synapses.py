"""Synapses: connection forms, delays, pathways, summed and event-driven variables."""

import math

import numpy as np
import pytest

from jnsim import (
    CodeError,
    EquationError,
    JnsimError,
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    UnitError,
    defaultclock,
    ms,
    mV,
    nS,
    run,
    seed,
    start_scope,
)

from .conftest import raises_jnsim


@pytest.fixture(autouse=True)
def _fresh_scope():
    start_scope()
    defaultclock.dt = 0.1 * ms
    yield


def pairs(S):
    return sorted(zip(S.i.tolist(), S.j.tolist(), strict=True))


def groups(n_pre=5, n_post=5):
    return NeuronGroup(n_pre, "x : 1"), NeuronGroup(n_post, "y : 1")


# -- connect forms ------------------------------------------------------------------

def test_connect_all_to_all_and_condition():
    G, H = groups(3, 4)
    S = Synapses(G, H)
    S.connect()
    assert len(S) == 12
    S2 = Synapses(G, H)
    S2.connect("i != j")
    assert pairs(S2) == [(i, j) for i in range(3) for j in range(4) if i != j]
    S3 = Synapses(G, G)
    S3.connect(condition="abs(i - j) == 1")
    assert pairs(S3) == [(0, 1), (1, 0), (1, 2), (2, 1)]


def test_connect_explicit_indices():
    G, H = groups()
    S = Synapses(G, H)
    S.connect(i=[0, 2, 4], j=[1, 1, 3])
    assert pairs(S) == [(0, 1), (2, 1), (4, 3)]
    S.connect(i=1, j=0)
    assert len(S) == 4
    raises_jnsim(lambda: S.connect(i=[0, 9], j=[0, 0]), JnsimError, "outside [0, 5)")
    raises_jnsim(lambda: S.connect(i=[0.5], j=[0]), JnsimError, "integer indices")


def test_connect_one_to_one_and_generators():
    G, H = groups()
    S = Synapses(G, H)
    S.connect(j="i")
    assert pairs(S) == [(k, k) for k in range(5)]
    S2 = Synapses(G, H)
    S2.connect(j="k for k in range(i-1, i+2) if 0 <= k < N_post")
    assert pairs(S2) == [(i, j) for i in range(5) for j in range(i - 1, i + 2) if 0 <= j < 5]
    S3 = Synapses(G, H)
    S3.connect(j="k for k in range(i-1, i+2)", skip_if_invalid=True)
    assert pairs(S3) == pairs(S2)
    S4 = Synapses(G, H)
    raises_jnsim(lambda: S4.connect(j="k for k in range(i-1, i+2)"), JnsimError,
                 "gives j=-1 for i=0", "skip_if_invalid=True")
    S5 = Synapses(G, H)
    S5.connect(i="k for k in range(j, j+1)")
    assert pairs(S5) == [(k, k) for k in range(5)]
    S6 = Synapses(G, H)
    seed(1)
    S6.connect(j="k for k in sample(N_post, size=2)")
    assert len(S6) == 10 and all(np.bincount(S6.i, minlength=5) == 2)


def test_connect_probability_statistics():
    G, H = groups(200, 300)
    seed(3)
    S = Synapses(G, H)
    S.connect(p=0.1)
    expected, sd = 6000, math.sqrt(60000 * 0.1 * 0.9)
    assert abs(len(S) - expected) < 4 * sd
    assert len(set(zip(S.i.tolist(), S.j.tolist(), strict=True))) == len(S)  # no duplicates
    assert np.all(np.diff(S.i) >= 0)  # sorted by source
    # condition combined with a constant p
    S2 = Synapses(G, H)
    S2.connect("j < 100", p=0.5)
    assert S2.j.max() < 100 and abs(len(S2) - 10000) < 4 * math.sqrt(20000 * 0.25)
    # p as an expression
    S3 = Synapses(G, H)
    S3.connect(p="0.5 * (j < 150)")
    assert S3.j.max() < 150 and abs(len(S3) - 15000) < 4 * math.sqrt(30000 * 0.25)


def test_connect_several_synapses_per_pair():
    G, H = groups(2, 2)
    S = Synapses(G, H)
    S.connect(n=3)
    assert len(S) == 12
    S2 = Synapses(G, H)
    S2.connect(n="i + 1")
    assert len(S2) == 2 * 1 + 2 * 2


@pytest.mark.parametrize(("kwargs", "error", "fragment"), [
    ({"condition": "i + j"}, CodeError, "connection condition must be a condition"),
    ({"condition": "x_pre > 1*mV"}, UnitError, "cannot compare"),
    ({"condition": "z_post > 0"}, JnsimError, "no variable 'z'"),
    ({"p": 2.0}, JnsimError, "must lie in [0, 1]"),
    ({"p": "1*mV"}, UnitError, "must have no units"),
    ({"condition": 3}, JnsimError, "condition string"),
    ({"j": "k for k in items(3)"}, CodeError, "range(...) or sample(...)"),
])
def test_bad_connect_calls(kwargs, error, fragment):
    G, H = groups()
    S = Synapses(G, H)
    with pytest.raises((error, JnsimError)) as caught:
        S.connect(**kwargs)
    assert fragment in str(caught.value) or isinstance(caught.value, error)


def test_connection_by_pre_and_post_variables():
    G, H = groups(4, 4)
    G.x = "i"
    H.y = "3 - i"
    S = Synapses(G, H)
    S.connect("x_pre == y_post")
    assert pairs(S) == [(0, 3), (1, 2), (2, 1), (3, 0)]


# -- synaptic variables ------------------------------------------------------------------

def test_synaptic_variables_from_strings():
    G, H = groups(3, 3)
    S = Synapses(G, H, "w : siemens")
    S.connect()
    S.w = "(i * 3 + j) * nS"
    assert np.allclose(S.w / nS, np.arange(9))
    S.w["i == 1"] = 0 * nS
    assert np.allclose(S.w_[3:6], 0)
    assert S[1, 2].tolist() == [5]
    raises_jnsim(lambda: setattr(S, "w", 1), UnitError, "no units")


# -- propagation ---------------------------------------------------------------------

def _one_spike_source(times_ms):
    """A neuron that spikes exactly at the given times (multiples of dt)."""
    condition = " or ".join(f"abs(t - {time}*ms) < 0.5*dt" for time in times_ms)
    return NeuronGroup(1, "", threshold=condition)


def test_on_pre_with_scalar_delay_arrives_exactly_delay_later():
    source = _one_spike_source([1.0, 5.0])
    target = NeuronGroup(1, "x : 1")
    S = Synapses(source, target, "w : 1", on_pre="x_post += w", delay=2.5 * ms)
    S.connect()
    S.w = 2
    M = StateMonitor(target, "x", record=0)
    run(10 * ms)
    changes = M.t_[np.flatnonzero(np.diff(M.x_[0])) + 1] * 1e3
    np.testing.assert_allclose(changes, [3.6, 7.6], atol=1e-9)  # visible one step later
    assert target.x_[0] == 4


def test_heterogeneous_delays():
    source = _one_spike_source([1.0])
    target = NeuronGroup(3, "x : 1")
    S = Synapses(source, target, on_pre="x_post += 1")
    S.connect(j="k for k in range(3)")
    S.delay = "j * 1*ms"
    M = StateMonitor(target, "x", record=True)
    run(6 * ms)
    for k in range(3):
        first = M.t_[np.argmax(M.x_[k] > 0)] * 1e3
        assert first == pytest.approx(1.1 + k, abs=1e-9)
    assert target.x_.tolist() == [1, 1, 1]
    raises_jnsim(lambda: setattr(S, "delay", -1 * ms), JnsimError, "must not be negative")


def test_multi_statement_pathways_and_on_post():
    pre = _one_spike_source([1.0])
    post = _one_spike_source([2.0])
    target = NeuronGroup(1, "x : 1\ny : 1")
    S = Synapses(pre, target, "w : 1\nhits : 1", on_pre="""
        x_post += w
        hits += 1
        w *= 2
    """)
    S.connect()
    S.w = 1.5
    S2 = Synapses(target, post, "c : 1", on_pre="c += 100", on_post="c += 1; y_pre += 10")
    S2.connect()
    run(5 * ms)
    assert target.x_[0] == 1.5 and S.hits_[0] == 1 and S.w_[0] == 3
    assert S2.c_[0] == 1 and target.y_[0] == 10


def test_summed_variable():
    G = NeuronGroup(3, "g : 1")
    H = NeuronGroup(2, "total : 1")
    S = Synapses(G, H, "w : 1\ntotal_post = w * g_pre : 1 (summed)")
    S.connect()
    G.g = [1, 2, 3]
    S.w = "j + 1"
    run(0.2 * ms)
    assert H.total_.tolist() == [6, 12]


def test_clock_driven_synaptic_equation():
    G, H = groups(1, 1)
    S = Synapses(G, H, "dz/dt = -z/(10*ms) : 1 (clock-driven)")
    S.connect()
    S.z = 1
    run(10 * ms)
    assert S.z_[0] == pytest.approx(math.exp(-1), rel=1e-9)


def test_event_driven_stdp_pair_by_hand():
    """One pre spike at 2 ms, one post spike at 7 ms: the hand-computed weight change."""
    taupre = taupost = 20 * ms
    Apre, Apost = 0.01, -0.0105
    pre = _one_spike_source([2.0])
    post = _one_spike_source([7.0])
    S = Synapses(pre, post, """
        w : 1
        dapre/dt = -apre/taupre : 1 (event-driven)
        dapost/dt = -apost/taupost : 1 (event-driven)
    """, on_pre="apre += Apre; w = clip(w + apost, 0, 1)",
        on_post="apost += Apost; w = clip(w + apre, 0, 1)")
    S.connect()
    S.w = 0.5
    run(10 * ms)
    expected = 0.5 + 0.01 * math.exp(-5 / 20)
    assert S.w_[0] == pytest.approx(expected, rel=1e-12)
    assert S.apre_[0] == pytest.approx(0.01 * math.exp(-5 / 20), rel=1e-12)
    assert S.lastupdate_[0] == pytest.approx(0.007)


# -- errors at creation -----------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "error", "fragments"), [
    ({"model": "w : 1", "on_pre": "z_post += w"}, CodeError,
     ["cannot assign to 'z_post'"]),
    ({"model": "w : 1", "on_pre": "y_post += 1*mV"}, UnitError, ["cannot assign volt"]),
    ({"model": "w : 1", "on_pre": "w = v_pre"}, EquationError, ["no variable 'v'"]),
    ({"model": "w : 1 (unless refractory)"}, EquationError, ["cannot qualify a parameter"]),
    ({"model": "dx/dt = -x/ms : 1 (unless refractory)"}, EquationError,
     ["only neuron groups have a refractory"]),
])
def test_synapse_mistakes_at_creation(kwargs, error, fragments):
    G, H = groups()
    raises_jnsim(lambda: Synapses(G, H, **kwargs), error, *fragments)


def test_store_restore_keeps_spikes_in_flight():
    source = _one_spike_source([1.0])
    target = NeuronGroup(1, "x : 1")
    S = Synapses(source, target, on_pre="x_post += 1", delay=3 * ms)
    S.connect()
    net = Network(source, target, S)
    net.run(2 * ms)
    net.store()
    net.run(3 * ms)
    assert target.x_[0] == 1
    net.restore()
    assert target.x_[0] == 0
    net.run(3 * ms)
    assert target.x_[0] == 1


def test_restore_returns_to_the_stored_connections_and_keeps_an_unchanged_layout():
    source = _one_spike_source([1.0])
    target = NeuronGroup(3, "x : 1")
    S = Synapses(source, target, on_pre="x_post += 1")
    S.connect(i=0, j=0)
    net = Network(source, target, S)
    net.store()
    net.run(2 * ms)
    layout = S.code._csr
    assert layout is not None and target.x_.tolist() == [1, 0, 0]
    net.restore()
    assert S.code._csr is layout  # same connections: nothing to rebuild
    S.connect(i=0, j=2)
    net.run(2 * ms)
    assert target.x_.tolist() == [1, 0, 1]
    net.restore()  # back to one synapse
    assert S.N == 1 and S.code._csr is None
    net.run(2 * ms)
    assert target.x_.tolist() == [1, 0, 0]


def test_small_cuba_network_fires_at_a_plausible_rate():
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    eqs = """
        dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
        dge/dt = -ge/taue : volt
        dgi/dt = -gi/taui : volt
    """
    P = NeuronGroup(1000, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                    method="exact")
    seed(2)
    P.v = "Vr + rand() * (Vt - Vr)"
    we, wi = (60 * 0.27 / 10) * mV, (-20 * 4.5 / 10) * mV
    Ce = Synapses(P[:800], P, on_pre="ge += we")
    Ci = Synapses(P[800:], P, on_pre="gi += wi")
    Ce.connect(p=0.08)
    Ci.connect(p=0.08)
    spikes = SpikeMonitor(P)
    run(300 * ms)
    rate = spikes.num_spikes / 1000 / 0.3
    assert 2 < rate < 60


def test_event_driven_variables_are_left_out_of_the_state_update():
    """Without events an event-driven variable keeps its value (it is only readable)."""
    G, H = groups(1, 1)
    S = Synapses(G, H, "da/dt = -a/(1*ms) : 1 (event-driven)\ndc/dt = -c/(1*ms) : 1",
                 on_pre="a += 1")
    S.connect()
    S.a = 1
    S.c = 1
    run(5 * ms)
    assert S.a_[0] == 1  # no event reached it
    assert S.c_[0] == pytest.approx(math.exp(-5), rel=1e-9)  # clock-driven, decayed


def test_subexpressions_of_other_groups_are_read_and_misspellings_named():
    G = NeuronGroup(2, "v : 1", threshold="True")
    H = NeuronGroup(2, "u : 1\nI = 2*u + i + N : 1")
    H.u = [1.0, 2.0]
    S = Synapses(G, H, on_pre="v_pre += I_post")
    S.connect(j="i")
    Network(G, H, S).run(0.1 * ms)
    np.testing.assert_array_equal(G.v_, [2 * 1 + 0 + 2, 2 * 2 + 1 + 2])  # i is j, N is N_post
    raises_jnsim(lambda: Synapses(G, H, on_pre="v_pre += II_post"), EquationError,
                 "the post-synaptic group has no variable 'II'", "did you mean 'I_post'?")
    # through subgroups, i and N keep the meaning they have in the group (Brian 2.9 gives
    # the same 502, 503)
    source = NeuronGroup(5, "x : 1\nJ = i*1.0 + N*100 : 1", threshold="True")
    target = NeuronGroup(5, "y : 1")
    through = Synapses(source[2:4], target[1:3], on_pre="y_post = J_pre")
    through.connect(j="i")
    Network(source, target, through).run(0.1 * ms)
    assert target.y_.tolist() == [0.0, 502.0, 503.0, 0.0, 0.0]


# -- summed variables sharing a target -----------------------------------------------------

def test_two_summed_variables_into_one_target_variable_is_an_error():
    A = NeuronGroup(1, "v : 1")
    B = NeuronGroup(4, "x : 1")
    S1 = Synapses(A, B, "x_post = 1 : 1 (summed)", name="first")
    S1.connect()
    S2 = Synapses(A, B, "x_post = 10 : 1 (summed)", name="second")
    S2.connect()
    with pytest.raises(JnsimError) as caught:
        run(0.1 * ms)
    assert ("the summed variables 'x_post' of first and 'x_post' of second both set 'x'"
            in str(caught.value))
    assert "sum into separate variables" in str(caught.value)
    raises_jnsim(lambda: Network(S1, S2).run(0.1 * ms), JnsimError, "both set 'x'")


def test_summed_variables_may_target_non_overlapping_subgroups():
    A = NeuronGroup(2, "v : 1")
    B = NeuronGroup(4, "x : 1")
    S1 = Synapses(A, B[:2], "x_post = 1 : 1 (summed)")
    S1.connect()
    S2 = Synapses(A, B[2:], "x_post = 10 : 1 (summed)")
    S2.connect()
    run(0.1 * ms)
    assert B.x_.tolist() == [2, 2, 20, 20]
    S3 = Synapses(A, B[1:3], "x_post = 100 : 1 (summed)")
    S3.connect()
    raises_jnsim(lambda: Network(S1, S2, S3).run(0.1 * ms), JnsimError, "both set 'x'")


def test_summed_variables_cannot_target_shared_or_internal_variables():
    A = NeuronGroup(2, "v : 1")
    B = NeuronGroup(3, "x : 1 (shared)")
    raises_jnsim(lambda: Synapses(A, B, "x_post = 1 : 1 (summed)"), EquationError,
                 "cannot write the shared variable 'x'")
    raises_jnsim(lambda: Synapses(A, B, "i_post = 1 : 1 (summed)"), EquationError,
                 "cannot write 'i'", "maintained by jnsim")


def test_pathway_code_cannot_assign_shared_variables():
    G = NeuronGroup(2, "v : 1\nI : 1 (shared)", threshold="v > 1")
    for code in ("q += 1", "I_post += 1", "I += 1", "I_pre = 0"):
        raises_jnsim(lambda code=code: Synapses(G, G, "q : 1 (shared)", on_pre=code),
                     CodeError, "the on_pre code cannot assign to the shared variable",
                     "runs for single synapses")


# -- delays of named pathways ----------------------------------------------------------------

def test_delay_of_custom_pathways():
    source = _one_spike_source([1.0])
    target = NeuronGroup(2, "x : 1\ny : 1")
    S = Synapses(source, target, on_pre={"fast": "x_post += 1", "slow": "y_post += 1"})
    S.connect(j="k for k in range(2)")
    raises_jnsim(lambda: setattr(S, "delay", 2 * ms), JnsimError,
                 "several pre-synaptic pathways (fast, slow)", "S.fast.delay = 2*ms",
                 "delay={'fast': 2*ms")
    raises_jnsim(lambda: S.delay, JnsimError, "does not say which one")
    raises_jnsim(lambda: Synapses(source, target, on_pre={"a": "x += 1", "b": "y += 1"},
                                  delay=1 * ms), JnsimError, "a single delay=")
    S.fast.delay = 2 * ms
    S.slow.delay = "j * 1*ms"
    S.slow.delay[0] = 3 * ms
    raises_jnsim(lambda: setattr(S.slow, "delay", -1 * ms), JnsimError, "must not be negative")
    assert np.allclose(S.fast.delay[:] / ms, [2, 2])
    assert np.allclose(S.slow.delay[:] / ms, [3, 1])
    M = StateMonitor(target, ["x", "y"], record=True)
    run(6 * ms)
    arrival = {name: [M.t_[np.argmax(getattr(M, f"{name}_")[k] > 0)] * 1e3 for k in range(2)]
               for name in ("x", "y")}
    assert arrival["x"] == pytest.approx([3.1, 3.1], abs=1e-9)  # visible one step later
    assert arrival["y"] == pytest.approx([4.1, 2.1], abs=1e-9)


def test_delay_means_the_only_presynaptic_pathway():
    source = _one_spike_source([1.0])
    target = NeuronGroup(1, "x : 1")
    S = Synapses(source, target, on_pre={"excite": "x_post += 1"}, on_post="x_post += 0")
    S.connect()
    S.delay = 2 * ms
    assert np.allclose(S.delay[:] / ms, [2])
    assert np.allclose(S.excite.delay[:] / ms, [2])
    error = raises_jnsim(lambda: setattr(S, "delay", 2), UnitError, "no units")
    assert error.hint == "give it units, e.g. S.excite.delay = 5*ms"
    only_post = Synapses(source, target, on_post="x_post += 1")
    raises_jnsim(lambda: setattr(only_post, "delay", 1 * ms), JnsimError,
                 "no pathway triggered by pre-synaptic spikes", "only_post.<pathway>.delay")


def test_constant_over_dt_subexpressions_of_synapses_are_computed_and_stored():
    G = NeuronGroup(2, "v : 1")
    S = Synapses(G, G, """r = rand() : 1 (constant over dt)
                          dw/dt = r/ms : 1 (clock-driven)
                          c = 1 + t/ms : 1 (shared, constant over dt)""")
    S.connect()
    M = StateMonitor(S, ["r", "w", "c"], record=True, when="end")
    run(0.3 * ms)
    assert np.allclose(np.diff(M.w_, axis=1) / 0.1, M.r_[:, 1:])  # the value used is kept
    assert len(set(np.round(M.r_[:, 1], 12))) == 4  # one draw per synapse
    assert np.allclose(M.c_[0], [1.0, 1.1, 1.2])
    raises_jnsim(lambda: setattr(S, "r", 1), JnsimError, "is a subexpression")


def test_synapse_code_reads_subexpressions_of_the_connected_groups():
    """As in Brian (checked against Brian 2.9): ``I_pre``, ``I_post`` and plain ``I2`` of
    the target; constants of a subexpression come from its group's namespace."""
    from jnsim import TimedArray

    source = NeuronGroup(3, """v : volt
                               g : siemens
                               I = g*(E - v) : amp
                               double = 2*v : volt""", threshold="True",
                         namespace={"E": -70 * mV})
    source.v = [-60, -50, -40] * mV
    source.g = [1, 2, 3] * nS
    target = NeuronGroup(3, "y : amp\nz : volt\nI2 = 2*y : amp")
    E = 0 * mV  # another E where the synapses are created: not the one used
    S = Synapses(source, target, "w : 1", on_pre="y_post = I_pre\nz = double_pre + I2*ohm")
    S.connect(j="i")
    Network(source, target, S).run(0.1 * ms)
    expected_y = np.array([1, 2, 3]) * 1e-9 * (np.array([-70, -70, -70]) - [-60, -50, -40]) * 1e-3
    np.testing.assert_allclose(target.y_, expected_y, rtol=1e-12)
    np.testing.assert_allclose(target.z_, 2 * np.array([-60, -50, -40]) * 1e-3
                               + 2 * expected_y, rtol=1e-12)
    # a subexpression is read, never written, and a summed variable needs a parameter
    raises_jnsim(lambda: Synapses(source, target, on_pre="I_pre = 0*amp"), CodeError,
                 "cannot assign to 'I_pre'", "a subexpression of the pre-synaptic group")
    raises_jnsim(lambda: Synapses(source, target, "I2_post = w*amp : amp (summed)\nw : 1"),
                 EquationError, "'I2' of the post-synaptic group is a subexpression")
    drive = TimedArray([1.0, 2.0], dt=1 * ms)
    driven = NeuronGroup(3, "u = drive(t)*mV : volt", namespace={"drive": drive})
    raises_jnsim(lambda: Synapses(source, driven, "x : volt", on_pre="x = u_post"),
                 EquationError, "cannot read 'u_post'", "external function 'drive'",
                 "constant over dt")


def test_brian_style_synapse_indexing_fan_counts_and_values_at_spikes():
    """S.w[i, j], S.w[i, j, k], S.N_incoming, SpikeMonitor.values / all_values, as Brian
    2.9 gives them for the same script."""
    G = NeuronGroup(4, "dv/dt = (1.1 + 0.1*i - v)/(10*ms) : 1", threshold="v > 1",
                    reset="v = 0", method="exact")
    S = Synapses(G, G, "w : 1", on_pre="v_post += w")
    S.connect(condition="i != j")
    S.w = "0.01 * (i + j)"
    np.testing.assert_allclose(S.w[0, :], [0.01, 0.02, 0.03])
    np.testing.assert_allclose(S.w[1:3, 3], [0.04, 0.05])
    np.testing.assert_allclose(S.w[[0, 2], [1]], [0.01, 0.03])
    S.w[0, :] = 0.5
    assert S.w[0, 1] == 0.5 and S.w[1, 0] == 0.01
    assert sorted(set(S.N_incoming[:].tolist())) == [3] and S.N_outgoing_.tolist() == [3] * 12
    multi = Synapses(G, G, "w : 1")
    multi.connect(i=[0, 0, 0, 1], j=[2, 2, 3, 2])
    multi.w = [1, 2, 3, 4]
    np.testing.assert_array_equal(multi.w[0, 2, 1], [2])
    np.testing.assert_array_equal(multi.w[0, 2, :], [1, 2])
    np.testing.assert_array_equal(multi.N_incoming_, [3, 3, 1, 3])
    raises_jnsim(lambda: multi.w[0, 1, 2, 3], JnsimError, "[i, j] or [i, j, k]")
    raises_jnsim(lambda: multi.w[0.5, 1], JnsimError, "cannot select synapses")
    spikes = SpikeMonitor(G, variables="v")
    Network(G, S, spikes).run(50 * ms)
    values = spikes.values("v")
    assert sorted(values) == [0, 1, 2, 3]
    assert all(len(values[n]) == spikes.count[n] for n in range(4))
    everything = spikes.all_values()
    assert set(everything) == {"t", "v"}
    np.testing.assert_allclose(everything["t"][3].to("ms").magnitude,
                               spikes.spike_trains()[3].to("ms").magnitude)
    raises_jnsim(lambda: spikes.values("w"), JnsimError, "does not record 'w'")


def test_indices_read_as_plain_integers_as_in_brian():
    G = NeuronGroup(3, "v : 1")
    S = Synapses(G, G, "w : 1")
    S.connect(i=[0, 2], j=[1, 1])
    j = S.j[:]
    assert isinstance(j, np.ndarray) and j.dtype.kind == "i" and j.tolist() == [1, 1]
    G.v[S.i[:]] = [5.0, 6.0]  # usable as indices directly
    assert G.v_.tolist() == [5.0, 0.0, 6.0]
    assert [int(k) for k in S.i] == [0, 2]


# -- temporary variables in pathway code --------------------------------------------------

def test_on_pre_temporaries_match_brian():
    """Tsodyks-Markram-like code with temporaries (Stimberg et al. 2018, example 1).

    Brian 2.9 (numpy target, dt = 0.1 ms), spikes at 1, 3 and 4.5 ms, run(5*ms):
    r = 0.23248094, x = 0.05693976, u = 0.80326301, v_post = 1.14869093.
    """
    from jnsim import SpikeGeneratorGroup

    P = SpikeGeneratorGroup(1, [0, 0, 0], [1, 3, 4.5] * ms)
    G = NeuronGroup(2, "v : 1")
    S = Synapses(P, G, """du/dt = -u/(10*ms) : 1 (event-driven)
                          dx/dt = (1-x)/(10*ms) : 1 (event-driven)
                          r : 1""",
                 on_pre="""U_0 = 0.5*(1 + 0.0*u)
                           u += U_0*(1-u)
                           r_S = u*x
                           x -= r_S
                           r = r_S
                           v_post += r_S""")
    S.connect()
    S.x = 1
    run(5 * ms)
    assert S.r_ == pytest.approx([0.23248094] * 2, rel=1e-7)
    assert S.x_ == pytest.approx([0.05693976] * 2, rel=1e-7)
    assert S.u_ == pytest.approx([0.80326301] * 2, rel=1e-7)
    assert G.v_ == pytest.approx([1.14869093] * 2, rel=1e-7)


def test_on_pre_temporaries_are_locals_of_the_loop(capsys):
    from jnsim import show_code

    G, H = groups()
    S = Synapses(G, H, "w : 1\nr : 1", on_pre="r_S = w*2\nr = r_S")
    S.connect(j="i")
    source = show_code(S)
    assert "            r_S = 2*w\n            r = r_S\n" in source
    assert "_a_r_S" not in source and "r_S = _" not in source


def test_on_pre_temporary_mistakes():
    G, H = groups()
    raises_jnsim(lambda: Synapses(G, H, "w : 1", on_pre="w = r\nr = 2"), CodeError,
                 "'r' is read before it is assigned")
    raises_jnsim(lambda: Synapses(G, H, "w : 1", on_pre="r_post = 2"), CodeError,
                 "cannot assign to 'r_post'")


def test_connect_short_conditional_form():
    # Brian's j='EXPR if COND' (Stimberg et al. 2018, example 4): 'EXPR for _ in range(1)
    # if COND', so i connects to j = i for the first three sources only
    G, H = groups(5, 5)
    S = Synapses(G, H)
    S.connect(j="i if i < 3")
    assert pairs(S) == [(0, 0), (1, 1), (2, 2)]


def test_state_monitor_of_synapses_records_synaptic_and_connected_names():
    """Brian's examples/synapses/nonlinear.py records ``g`` of synapses: the target's
    variable ``g`` without suffix (Brian adds every post-synaptic name unsuffixed)."""
    a = b = c = 1 / (10 * ms)
    source = NeuronGroup(2, "dv/dt = 1/(10*ms) : 1", threshold="v>1", reset="v = 0",
                         method="euler")
    target = NeuronGroup(1, """dv/dt = (g-v)/(10*ms) : 1
                               g : 1""", method="exact")
    S = Synapses(source, target, """dg_syn/dt = -a*g_syn+b*x*(1-g_syn) : 1 (clock-driven)
                                    g_post = g_syn : 1 (summed)
                                    dx/dt=-c*x : 1 (clock-driven)
                                    w : 1""", on_pre="x += w", method="euler")
    S.connect()
    S.w = [1.0, 10.0]
    source.v = [0.0, 0.5]
    M = StateMonitor(S, ["g", "g_syn", "g_post"], record=[0, 1])
    run(100 * ms, namespace={"a": a, "b": b, "c": c})
    # Brian 2.9 (numpy target), same script
    assert M.g.shape == (2, 1000)
    assert float(np.mean(M.g)) == pytest.approx(1.2524231402154884, rel=1e-9)
    assert float(np.std(M.g)) == pytest.approx(0.3403728598751911, rel=1e-9)
    assert float(np.mean(M.g_syn)) == pytest.approx(0.6268989927056267, rel=1e-9)
    np.testing.assert_allclose(M.g_syn[:, -1], [0.46189999, 0.91294521], rtol=1e-7)
    np.testing.assert_allclose(M[1].g_syn[-3:], [0.9144028, 0.91367714, 0.91294521],
                               rtol=1e-7)
    np.testing.assert_array_equal(M.g_post, M.g)  # the summed target, not g_syn


def test_state_monitor_of_synapses_pre_post_subexpressions_and_indexing():
    G = NeuronGroup(3, """dv/dt = (2 - v)/(10*ms) : 1
                          u = 2*v : 1""", threshold="v>1", reset="v=0", method="exact")
    G.v = [0, 0.3, 0.6]
    H = NeuronGroup(2, "dv/dt = -v/(5*ms) : 1", method="exact")
    S = Synapses(G, H, """w : 1
                          dx/dt = -x/(3*ms) : 1 (clock-driven)
                          y = w*x : 1""", on_pre="x += 1; v_post += 0.1*w", method="exact")
    S.connect(i=[0, 1, 2, 2], j=[0, 1, 0, 1])
    S.w = "i + 2*j + 1"
    M1 = StateMonitor(S, ["x", "y", "w"], record=[1, 3])
    M2 = StateMonitor(S, ["v_pre", "u_pre", "N_incoming"], record=True)
    M3 = StateMonitor(S, "v_post", record=[0, 2])
    run(30 * ms)
    # Brian 2.9 (numpy target) gives these for x, y, w, v_pre and v_post (it cannot
    # record a pre-synaptic subexpression such as u_pre)
    assert M1.x.shape == (2, 300)
    assert float(np.mean(M1.x)) == pytest.approx(0.38104387, rel=1e-7)
    assert float(np.mean(M1.y)) == pytest.approx(1.71882241, rel=1e-7)
    np.testing.assert_array_equal(np.asarray(M1.w)[:, 0], [4.0, 5.0])
    assert float(np.mean(M2.v_pre)) == pytest.approx(0.55215964, rel=1e-7)
    np.testing.assert_allclose(np.asarray(M2.u_pre), 2 * np.asarray(M2.v_pre))
    np.testing.assert_array_equal(M2.N_incoming[:, 0], [2, 2, 2, 2])
    assert float(np.mean(M3.v_post)) == pytest.approx(0.23262999, rel=1e-7)
    assert float(M3[2].v_post[-1]) == pytest.approx(0.22249088709226003, rel=1e-9)
    assert float(M1[3].y[-1]) == pytest.approx(0.8851641516439419, rel=1e-9)
    np.testing.assert_allclose(np.asarray(M1[[1, 3]].y)[:, -1], [1.37925148, 0.88516415],
                               rtol=1e-7)
    raises_jnsim(lambda: StateMonitor(S, "nothing"), JnsimError, "no variable 'nothing'",
                 "v_pre")
    raises_jnsim(lambda: M1[0], JnsimError, "does not record element 0")


def test_n_incoming_post_and_n_outgoing_pre_per_neuron():
    """Spreizer_et_al_2019 reads ``syn.N_incoming_post``: per neuron of the whole target
    group (Brian 2.9 gives exactly these arrays, int32, for synapses between subgroups)."""
    G = NeuronGroup(6, "v : 1")
    S = Synapses(G[1:4], G[2:6])
    S.connect(i=[0, 0, 1, 2, 2, 2], j=[0, 3, 3, 1, 3, 3])
    assert S.N_incoming_post.dtype == np.int32
    np.testing.assert_array_equal(S.N_incoming_post, [0, 0, 1, 1, 0, 4])
    np.testing.assert_array_equal(S.N_outgoing_pre, [0, 2, 1, 3])
    S.connect(i=0, j=1)  # kept up to date
    np.testing.assert_array_equal(S.N_incoming_post, [0, 0, 1, 2, 0, 4])


def test_generator_condition_sees_the_generated_index_gaussian_connectivity():
    """Brian's synapses/efficient_gaussian_connectivity.py: the ``if`` clause of a
    generator reads ``j``, the generated index (Brian's rule), and connecting is
    vectorised (20000 neurons take well under a second per call)."""
    seed(5)
    N, alpha, q = 2000, 0.1, 0.001
    w = math.ceil(math.sqrt(math.log(q) / -alpha))
    pmax = math.exp(-alpha * w**2)
    G = NeuronGroup(N, "v : 1")
    limited = Synapses(G, G)
    limited.connect(j="k for k in range(i-w, i+w) if rand()<exp(-alpha*(i-j)**2)",
                    skip_if_invalid=True, namespace={"w": w, "alpha": alpha})
    d = np.arange(N)[:, None] - np.arange(N)[None, :]
    p = np.exp(-alpha * d.astype(float) ** 2)
    window = (d <= w) & (d > -w)  # k in [i-w, i+w): i - k in (-w, w]
    mean, sd = p[window].sum(), math.sqrt((p * (1 - p))[window].sum())
    # Brian 2.9 gives 5576 synapses for N=1000 (expectation 5578.2): same process
    assert abs(limited.N - mean) < 4 * sd
    assert np.abs(limited.i - limited.j).max() <= w
    divided = Synapses(G, G)
    ns = {"w": w, "alpha": alpha, "pmax": pmax}
    divided.connect(j="k for k in range(i-w, i+w) if rand()<exp(-alpha*(i-j)**2)",
                    skip_if_invalid=True, namespace=ns)
    divided.connect(j="k for k in sample(0, i-w, p=pmax) if rand()<exp(-alpha*(i-j)**2)/pmax",
                    skip_if_invalid=True, namespace=ns)
    divided.connect(j="k for k in sample(i+w, N_post, p=pmax) if "
                      "rand()<exp(-alpha*(i-j)**2)/pmax", skip_if_invalid=True, namespace=ns)
    # exact: every pair with probability exp(-alpha*(i-j)**2)
    mean, sd = p.sum(), math.sqrt((p * (1 - p)).sum())
    assert abs(divided.N - mean) < 4 * sd
    distance = np.abs(divided.i - divided.j)
    expected_far = p[np.abs(d) > w].sum()  # about 0.2 synapses beyond the window
    assert np.sum(distance > w) <= expected_far + 4 * math.sqrt(expected_far) + 2
    upper = Synapses(G, G)  # j in the condition is the generated index
    upper.connect(j="k for k in range(i-3, i+4) if j > i and 0 <= j < N_post")
    assert upper.N == 3 * N - 6
    assert np.all(upper.j > upper.i)


def test_an_external_name_ending_in_pre_is_read_from_the_namespace():
    # Graupner & Brunel 2012 defines C_pre = 1 and writes 'c += C_pre': with no variable
    # C in the pre-synaptic group, the name is an external constant, as in Brian
    P = NeuronGroup(2, "dv/dt = 0/ms : 1", threshold="True", reset="",
                    namespace={"ms": ms})
    Q = NeuronGroup(2, "c : 1")
    S = Synapses(P, Q, on_pre="c_post += C_pre", namespace={"C_pre": 2.0})
    S.connect(j="i")
    Network(P, Q, S).run(0.3 * ms)
    assert Q.c[:].tolist() == [6.0, 6.0]
