"""Temporary variables in on_pre and reset code (Tsodyks-Markram release, as in Stimberg
et al. 2018), and a StateMonitor of synaptic variables with record= synapse indices."""
from brian2 import *

spikes_at = [5, 10, 15, 20, 60, 65]*ms
source = SpikeGeneratorGroup(1, [0]*len(spikes_at), spikes_at)
target = NeuronGroup(2, '''dv/dt = -v/(10*ms) : 1
                           dw/dt = -w/(50*ms) : 1''',
                     threshold='v > 0.3', reset='''excess = v - 0.3
                                                  v = 0
                                                  w += excess''', method='exact')
U_0 = 0.4
synapses = Synapses(source, target, '''du_S/dt = -u_S/(50*ms) : 1 (clock-driven)
                                      dx_S/dt = (1 - x_S)/(200*ms) : 1 (clock-driven)
                                      A : 1''',
                    on_pre='''u_S += U_0*(1 - u_S)
                              r_S = u_S*x_S
                              x_S -= r_S
                              v_post += A*r_S''', method='exact')
synapses.connect()
synapses.x_S = 1
synapses.A = [1.0, 2.5]
release = StateMonitor(synapses, ['u_S', 'x_S'], record=[0, 1])
membrane = StateMonitor(target, ['v', 'w'], record=True)
spikes = SpikeMonitor(target)
run(100*ms)
