"""Loops over time (engines.scan) unrolled for the sequence length the graph was built with.

A loop (Steps -> layers -> Delay back, gathered by Collect steps) becomes T copies of its
layers' ops, sharing their weights: Steps gives x[:, t], each Delay gives its input's value
from step t - 1 (zeros, or its 'initial' input, at t = 0), Collect stacks the per-step
values into a sequence. The exported model therefore takes sequences of exactly T steps.
"""

from __future__ import annotations

import numpy as np

from engines.export.ir import ExportError
from engines.export.ops import GEMM, STACK, TAKE
from engines.scan import LoopError, find_loops
from graph.spec import TimeRole


def time_loops(graph, registry, full_order: list, nodes: set) -> list:
    """The engine's time loops that reach into nodes (none when the graph has a loop error:
    compiling reports that in its own words)."""
    try:
        loops = find_loops(graph, registry, full_order)
    except LoopError:
        return []
    return [loop for loop in loops if nodes & set(loop.nodes)]


def structural(spec) -> bool:
    """A node the unroller handles itself inside a loop: a delay, Steps or Collect steps."""
    return spec.delay or getattr(spec, "time", None) in (TimeRole.SPLIT, TimeRole.COLLECT)


def units(graph, order: list, loops: list) -> list:
    """order with each loop's nodes grouped into the loop, sorted so that a loop comes after
    everything feeding it and before everything it feeds."""
    unit_of = {node_id: node_id for node_id in order}
    for loop in loops:
        for node_id in loop.nodes:
            if node_id in unit_of:
                unit_of[node_id] = loop
    items, seen = [], set()
    for node_id in order:
        if id(unit_of[node_id]) not in seen:
            seen.add(id(unit_of[node_id]))
            items.append(unit_of[node_id])
    key = {id(item): index for index, item in enumerate(items)}
    needs: dict = {id(item): set() for item in items}
    for edge in graph.edges:
        src, dst = unit_of.get(edge.src), unit_of.get(edge.dst)
        if src is not None and dst is not None and src is not dst:
            needs[id(dst)].add(id(src))
    placed, result = set(), []
    while len(result) < len(items):
        ready = [item for item in items
                 if id(item) not in placed and needs[id(item)] <= placed]
        if not ready:  # a cycle outside any loop: validation has refused it already
            raise ExportError("The graph has a cycle that is not a loop over time.")
        item = min(ready, key=lambda it: key[id(it)])
        placed.add(id(item))
        result.append(item)
    return result


def unroll(lowering, loop, nodes: set, lower_node, context) -> None:
    """Lower loop's nodes (those in nodes) once per time step; context(node_id) gives a
    LowerContext, lower_node(node_id) runs a node's rule."""
    graph, registry = lowering.graph, lowering.registry
    members = [n for n in loop.nodes if n in nodes]
    spec = {n: registry.spec(graph.nodes[n].type_id) for n in members}
    delays = [n for n in members if spec[n].delay]
    splits = [n for n in members if spec[n].time is TimeRole.SPLIT]
    collects = [n for n in members if spec[n].time is TimeRole.COLLECT]
    for node_id in delays:
        if lowering.program.live[node_id].values.get("stateful"):
            raise context(node_id).refuse("it carries its state from one batch to the next "
                                          "(stateful); the export starts every sequence "
                                          "afresh.")
    state = {d: _initial(lowering, d, splits, context) for d in delays}
    gathered: dict = {c: [] for c in collects}
    for t in range(loop.steps):
        for node_id in delays:
            lowering.values[(node_id, "y")] = state[node_id]
        for node_id in members:
            if node_id in delays:
                continue
            ctx = context(node_id)
            if node_id in splits:
                ctx.output("y", ctx.emit(TAKE, [ctx.input("x")], {"index": t}))
            elif node_id in collects:
                gathered[node_id].append(ctx.input("x"))
            else:
                lower_node(node_id)
        for node_id in delays:
            state[node_id] = context(node_id).input("x")
    for node_id in collects:
        ctx = context(node_id)
        ctx.output("y", ctx.emit(STACK, gathered[node_id]))


def _initial(lowering, delay: str, splits: list, context):
    """The delay's output at t = 0: its 'initial' input, else zeros (batch, features)."""
    ctx = context(delay)
    if ctx.spec.input("initial") is not None and ctx.input("initial") is not None:
        return ctx.input("initial")
    if not splits:
        raise ctx.refuse("its loop has no 'Steps' node reading a sequence, so the export "
                         "cannot tell its length and batch.")
    width = ctx.out_shape("y")[0]
    step_ctx = context(splits[0])
    first = step_ctx.emit(TAKE, [step_ctx.input("x")], {"index": 0})
    features = step_ctx.in_shape("x")[1]
    zeros = ctx.new_weight("zeros", np.zeros((features, width)))
    return ctx.emit(GEMM, [first], {"name": "zeros"}, {"W": zeros})  # x_0 @ 0 = zeros
