"""The three models of the report's golden tests, built and run briefly.

``homeostatic_stdp`` is ANNarchy's homeostatic STDP ramp (the reporting page's
example, as in tests/test_method_choice.py); ``cuba`` and ``song_stdp`` are the
builders of tests/test_report.py. Each returns the namespace the model was built in
(the report looks names up there) after running it in two runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from jnsim import (
    Hz,
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    defaultclock,
    ms,
    seed,
    start_scope,
)
from jnsim.base import JnsimObject
from tests.test_method_choice import HOMEOSTATIC_WEIGHT, PARAMETERS
from tests.test_report import cuba, song_stdp


def homeostatic_stdp() -> dict[str, Any]:
    """ANNarchy's homeostatic STDP ramp (Carlson et al. 2013) written for jnsim."""
    start_scope()
    seed(11)
    defaultclock.dt = 0.1 * ms
    namespace = dict(PARAMETERS)
    inputs = NeuronGroup(100, "rates : Hz", threshold="rand() < rates*dt", refractory=0 * ms,
                         namespace=namespace, name="inputs")
    inputs.rates = np.linspace(0.2, 20.0, 100) * Hz
    neuron = NeuronGroup(1, """
        dv/dt = ((0.04*v/mV + 5)*v + 140*mV - u + g_ampa*(-v)/mV)/ms : volt
        du/dt = 0.02*(0.2*v - u)/ms : volt
        dg_ampa/dt = -g_ampa/tau_ampa : volt
        dr/dt = -r/tau_r : Hz
        """, threshold="v >= 30*mV", reset="v = -65*mV; u += 8*mV; r += 1/tau_r",
        refractory=0 * ms, namespace=namespace, name="neuron")
    neuron.v = "-65*mV"
    projection = Synapses(inputs, neuron, "R = r_post : Hz" + HOMEOSTATIC_WEIGHT,
                          on_pre="g_ampa_post += w*mV\nltp = A_plus", on_post="ltd = A_minus",
                          namespace=namespace, name="projection")
    projection.connect()
    projection.w = "1 + rand()"
    spikes = SpikeMonitor(neuron)
    weights = StateMonitor(projection, "w", record=[0, 99], dt=1 * ms)
    return dict(locals(), **namespace)


def _cuba() -> dict[str, Any]:
    return cuba(200)


def _stdp() -> dict[str, Any]:
    seed(7)
    names = song_stdp(200)
    return names


MODELS: dict[str, Callable[[], dict[str, Any]]] = {
    "homeostatic_stdp": homeostatic_stdp, "cuba": _cuba, "stdp": _stdp}


def objects_of(names: dict[str, Any]) -> list[Any]:
    """The jnsim objects in a namespace."""
    return [v for k, v in names.items() if isinstance(v, JnsimObject) and not k.startswith("_")]


def built_and_run(model: str) -> dict[str, Any]:
    """The namespace of ``model`` after two runs (10 ms, then 5 ms)."""
    names = MODELS[model]()
    network = Network(*objects_of(names))
    network.run(10 * ms, namespace=names)
    network.run(5 * ms, namespace=names)
    names["_network"] = network
    return names
