"""Neuron models: McCulloch-Pitts, Hodgkin-Huxley with current sources and an f-I sweep, and
spiking networks of leaky integrate-and-fire populations with delayed synapses.

They do not learn by backprop: they run as simulations on the same Program/Session interface
as the energy pack (one program step is one tick of model time, see clock.py) and show their
traces, rasters and curves through the views their specs declare.
"""

MODULES = ["mcculloch", "currents", "hodgkin", "fi_curve", "spike_sources", "lif", "synapses",
           "experiments", "export_rules"]
