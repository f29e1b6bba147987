"""Synapses between spiking populations: a weight and a delay per synapse, optional STDP.

The synapses are stored sparsely, sorted by presynaptic neuron (a CSR index), and delays are a
ring buffer of (slots, targets) voltage jumps: a spike of neuron i in step k adds w_s to slot
(k + d_s) mod slots for each of its synapses s, and step k + d_s delivers that slot. Only the
synapses of neurons that fired are touched, so a step costs O(spikes x fan-out), never
O(synapses). A synapse node is a delay (z^-1) node, so recurrent loops need no extra node.

STDP (pair-based, additive, with exponential traces): a presynaptic spike depresses its
synapses by a_minus x post-trace, a postsynaptic spike potentiates the synapses onto it by
a_plus x pre-trace; weights stay in [0, w_max]. Pairs are timed where the spikes are emitted
(the presynaptic spike's tick, not its arrival after the delay).
"""

from __future__ import annotations

import math

import numpy as np

from engines.events import Image, Scalar
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.neurons.clock import check_positive, check_source_dt, dt_param

CONNECTIVITY = ("all", "one_to_one", "random")
MAX_WEIGHT_IMAGE = 256


def infer_shapes(params, in_shapes):
    targets = params["targets"]
    pre = in_shapes.get("pre")
    if pre is not None and params["connectivity"] == "one_to_one" and pre[-1] != targets:
        raise ShapeError(f"connects one to one, but {pre[-1]} sources feed {targets} "
                         "targets; make 'targets' equal the source count.")
    return {"psp": (1, targets)}, {}


SPEC = NodeSpec(
    type_id="neurons.synapses", title="Synapses", category="Neurons",
    doc="Connects a spike source to a population: per synapse a weight (voltage jump, mV) and "
        "a delay (ms, at least one tick); connectivity all-to-all, one-to-one or random with "
        "probability p. Optional STDP on the weights. Loops through it need no delay node.",
    inputs=(PortSpec("pre", PortKind.SPIKES, "Presynaptic spikes (1, sources)."),
            PortSpec("post", PortKind.SPIKES, "Postsynaptic spikes, for STDP (1, targets).",
                     optional=True)),
    outputs=(PortSpec("psp", PortKind.TENSOR, "Voltage jumps arriving this tick "
                      "(1, targets)."),),
    params=(
        ParamSpec("targets", ParamType.INT, 100, "Postsynaptic neurons.", range=(1, 10**7)),
        ParamSpec("connectivity", ParamType.CHOICE, "random", "Who connects to whom.",
                  choices=CONNECTIVITY),
        ParamSpec("probability", ParamType.FLOAT, 0.1, "Random: chance of each pair.",
                  range=(0.0, 1.0)),
        ParamSpec("weight", ParamType.FLOAT, 1.0, "Mean weight (mV).", range=(-1e4, 1e4)),
        ParamSpec("weight_spread", ParamType.FLOAT, 0.0, "Weights uniform in mean +- spread.",
                  range=(0.0, 1e4)),
        ParamSpec("delay", ParamType.FLOAT, 1.0, "Delay (ms), rounded to whole ticks (>= 1).",
                  range=(0.0, 1e6)),
        ParamSpec("delay_spread", ParamType.FLOAT, 0.0, "Delays uniform in [delay, delay + "
                  "spread].", range=(0.0, 1e6)),
        ParamSpec("self_connections", ParamType.BOOL, True, "Random/all: allow i -> i; turn "
                  "off for a population's projection onto itself."),
        ParamSpec("stdp", ParamType.BOOL, False, "Learn the weights by STDP (needs 'post')."),
        ParamSpec("a_plus", ParamType.FLOAT, 0.01, "STDP potentiation per pair (mV).",
                  range=(0.0, 1e3), live=True),
        ParamSpec("a_minus", ParamType.FLOAT, 0.012, "STDP depression per pair (mV).",
                  range=(0.0, 1e3), live=True),
        ParamSpec("tau_plus", ParamType.FLOAT, 20.0, "Pre-trace time constant (ms).",
                  range=(1e-3, 1e6)),
        ParamSpec("tau_minus", ParamType.FLOAT, 20.0, "Post-trace time constant (ms).",
                  range=(1e-3, 1e6)),
        ParamSpec("w_max", ParamType.FLOAT, 10.0, "STDP: upper weight bound (mV).",
                  range=(0.0, 1e4)),
        dt_param(),
    ),
    infer_shapes=infer_shapes, delay=True, differentiable=False,
    views=(
        View(ViewKind.CURVES, "Mean weight (STDP)", ("synapses/{node}/mean_weight",),
             y=Axis("w", "mV")),
        View(ViewKind.HEATMAP, "Weights", ("synapses/{node}/weights",), y=Axis("source"),
             x=Axis("target")),
    ),
)


