"""A plain-Python, clock-driven LIF network simulator used as an independent reference.

Written the way Brian2's clock-driven loop works (state update, synaptic effects, threshold,
reset, refractoriness; a spike in step k with delay d acts in step k + d), one neuron and one
synapse at a time with a dict of pending deliveries, so it shares no code and no vectorisation
trick (CSR ranges, ring buffers, masks) with the engine. Brian2 itself does not run next to
NumPy 2.4 here (it calls the removed ndarray.ptp), so this stands in for it.
"""

import math
from collections import defaultdict


def simulate(steps, dt, populations, projections, sources):
    """populations: {name: dict(count, tau, v_rest, v_reset, threshold, refractory,
    resistance, bias)}; projections: [(source_name, target_name, pre, post, weight,
    delay_ticks)] with one entry per synapse in the lists; sources: {name: {step: [neuron]}}.

    Returns {name: [(time_ms, neuron), ...]} with a spike in step k at (k + 1) dt.
    """
    v = {name: [p["v_rest"]] * p["count"] for name, p in populations.items()}
    refractory = {name: [0] * p["count"] for name, p in populations.items()}
    pending = defaultdict(float)  # (step, population, neuron) -> summed jump
    outgoing = defaultdict(list)  # (source name, neuron) -> [(target, post, w, delay)]
    for source, target, pre, post, weight, delay in projections:
        for i, j, w, d in zip(pre, post, weight, delay):
            outgoing[(source, int(i))].append((target, int(j), float(w), int(d)))
    spikes = {name: [] for name in populations}

    def emit(step, name, neuron):
        for target, post, w, d in outgoing[(name, neuron)]:
            pending[(step + d, target, post)] += w

    for step in range(steps):
        for name, firing in sources.items():
            for neuron in firing.get(step, ()):
                emit(step, name, neuron)
        fired_now = []
        for name, p in populations.items():
            decay = math.exp(-dt / p["tau"])
            ticks = int(round(p["refractory"] / dt))
            drive = p["v_rest"] + p["resistance"] * p["bias"]
            for i in range(p["count"]):
                value = drive + (v[name][i] - drive) * decay
                value += pending.pop((step, name, i), 0.0)
                if refractory[name][i] > 0:
                    value = p["v_reset"]
                    refractory[name][i] -= 1
                elif value >= p["threshold"]:
                    value = p["v_reset"]
                    refractory[name][i] = ticks
                    spikes[name].append(((step + 1) * dt, i))
                    fired_now.append((name, i))
                v[name][i] = value
        for name, i in fired_now:  # synapses read this step's spikes once it is over
            emit(step, name, i)
    return spikes
