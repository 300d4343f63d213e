"""Brian's slots (when='after_thresholds'), stop() from a network_operation, timestep()."""
from brian2 import *
from brian2.core.functions import timestep

G = NeuronGroup(20, 'dv/dt = (1.2 - v)/(10*ms) : 1', threshold='v > 1', reset='v = 0',
                method='exact')
G.v = 'i/20.'
after = StateMonitor(G, 'v', record=[0, 10], when='after_thresholds')
spikes = SpikeMonitor(G)
stopped_at = []


@network_operation(dt=1*ms)
def enough():
    if spikes.num_spikes >= 30:
        stopped_at.append(timestep(defaultclock.t, defaultclock.dt))
        stop()


run(100*ms)
print(scheduling_summary())
assert 0 < stopped_at[0] < 1000
assert magic_network.t < 100*ms
