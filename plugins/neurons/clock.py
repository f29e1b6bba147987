"""Model time in the neurons pack: one program step is one tick of `dt` milliseconds.

Every source and neuron node has a `dt` parameter; a node reading a wire checks that the node
upstream ticks at the same rate, so a step current switched on at 10 ms arrives at 10 ms.
"""

from __future__ import annotations

from graph.spec import ParamSpec, ParamType

DT_RANGE_MS = (0.001, 10.0)


def dt_param(default: float = 0.1) -> ParamSpec:
    """The shared `dt` parameter: model milliseconds per program step."""
    return ParamSpec("dt", ParamType.FLOAT, default,
                     "Model time per step (ms); every connected neuron node must use the same.",
                     range=DT_RANGE_MS)


def check_source_dt(ctx, port: str) -> None:
    """Raise a BuildError when the node wired into `port` ticks at another dt than this one."""
    source = ctx.source(port)
    if source is None:
        return
    upstream = ctx.program.live.get(source[0])
    if upstream is None or "dt" not in upstream.values:
        return
    theirs, ours = upstream["dt"], ctx.params["dt"]
    if abs(theirs - ours) > 1e-12 * max(abs(ours), 1.0):
        raise ctx.error(f"{ctx.label} steps {ours:g} ms per tick but '{source[0]}' feeding its "
                        f"'{port}' input steps {theirs:g} ms; set both 'dt' to the same value.")


def check_positive(ctx, *names: str) -> None:
    """Raise a BuildError naming the first time constant (or similar) that is not > 0."""
    for name in names:
        value = ctx.params[name]
        if not value > 0:
            raise ctx.error(f"{ctx.label}: '{name}' must be greater than 0; got {value:g}. "
                            "Time constants and durations are positive milliseconds.")
