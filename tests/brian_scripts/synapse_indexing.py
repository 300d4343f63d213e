"""Pre- and post-synaptic values read from Python (S.x_pre), S.indices[...], one-neuron
subgroups G[k], 0 assigned to a variable with units, integer lists of times."""
from brian2 import *

inputs = SpikeGeneratorGroup(4, [0, 1, 2, 3, 0], [0, 5, 10, 15, 20]*ms + 1*ms)
G = NeuronGroup(3, '''dv/dt = -v/(5*ms) : volt
                      gain : 1''', threshold='v > 3*mV', reset='v = 0*mV',
                method='exact')
G.v = 0
G.gain = [1, 2, 3]
S = Synapses(inputs, G, 'w : volt', on_pre='v += w')
S.connect()
S.w = 1*mV * S.gain_post
S.w[S.indices[0, :]] = 5*mV
G[2].gain = 4
M = StateMonitor(G, 'v', record=True)
spikes = SpikeMonitor(G)
run(30*ms)
