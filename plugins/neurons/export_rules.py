"""How the neuron pack exports (engines.export): the McCulloch-Pitts neuron as a threshold
unit a = [x w - w0 >= 0]; the spiking and conductance models, simulations over time, say why
they cannot."""

from __future__ import annotations

import numpy as np

from engines.export.ir import Unexportable
from engines.export.ops import GEMM, STEP


def mcculloch_pitts(ctx):
    weights = {"W": ctx.new_weight("W", ctx.weight_array("w")[:, None]),
               "b": ctx.new_weight("b", -np.asarray(ctx.weight_array("w0")))}
    value = ctx.emit(GEMM, [ctx.input("x")], weights=weights)
    ctx.output("a", ctx.emit(STEP, [value], {"bipolar": False}))


_SIMULATION = "a simulation over time of membrane equations, not a feedforward map."

EXPORT_RULES = {
    "neurons.mcculloch_pitts": mcculloch_pitts,
    "neurons.hodgkin_huxley": Unexportable(f"it is {_SIMULATION}"),
    "neurons.lif": Unexportable("a spiking LIF population integrates membrane potentials and "
                                "emits spikes step by step; spiking networks do not export."),
    "neurons.synapses": Unexportable("synapses deliver spikes between spiking populations "
                                     "with delays; spiking networks do not export."),
    "neurons.fi_curve": Unexportable(f"it runs many neurons, each {_SIMULATION}"),
}
