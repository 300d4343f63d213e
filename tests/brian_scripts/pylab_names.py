"""pylab's names come with the star import: figure, plot, subplot, xlabel, legend, show."""
from brian2 import *

tau = 10*ms
G = NeuronGroup(3, 'dv/dt = (I - v)/tau : 1\nI : 1', threshold='v > 1', reset='v = 0',
                method='exact')
G.I = [0.5, 1.5, 3.0]
state = StateMonitor(G, 'v', record=True)
spikes = SpikeMonitor(G)
run(50*ms)

figure(figsize=(6, 3))
subplot(1, 2, 1)
for k in range(3):
    plot(state.t/ms, state.v[k], label=f'I = {G.I[k]:.1f}')
xlabel('time (ms)')
ylabel('v')
legend()
subplot(1, 2, 2)
plot(spikes.t/ms, spikes.i, '.k')
tight_layout()
show()
