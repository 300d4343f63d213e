"""Physical constants from brian2.units.constants, unit helpers and float() of quantities."""
from brian2 import *
from brian2.units.constants import faraday_constant as F, gas_constant as R, zero_celsius


@check_units(inside=mmolar, outside=mmolar, temperature=kelvin, result=volt)
def nernst(inside, outside, temperature):
    return R*temperature/F*log(outside/inside)


T = zero_celsius + 36*kelvin
E_K = nernst(140*mmolar, 5*mmolar, T)
assert have_same_dimensions(E_K, mV)
assert get_dimensions(E_K) == get_or_create_dimension(m=2, kg=1, s=-3, A=-1)
tau = 20*ms
assert abs(float(tau) - 0.02) < 1e-15
G = NeuronGroup(1, 'dv/dt = (E_K - v)/tau : volt', method='exact')
G.v = 0
M = StateMonitor(G, 'v', record=0)
run(float(tau)*3*second)
