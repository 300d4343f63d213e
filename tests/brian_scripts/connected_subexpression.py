"""A summed variable reads a pre-synaptic subexpression that calls exp()."""
from brian2 import *

beta, epsilon, F_max = 0.03, 120, 100
eqs = '''du/dt = (-u + 200*(1 - exp(-t/(20*ms))))/(10*ms) : 1
F = F_max/(1 + exp(beta*(epsilon - u))) : 1'''
source = NeuronGroup(5, eqs, method='euler')
source.u = 'i*40'
target = NeuronGroup(2, 'dI_E/dt = -I_E/(5*ms) + drive/(5*ms) : 1\ndrive : 1')
S = Synapses(source, target, '''w : 1
                               drive_post = w*F_pre : 1 (summed)''')
S.connect()
S.w = 'j + 0.1*i'
M = StateMonitor(target, ['I_E', 'drive'], record=True)
run(50*ms)
