"""PoissonGroup rates switched by run_regularly, and a linked variable that reads another
group's subexpression (stochastic: compared in distribution)."""
from brian2 import *

stim_on, stim_off = 100*ms, 300*ms
inputs = PoissonGroup(200, rates=0*Hz)
inputs.run_regularly('rates = int(t > stim_on and t < stim_off) * 40*Hz', dt=10*ms)
counts = PopulationRateMonitor(inputs)
population = NeuronGroup(50, '''dv/dt = -v/(10*ms) : 1
                               drive = 2*v : 1''', threshold='v > 1', reset='v = 0',
                         method='exact')
S = Synapses(inputs, population, on_pre='v += 0.05')
S.connect(p=0.2)
reader = NeuronGroup(50, '''observed : 1 (linked)''')
reader.observed = linked_var(population, 'drive')
watch = StateMonitor(reader, 'observed', record=range(10))
spikes = SpikeMonitor(population)
input_spikes = SpikeMonitor(inputs)
run(400*ms)
