"""Reference benchmark models, written once for any Brian-2-compatible simulator.

Each model is a function whose first argument ``sim`` is the simulator *module*:
``brian2`` for the reference measurements (see ``brian_runner.py``) or ``jnsim`` for
jnsim's own benchmarks. The functions use only Brian 2 API that jnsim also provides:
``start_scope``, ``seed``, ``defaultclock``, ``NeuronGroup`` (with subgroup slicing),
``Synapses`` (``connect(p=...)``, ``connect()``, event-driven variables, ``clip``),
``PoissonGroup``, ``SpikeMonitor``, ``Network`` and the units. Device selection
(``set_device``, code-generation targets, build directories) is deliberately kept
*outside* these functions, so that the same function runs on every backend.

Each function builds the model, runs it once and returns a ``dict`` of plain Python
numbers (spike counts, rates, ISI statistics, weight statistics). No simulator objects
are returned, so the caller's timing and memory measurements are not affected by them.

Equation strings refer to parameters defined as local variables of the model function;
they are resolved from the namespace of the frame that calls ``Network.run`` (Brian 2's
implicit namespace), which is how ordinary Brian 2 scripts are written.

References
----------
.. [VA05] Vogels TP, Abbott LF (2005). Signal propagation and logic gating in networks of
   integrate-and-fire neurons. J Neurosci 25(46):10786-10795.
.. [B07] Brette R, Rudolph M, Carnevale T, et al. (2007). Simulation of networks of
   spiking neurons: a review of tools and strategies. J Comput Neurosci 23(3):349-398
   (benchmarks 2 "CUBA" and 3 "COBAHH").
.. [TM91] Traub RD, Miles R (1991). Neuronal Networks of the Hippocampus. Cambridge
   University Press (the Hodgkin-Huxley rate functions used in COBAHH).
.. [SMA00] Song S, Miller KD, Abbott LF (2000). Competitive Hebbian learning through
   spike-timing-dependent synaptic plasticity. Nat Neurosci 3(9):919-926.
"""

# Parameters are local variables read by the equation strings through Brian's implicit
# namespace (the frame that calls ``Network.run``), which static analysis cannot see; the
# project's ruff configuration ignores F841 under benchmarks/ for this reason.

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["MODELS", "cobahh", "cuba", "isi_cv", "spike_statistics", "stdp"]

#: Default random seed of every model (any fixed value; results are reproducible per
#: simulator, not across simulators, because random number streams differ).
DEFAULT_SEED = 20_070_349


# ---------------------------------------------------------------------------------------
# Statistics (plain NumPy; independent of the simulator)
# ---------------------------------------------------------------------------------------


def isi_cv(indices: np.ndarray, times: np.ndarray, min_spikes: int = 3) -> float:
    """Mean coefficient of variation of inter-spike intervals across neurons.

    Parameters
    ----------
    indices : ndarray of int
        Neuron index of each spike.
    times : ndarray of float
        Spike times in seconds (same length as ``indices``).
    min_spikes : int
        Neurons with fewer spikes (fewer than ``min_spikes - 1`` intervals) are ignored.

    Returns
    -------
    float
        Mean over the included neurons of ``std(ISI) / mean(ISI)``; ``nan`` when no
        neuron has enough spikes.
    """
    indices = np.asarray(indices, dtype=np.int64)
    times = np.asarray(times, dtype=np.float64)
    if indices.size < min_spikes:
        return float("nan")
    order = np.lexsort((times, indices))
    idx, t = indices[order], times[order]
    same = idx[1:] == idx[:-1]
    isi = np.diff(t)[same]
    owner = idx[1:][same]
    if isi.size == 0:
        return float("nan")
    n_bins = int(owner.max()) + 1
    count = np.bincount(owner, minlength=n_bins).astype(np.float64)
    total = np.bincount(owner, weights=isi, minlength=n_bins)
    total_sq = np.bincount(owner, weights=isi * isi, minlength=n_bins)
    keep = count >= max(min_spikes - 1, 1)
    if not np.any(keep):
        return float("nan")
    mean = total[keep] / count[keep]
    var = np.maximum(total_sq[keep] / count[keep] - mean * mean, 0.0)
    return float(np.mean(np.sqrt(var) / mean))


