"""The neuron pack's models have no feedforward inference form: each says why (engines.export)."""

from __future__ import annotations

from engines.export.ir import Unexportable

_SIMULATION = "a simulation over time of membrane equations, not a feedforward map."

EXPORT_RULES = {
    "neurons.hodgkin_huxley": Unexportable(f"it is {_SIMULATION}"),
    "neurons.lif": Unexportable("a spiking LIF population integrates membrane potentials and "
                                "emits spikes step by step; spiking networks do not export."),
    "neurons.synapses": Unexportable("synapses deliver spikes between spiking populations "
                                     "with delays; spiking networks do not export."),
    "neurons.fi_curve": Unexportable(f"it runs many neurons, each {_SIMULATION}"),
}
