"""Training-time noise layers: dropout and additive Gaussian noise.

Both act only while training (ctx.phase.training) and are the identity in evaluation. Each
node draws from its own generator, seeded from the run's seed at compile time, so a seed
gives the same masks run after run.
"""

from __future__ import annotations

from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, no_params_same_shape

FORMULAS = {  # shown on the card (View > Show Formulas); both are identities when evaluating
    "dropout": "y = m ⊙ x / (1 − p),  mᵢ ~ Bernoulli(1 − p)",
    "gaussian_noise": "y = x + ε,  ε ~ N(0, σ²)",
}


def _spec(name, title, doc, param):
    return NodeSpec(type_id=f"core.{name}", title=title, category="Layers", doc=doc,
                    formula=FORMULAS.get(name, ""),
                    inputs=(PortSpec("x", PortKind.TENSOR),),
                    outputs=(PortSpec("y", PortKind.TENSOR),),
                    params=(param,), infer_shapes=no_params_same_shape, stochastic=True)


def _seed(ctx) -> int:
    return int(ctx.rng.integers(2**31))


def uniform_filler(ctx):
    """fill(out): out <- U[0, 1) draws from a per-node generator seeded at compile time."""
    if ctx.backend.name == "numpy":
        generator = ctx.xp.random.default_rng(_seed(ctx))
        return lambda out: generator.random(out=out, dtype=out.dtype)
    generator = ctx.xp.random.RandomState(_seed(ctx))  # CuPy: draws on the device
    return lambda out: out.__setitem__(Ellipsis,
                                       generator.random_sample(out.shape, dtype=out.dtype))


def normal_filler(ctx):
    """fill(out): out <- N(0, 1) draws from a per-node generator seeded at compile time."""
    if ctx.backend.name == "numpy":
        generator = ctx.xp.random.default_rng(_seed(ctx))
        return lambda out: generator.standard_normal(out=out, dtype=out.dtype)
    generator = ctx.xp.random.RandomState(_seed(ctx))
    return lambda out: out.__setitem__(Ellipsis,
                                       generator.standard_normal(out.shape, dtype=out.dtype))


def build_dropout(ctx):
    """Inverted dropout: y = x * mask / (1 - rate) while training, y = x in evaluation."""
    xp, phase, live = ctx.xp, ctx.phase, ctx.params
    x, y = ctx.input("x"), ctx.output("y")
    scale = ctx.scratch(y.storage.shape)  # mask / (1 - rate), reused by backward
    work = ctx.scratch(y.storage.shape)
    uniform = uniform_filler(ctx)
    state = {"training": True}

    def forward():
        rate = live["rate"]
        state["training"] = phase.training and rate > 0
        if not state["training"]:
            xp.copyto(y.value, x.value)
            return
        s = scale[:x.value.shape[0]]
        uniform(s)
        xp.greater_equal(s, rate, out=s)
        s *= 1.0 / (1.0 - rate)
        xp.multiply(x.value, s, out=y.value)

    def backward():
        if x.grad is None:
            return
        if not state["training"]:
            x.grad += y.grad
            return
        rows = y.grad.shape[0]
        xp.multiply(y.grad, scale[:rows], out=work[:rows])
        x.grad += work[:rows]

    return Step(forward, backward)


def build_gaussian_noise(ctx):
    """y = x + N(0, stddev^2) while training, y = x in evaluation; dy/dx = 1."""
    xp, phase, live = ctx.xp, ctx.phase, ctx.params
    x, y = ctx.input("x"), ctx.output("y")
    normal = normal_filler(ctx)

    def forward():
        stddev = live["stddev"]
        if not phase.training or stddev == 0:
            xp.copyto(y.value, x.value)
            return
        normal(y.value)
        y.value *= stddev
        y.value += x.value

    def backward():
        if x.grad is not None:
            x.grad += y.grad

    return Step(forward, backward)


NODES = [
    (_spec("dropout", "Dropout",
           "Inverted dropout: while training each value is zeroed with probability rate and "
           "the rest scaled by 1/(1-rate); identity in evaluation.",
           ParamSpec("rate", ParamType.FLOAT, 0.5, "Probability of dropping a value.",
                     range=(0.0, 0.99), live=True)),
     build_dropout),
    (_spec("gaussian_noise", "Gaussian noise",
           "Adds N(0, stddev^2) noise while training; identity in evaluation.",
           ParamSpec("stddev", ParamType.FLOAT, 0.1, "Standard deviation of the noise.",
                     range=(0.0, 100.0), live=True)),
     build_gaussian_noise),
]