def connect(rng, sources: int, targets: int, kind: str, probability: float,
            self_connections: bool) -> tuple[np.ndarray, np.ndarray]:
    """(pre, post) index arrays of the synapses, sorted by pre then post."""
    if kind == "one_to_one":
        index = np.arange(min(sources, targets))
        return index, index.copy()
    if kind == "all":
        pre, post = np.divmod(np.arange(sources * targets), targets)
    else:  # each of the sources x targets pairs independently with the given probability
        pairs = sources * targets
        chosen = rng.choice(pairs, rng.binomial(pairs, probability), replace=False,
                            shuffle=False)
        pre, post = np.divmod(np.sort(chosen), targets)
    if not self_connections and sources == targets:
        keep = pre != post
        pre, post = pre[keep], post[keep]
    return pre.astype(np.int64), post.astype(np.int64)


def ranges(xp, indptr, chosen):
    """Concatenated index ranges indptr[c] .. indptr[c+1] for every c in chosen."""
    starts = indptr[chosen]
    lengths = indptr[chosen + 1] - starts
    ends = xp.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    if total == 0:
        return xp.zeros(0, dtype=xp.int64)
    position = xp.arange(total)
    # which chosen range each output position falls in (xp.repeat with array counts is
    # NumPy-only; a sorted search works on both backends)
    owner = xp.searchsorted(ends, position, side="right")
    return starts[owner] + position - (ends - lengths)[owner]


def scatter_add(xp, target, index, values) -> None:
    """target.flat[index] += values, accumulating repeated indices."""
    if xp is np:
        np.add.at(target.reshape(-1), index, values)
    else:  # cupy
        import cupyx
        cupyx.scatter_add(target.reshape(-1), index, values)


