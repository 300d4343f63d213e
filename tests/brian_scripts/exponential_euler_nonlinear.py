"""Exponential Euler on equations linear in v only up to functions of v (Morris-Lecar
style gating), which Brian accepts as conditionally linear."""
from brian2 import *

C, g_L, g_Ca, g_K = 20*uF/cm**2, 2*msiemens/cm**2, 4.4*msiemens/cm**2, 8*msiemens/cm**2
V_L, V_Ca, V_K = -60*mV, 120*mV, -84*mV
V_1, V_2, V_3, V_4 = -1.2*mV, 18*mV, 2*mV, 30*mV
lambda_n__max = 0.04/ms
eqs = '''
dV/dt = (-g_L*(V - V_L) - g_Ca*m_inf*(V - V_Ca) - g_K*n*(V - V_K) + I)/C : volt
dn/dt = lambda_n*(n_inf - n) : 1
m_inf = 0.5*(1 + tanh((V - V_1)/V_2)) : 1
n_inf = 0.5*(1 + tanh((V - V_3)/V_4)) : 1
lambda_n = lambda_n__max*cosh((V - V_3)/(2*V_4)) : Hz
I : amp/metre**2
'''
neuron = NeuronGroup(5, eqs, method='exponential_euler', threshold='V > 0*mV',
                     refractory='V > 0*mV')
neuron.V = -60*mV
neuron.n = 0
neuron.I = linspace(60, 120, 5)*uA/cm**2
mon = StateMonitor(neuron, ['V', 'n'], record=True)
spikes = SpikeMonitor(neuron)
run(200*ms)