def spike_statistics(
    indices: np.ndarray, times: np.ndarray, n_neurons: int, duration_s: float
) -> dict[str, float | int]:
    """Spike count, mean firing rate, ISI CV and fraction of active neurons.

    Parameters
    ----------
    indices, times : ndarray
        Spike indices and spike times in seconds, as recorded by a ``SpikeMonitor``.
    n_neurons : int
        Number of recorded neurons.
    duration_s : float
        Simulated time in seconds.

    Returns
    -------
    dict
        ``spike_count``, ``mean_rate_hz``, ``cv_isi`` and ``fraction_active``.
    """
    indices = np.asarray(indices, dtype=np.int64)
    n_spikes = int(indices.size)
    active = np.unique(indices).size if n_spikes else 0
    return {
        "spike_count": n_spikes,
        "mean_rate_hz": n_spikes / (n_neurons * duration_s),
        "cv_isi": isi_cv(indices, times),
        "fraction_active": active / n_neurons,
    }


def _monitor_arrays(sim: Any, monitor: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(indices, times in seconds)`` of a ``SpikeMonitor`` as plain arrays."""
    indices = np.asarray(monitor.i[:], dtype=np.int64)
    times = np.asarray(monitor.t[:] / sim.second, dtype=np.float64)
    return indices, times


# ---------------------------------------------------------------------------------------
# CUBA: current-based LIF network [VA05], benchmark 2 of [B07]
# ---------------------------------------------------------------------------------------


def cuba(
    sim: Any,
    n: int = 4000,
    duration_s: float = 1.0,
    synapses_per_neuron: int = 80,
    seed: int = DEFAULT_SEED,
) -> dict[str, float | int]:
    """Run the CUBA benchmark network and return its spike statistics.

    Leaky integrate-and-fire neurons with exponentially decaying synaptic currents
    (Vogels & Abbott 2005; benchmark 2 of Brette et al. 2007). 80 % of the neurons are
    excitatory and 20 % inhibitory; each neuron projects to every neuron with
    probability ``synapses_per_neuron / n``, so a neuron receives on average
    ``synapses_per_neuron`` synapses whatever ``n`` is. The resting potential lies above
    threshold, so the network is self-sustained without external input.

    Parameters
    ----------
    sim : module
        The simulator module (``brian2`` or ``jnsim``).
    n : int
        Number of neurons.
    duration_s : float
        Simulated time in seconds.
    synapses_per_neuron : int
        Mean number of incoming synapses per neuron.
    seed : int
        Random seed passed to ``sim.seed``.

    Returns
    -------
    dict
        ``n_neurons``, ``n_synapses``, ``spike_count``, ``mean_rate_hz``, ``cv_isi``,
        ``fraction_active``.
    """
    sim.start_scope()
    sim.seed(seed)
    sim.defaultclock.dt = 0.1 * sim.ms
    ms, mV = sim.ms, sim.mV

    # Parameters of [VA05] as used in [B07] (benchmark 2).
    taum = 20 * ms  # membrane time constant
    taue = 5 * ms  # excitatory synaptic time constant
    taui = 10 * ms  # inhibitory synaptic time constant
    Vt = -50 * mV  # threshold
    Vr = -60 * mV  # reset
    El = -49 * mV  # resting potential (above threshold: spontaneous activity)
    we = (60 * 0.27 / 10) * mV  # excitatory weight, 1.62 mV
    wi = (-20 * 4.5 / 10) * mV  # inhibitory weight, -9 mV

    n_exc = int(0.8 * n)
    p_connect = synapses_per_neuron / n

    eqs = """
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    neurons = sim.NeuronGroup(
        n, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method="exact"
    )
    neurons.v = "Vr + rand() * (Vt - Vr)"
    neurons.ge = 0 * mV
    neurons.gi = 0 * mV

    excitatory = neurons[:n_exc]
    inhibitory = neurons[n_exc:]
    exc_syn = sim.Synapses(excitatory, neurons, on_pre="ge += we")
    exc_syn.connect(p=p_connect)
    inh_syn = sim.Synapses(inhibitory, neurons, on_pre="gi += wi")
    inh_syn.connect(p=p_connect)

    spikes = sim.SpikeMonitor(neurons)
    net = sim.Network(neurons, exc_syn, inh_syn, spikes)
    net.run(duration_s * sim.second)

    indices, times = _monitor_arrays(sim, spikes)
    stats: dict[str, float | int] = {
        "n_neurons": n,
        "n_synapses": len(exc_syn) + len(inh_syn),
    }
    stats.update(spike_statistics(indices, times, n, duration_s))
    return stats


# ---------------------------------------------------------------------------------------
# COBAHH: conductance-based Hodgkin-Huxley network, benchmark 3 of [B07]
# ---------------------------------------------------------------------------------------


def cobahh(
    sim: Any,
    n: int = 4000,
    duration_s: float = 1.0,
    seed: int = DEFAULT_SEED,
) -> dict[str, float | int]:
    """Run the COBAHH benchmark network and return its spike statistics.

    Single-compartment Hodgkin-Huxley neurons with Traub & Miles (1991) sodium and
    potassium channels and exponentially decaying synaptic conductances (benchmark 3 of
    Brette et al. 2007). 80 % excitatory, 20 % inhibitory neurons, connection
    probability 0.02, integrated with ``method='exponential_euler'`` at dt = 0.1 ms.

    Parameters
    ----------
    sim : module
        The simulator module (``brian2`` or ``jnsim``).
    n : int
        Number of neurons.
    duration_s : float
        Simulated time in seconds.
    seed : int
        Random seed passed to ``sim.seed``.

    Returns
    -------
    dict
        ``n_neurons``, ``n_synapses``, ``spike_count``, ``mean_rate_hz``, ``cv_isi``,
        ``fraction_active``.
    """
    # The model has a gating variable called ``n``; drop the argument of the same name
    # from this frame so that the implicit namespace holds no look-alike of it.
    n_neurons = int(n)
    del n

    sim.start_scope()
    sim.seed(seed)
    sim.defaultclock.dt = 0.1 * sim.ms
    ms, mV, nS = sim.ms, sim.mV, sim.nS

    # Parameters of [B07] benchmark 3 (membrane area 20000 um^2).
    area = 20000 * sim.umetre**2
    Cm = 1 * sim.ufarad * sim.cm**-2 * area  # 200 pF
    gl = 5e-5 * sim.siemens * sim.cm**-2 * area  # 10 nS
    g_na = 100 * sim.msiemens * sim.cm**-2 * area  # 20 uS
    g_kd = 30 * sim.msiemens * sim.cm**-2 * area  # 6 uS
    El = -60 * mV
    EK = -90 * mV
    ENa = 50 * mV
    VT = -63 * mV  # shifts the Traub-Miles rate functions
    taue = 5 * ms
    taui = 10 * ms
    Ee = 0 * mV
    Ei = -80 * mV
    we = 6 * nS  # excitatory synaptic conductance increment
    wi = 67 * nS  # inhibitory synaptic conductance increment
    p_connect = 0.02

    # Traub & Miles rate functions [TM91] as in [B07]; a/(exp(x)-1) terms written with
    # exprel(x) = (exp(x)-1)/x, which is finite at x = 0.
    eqs = """
    dv/dt = (gl*(El - v) + ge*(Ee - v) + gi*(Ei - v)
             - g_na*m**3*h*(v - ENa) - g_kd*n**4*(v - EK)) / Cm : volt
    dm/dt = alpha_m*(1 - m) - beta_m*m : 1
    dh/dt = alpha_h*(1 - h) - beta_h*h : 1
    dn/dt = alpha_n*(1 - n) - beta_n*n : 1
    dge/dt = -ge / taue : siemens
    dgi/dt = -gi / taui : siemens
    alpha_m = 1.28 / exprel((13*mV - v + VT) / (4*mV)) / ms : Hz
    beta_m = 1.4 / exprel((v - VT - 40*mV) / (5*mV)) / ms : Hz
    alpha_h = 0.128 * exp((17*mV - v + VT) / (18*mV)) / ms : Hz
    beta_h = 4 / (1 + exp((40*mV - v + VT) / (5*mV))) / ms : Hz
    alpha_n = 0.16 / exprel((15*mV - v + VT) / (5*mV)) / ms : Hz
    beta_n = 0.5 * exp((10*mV - v + VT) / (40*mV)) / ms : Hz
    """
    neurons = sim.NeuronGroup(
        n_neurons,
        eqs,
        threshold="v > -20*mV",
        refractory=3 * ms,  # only prevents repeated threshold crossings in one spike
        method="exponential_euler",
    )
    # Initial state of [B07]: v ~ El - 5 mV +- 5 mV, conductances around 40 and 200 nS.
    neurons.v = "El - 5*mV + 5*mV*randn()"
    neurons.ge = "(40 + 15*randn()) * nS"
    neurons.gi = "(200 + 120*randn()) * nS"

    n_exc = int(0.8 * n_neurons)
    excitatory = neurons[:n_exc]
    inhibitory = neurons[n_exc:]
    exc_syn = sim.Synapses(excitatory, neurons, on_pre="ge += we")
    exc_syn.connect(p=p_connect)
    inh_syn = sim.Synapses(inhibitory, neurons, on_pre="gi += wi")
    inh_syn.connect(p=p_connect)

    spikes = sim.SpikeMonitor(neurons)
    net = sim.Network(neurons, exc_syn, inh_syn, spikes)
    net.run(duration_s * sim.second)

    indices, times = _monitor_arrays(sim, spikes)
    stats: dict[str, float | int] = {
        "n_neurons": n_neurons,
        "n_synapses": len(exc_syn) + len(inh_syn),
    }
    stats.update(spike_statistics(indices, times, n_neurons, duration_s))
    return stats


# ---------------------------------------------------------------------------------------
# STDP: one LIF neuron driven by plastic Poisson synapses [SMA00]
# ---------------------------------------------------------------------------------------


def stdp(
    sim: Any,
    n_inputs: int = 1000,
    duration_s: float = 10.0,
    seed: int = DEFAULT_SEED,
) -> dict[str, float | int]:
    """Run the Song, Miller & Abbott (2000) STDP model and return weight statistics.

    ``n_inputs`` Poisson spike trains at 15 Hz drive one conductance-based LIF neuron
    through excitatory synapses with additive, pair-based STDP (nearest-neighbour
    traces ``apre``/``apost`` integrated event-driven; depression slightly stronger than
    potentiation, A- = -1.05 A+). Weights are clipped to [0, gmax]. Over time the
    weight distribution becomes bimodal, piling up near 0 and near gmax.

    Parameters
    ----------
    sim : module
        The simulator module (``brian2`` or ``jnsim``).
    n_inputs : int
        Number of Poisson inputs (and plastic synapses).
    duration_s : float
        Simulated time in seconds.
    seed : int
        Random seed passed to ``sim.seed``.

    Returns
    -------
    dict
        ``n_inputs``, ``spike_count`` and ``mean_rate_hz`` (output neuron),
        ``cv_isi`` (output neuron), ``input_spike_count``, ``input_rate_hz``,
        ``mean_weight`` (in units of gmax), ``fraction_near_zero`` (w < 0.05 gmax),
        ``fraction_near_gmax`` (w > 0.95 gmax).
    """
    sim.start_scope()
    sim.seed(seed)
    sim.defaultclock.dt = 0.1 * sim.ms
    ms, mV, Hz = sim.ms, sim.mV, sim.Hz

    # Parameters after [SMA00] (excitatory inputs only, weights in units of the leak
    # conductance, as in the commonly used single-neuron version of the model).
    taum = 10 * ms
    taue = 5 * ms
    Ee = 0 * mV
    El = -74 * mV
    vt = -54 * mV
    vr = -60 * mV
    input_rate = 15 * Hz
    gmax = 0.01  # maximal synaptic weight (dimensionless conductance)
    taupre = 20 * ms
    taupost = 20 * ms
    dApre = 0.01 * gmax  # potentiation step, A+
    dApost = -1.05 * dApre * taupre / taupost  # depression step, A- (slightly larger)

    eqs = """
    dv/dt = (ge * (Ee - v) + El - v) / taum : volt
    dge/dt = -ge / taue : 1
    """
    inputs = sim.PoissonGroup(n_inputs, rates=input_rate)
    neuron = sim.NeuronGroup(1, eqs, threshold="v > vt", reset="v = vr", method="euler")
    neuron.v = vr

    synapse_model = """
    w : 1
    dapre/dt = -apre / taupre : 1 (event-driven)
    dapost/dt = -apost / taupost : 1 (event-driven)
    """
    on_pre = """
    ge += w
    apre += dApre
    w = clip(w + apost, 0, gmax)
    """
    on_post = """
    apost += dApost
    w = clip(w + apre, 0, gmax)
    """
    plastic = sim.Synapses(inputs, neuron, synapse_model, on_pre=on_pre, on_post=on_post)
    plastic.connect()
    plastic.w = "rand() * gmax"

    out_spikes = sim.SpikeMonitor(neuron)
    in_spikes = sim.SpikeMonitor(inputs)
    net = sim.Network(inputs, neuron, plastic, out_spikes, in_spikes)
    net.run(duration_s * sim.second)

    out_idx, out_t = _monitor_arrays(sim, out_spikes)
    in_count = int(np.asarray(in_spikes.i[:]).size)
    w = np.asarray(plastic.w[:], dtype=np.float64) / gmax
    return {
        "n_inputs": n_inputs,
        "spike_count": int(out_idx.size),
        "mean_rate_hz": out_idx.size / duration_s,
        "cv_isi": isi_cv(out_idx, out_t),
        "input_spike_count": in_count,
        "input_rate_hz": in_count / (n_inputs * duration_s),
        "mean_weight": float(np.mean(w)),
        "fraction_near_zero": float(np.mean(w < 0.05)),
        "fraction_near_gmax": float(np.mean(w > 0.95)),
    }


#: Model name -> (function, default size, default duration in seconds). ``size`` is the
#: number of neurons for CUBA and COBAHH and the number of inputs for STDP.
MODELS: dict[str, tuple[Callable[..., dict[str, float | int]], int, float]] = {
    "cuba": (cuba, 4000, 1.0),
    "cobahh": (cobahh, 4000, 1.0),
    "stdp": (stdp, 1000, 10.0),
}