def build(ctx):
    xp, live, dt = ctx.xp, ctx.params, ctx.params["dt"]
    check_positive(ctx, "dt")
    if live["delay"] < dt - 1e-9:
        raise ctx.error(f"{ctx.label}: 'delay' must be at least one tick ({dt:g} ms); got "
                        f"{live['delay']:g} ms.")
    check_source_dt(ctx, "pre")
    pre_in, post_in = ctx.input("pre"), ctx.input("post")
    targets = live["targets"]
    if live["stdp"]:
        check_positive(ctx, "tau_plus", "tau_minus")
        if post_in is None:
            raise ctx.error(f"{ctx.label} learns by STDP and needs the target population's "
                            "spikes on its 'post' input; wire them or turn 'stdp' off.")
    sources = int(pre_in.storage.shape[-1])
    rng = np.random.default_rng(int(ctx.rng.integers(2**31)))
    pre, post = connect(rng, sources, targets, live["connectivity"], live["probability"],
                        live["self_connections"])
    count = len(pre)
    weight_host = live["weight"] + live["weight_spread"] * rng.uniform(-1, 1, count)
    delay_ms = live["delay"] + live["delay_spread"] * rng.uniform(0, 1, count)
    delay_ticks = np.maximum(np.rint(delay_ms / dt), 1).astype(np.int64)
    slots = int(delay_ticks.max(initial=1)) + 1
    weights = ctx.param("w", (count,), init="zeros", trainable=False, values=weight_host)
    indptr = xp.asarray(np.searchsorted(pre, np.arange(sources + 1)))
    post_dev, pre_dev = xp.asarray(post), xp.asarray(pre)
    delay_dev = xp.asarray(delay_ticks)
    ring = ctx.scratch((slots, targets))
    psp = ctx.output("psp", (1, targets), batched=False)
    phase = ctx.phase
    stdp = _stdp_state(ctx, xp, pre, post, sources, targets) if live["stdp"] else None

    def forward():
        psp.value[0] = ring[phase.step % slots]

    fan_out_one = bool(np.all(np.diff(np.searchsorted(pre, np.arange(sources + 1))) == 1))
    one_to_one = live["connectivity"] == "one_to_one"  # no two synapses share a target

    def after_step():
        tick = phase.step
        ring[tick % slots] = 0
        fired = xp.flatnonzero(pre_in.value[0] > 0)  # a bool nonzero is ~6x faster
        if not len(fired):
            synapses = None
        elif fan_out_one:  # synapse k belongs to source k: no ranges to gather
            synapses = indptr[fired]
        else:
            synapses = ranges(xp, indptr, fired)
        if stdp is not None:
            stdp.learn(weights.value, fired, synapses, post_in.value[0], pre_dev, post_dev)
        if synapses is not None and len(synapses):
            slot = (tick + delay_dev[synapses]) % slots
            flat = slot * targets + post_dev[synapses]
            if one_to_one:  # distinct targets: a plain fancy-index add is exact
                ring.reshape(-1)[flat] += weights.value[synapses]
            else:
                scatter_add(xp, ring, flat, weights.value[synapses])

    def report(_phase):
        host = np.asarray(ctx.backend.to_host(weights.value))
        events = []
        if stdp is not None:  # fixed weights would draw a flat line
            events.append(Scalar(f"synapses/{ctx.node_id}/mean_weight", _phase.step,
                                 float(host.mean()) if len(host) else 0.0))
        if sources <= MAX_WEIGHT_IMAGE and targets <= MAX_WEIGHT_IMAGE:
            matrix = np.zeros((sources, targets), dtype=np.float32)
            matrix[pre, post] = host
            events.append(Image(f"synapses/{ctx.node_id}/weights", _phase.step, matrix))
        return events

    ctx.program.extras.setdefault("synapses", {})[ctx.node_id] = {
        "pre": pre, "post": post, "delay_ticks": delay_ticks, "weights": weights}
    ctx.monitor(report, every="epoch")
    return Step(forward, after_step=after_step)


class _Stdp:
    """Exponential pre and post traces and the pair rule, touching only spiking neurons."""

    def __init__(self, ctx, xp, by_post, post_indptr, sources, targets):
        live, dt = ctx.params, ctx.params["dt"]
        self.xp, self.live = xp, live
        self.decay_pre = math.exp(-dt / live["tau_plus"])
        self.decay_post = math.exp(-dt / live["tau_minus"])
        self.pre_trace = ctx.scratch((sources,))
        self.post_trace = ctx.scratch((targets,))
        self.by_post, self.post_indptr = by_post, post_indptr

    def learn(self, weights, fired, synapses, post_spikes, pre_index, post_index) -> None:
        xp, live = self.xp, self.live
        self.pre_trace *= self.decay_pre
        self.post_trace *= self.decay_post
        w_max = live["w_max"]
        if synapses is not None and len(synapses):
            self.pre_trace[fired] += 1.0
            weights[synapses] -= live["a_minus"] * self.post_trace[post_index[synapses]]
            weights[synapses] = xp.clip(weights[synapses], 0.0, w_max)
        post_fired = xp.flatnonzero(post_spikes > 0)
        if len(post_fired):
            self.post_trace[post_fired] += 1.0
            onto = self.by_post[ranges(xp, self.post_indptr, post_fired)]
            if len(onto):
                weights[onto] += live["a_plus"] * self.pre_trace[pre_index[onto]]
                weights[onto] = xp.clip(weights[onto], 0.0, w_max)


def _stdp_state(ctx, xp, pre, post, sources, targets) -> _Stdp:
    by_post = np.argsort(post, kind="stable")
    post_indptr = np.searchsorted(post[by_post], np.arange(targets + 1))
    return _Stdp(ctx, xp, xp.asarray(by_post), xp.asarray(post_indptr), sources, targets)


NODES = [(SPEC, build)]
