"""Writing through G.v[:], a view of a whole group's values as in Brian: boolean masks on
neuron and synapse variables with units (how Maass et al. 2002 replaces invalid random
parameters); a slice, or a subgroup's values, is a copy."""
from brian2 import *

G = NeuronGroup(6, '''dv/dt = (1.2 - v) / tau : 1
                      tau : second (constant)''',
                threshold='v > 1', reset='v = 0', method='exact')
G.tau = [10, -5, 20, 0, 15, -1]*ms
G.tau[:][G.tau <= 0*ms] = 12*ms  # writes into G.tau
G.v[:] = np.linspace(0, 0.9, 6)
first_three = G.v[:3]
first_three[0] = 5  # a copy: G.v stays
late = G[3:]
late_tau = late.tau[:]
late_tau[0] = 1*ms  # a subgroup's values: a copy
S = Synapses(G, G, 'w : 1', on_pre='v_post += w')
S.connect(j='(i + 1) % 6')
S.w = [0.2, -0.1, 0.3, -0.4, 0.1, 0.05]
S.w[:][S.w < 0] = 0.05  # writes into S.w
flags = S.i[:]
M = StateMonitor(G, ['v', 'tau'], record=True)
W = StateMonitor(S, 'w', record=True)
spikes = SpikeMonitor(G)
run(50*ms)
