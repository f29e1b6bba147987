"""Loops over time: a cycle through a Delay, or nodes fed by a SPLIT node, unrolled by a scan.

A *time loop* is found before anything is built. Its seeds are the nodes whose spec has
`time = TimeRole.SPLIT` (they read a sequence one step at a time) and the differentiable
delays that close a cycle and set `steps` >= 1 (a loop fed only by plain tensors). The loop is
every node reachable from a seed without passing a `TimeRole.COLLECT` node (collect nodes
belong to the loop: they write one step of their output sequence per step). Connected seeds
form one loop.

Inside a loop every output is a `TimeBuffer`: storage for all T steps, whose `value` and
`grad` are re-pointed at step t before the loop's kernels run for that step (kernels read
`buf.value` at call time, so they need no change). The scan replaces the loop's kernels in
the program: forward runs t = 0..T-1, each step first giving every delay its output
(y_t = x_{t-1}; zeros, the delay's `initial` input or, when `stateful`, the last batch's
final state at t = 0) and then the loop's forwards; backward runs t = T-1..0, the loop's
backwards in reverse, then passes each delay's gradient to x_{t-1} (backpropagation through
time), and sums every loop parameter's per-step gradient (parameters are shared by all
steps). Truncated BPTT (a delay's `truncate` k) cuts that pass where t is a multiple of k:
state still flows forward across the cut, gradient does not.

Delays that neither close a differentiable cycle with `steps` >= 1 nor lie in a loop keep the
plain behaviour: they latch their input once per training step (simulations, spiking nets).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engines.events import Points
from engines.program import Buffer
from graph.spec import NodeRole, PortKind, TimeRole


def curves(tag: str, step: int, x, *ys, first_label: int = 0) -> Points:
    """Curves over one x axis as a single Points event: curve k's points carry label
    first_label + k and consecutive points are joined by edges. A snapshot (the next event
    replaces it), where a Trace would append samples to a running signal."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    xy = np.concatenate([np.stack([x, np.asarray(y, dtype=float)], axis=1) for y in ys])
    labels = np.repeat(np.arange(len(ys)) + first_label, n)
    joins = np.arange(max(n - 1, 0))
    edges = np.concatenate([np.stack([joins + k * n, joins + k * n + 1], axis=1)
                            for k in range(len(ys))])
    return Points(tag, step, xy, labels, edges)


def log_norms(norms) -> np.ndarray:
    """log10 of gradient norms for views spanning many decades (an exact zero gives -400)."""
    norms = np.asarray(norms, dtype=float)
    return np.where(norms > 0, np.log10(np.maximum(norms, 1e-300)), -400.0)


class LoopError(ValueError):
    """A loop cannot be unrolled; names the node to blame."""

    def __init__(self, node_id: str, message: str):
        super().__init__(message)
        self.node_id = node_id


@dataclass
class Clock:
    """The step a loop's kernels are at (read by SPLIT and COLLECT builders)."""

    steps: int
    t: int = 0


class TimeBuffer(Buffer):
    """A Buffer with one slot per time step; `at(t)` points value and grad at step t."""

    __slots__ = ("history", "grad_history", "rows", "t")

    def __init__(self, name: str, history, batched: bool, node_id: str = ""):
        super().__init__(name, history[0], batched, node_id)
        self.history = history
        self.grad_history = None
        self.rows = history.shape[1] if batched else 0
        self.t = 0

    def allocate_grad(self, xp) -> None:
        if self.grad_history is None:
            self.grad_history = xp.zeros_like(self.history)
            self.at(self.t)

    def at(self, t: int) -> None:
        self.t = t
        self.storage = self.history[t]
        self.value = self.storage[:self.rows] if self.batched else self.storage
        if self.grad_history is not None:
            self.grad_storage = self.grad_history[t]
            self.grad = self.grad_storage[:self.rows] if self.batched else self.grad_storage

    def set_rows(self, n: int) -> None:
        self.rows = n
        self.at(self.t)


@dataclass
class TimeLoop:
    """One loop: its nodes (in program order), seeds, delays and time axis."""

    index: int
    nodes: list
    delays: list
    steps: int
    clock: Clock
    buffers: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"loop{self.index}"


def _spec(graph, registry, node_id):
    return registry.spec(graph.nodes[node_id].type_id)


def _reaches_itself(outgoing: dict, start: str) -> bool:
    stack, seen = list(outgoing.get(start, ())), set()
    while stack:
        node_id = stack.pop()
        if node_id == start:
            return True
        if node_id not in seen:
            seen.add(node_id)
            stack.extend(outgoing.get(node_id, ()))
    return False


def _param(graph, registry, node_id, name, default=0):
    node = graph.nodes[node_id]
    spec = registry.spec(node.type_id)
    if not any(p.name == name for p in spec.params):
        return default
    return node.params.get(name, spec.param(name).default)


def find_loops(graph, registry, order: list) -> list[TimeLoop]:
    """The time loops of a graph (see the module doc); raises LoopError on bad input."""
    outgoing: dict[str, list] = {}
    for edge in graph.edges:
        outgoing.setdefault(edge.src, []).append(edge.dst)
    seeds = []
    for node_id in order:
        spec = _spec(graph, registry, node_id)
        if spec.time is TimeRole.SPLIT:
            seeds.append(node_id)
        elif (spec.delay and spec.differentiable and _param(graph, registry, node_id, "steps")
              and _reaches_itself(outgoing, node_id)):
            seeds.append(node_id)
    if not seeds:
        return []
    members = set()
    stack = list(seeds)
    while stack:
        node_id = stack.pop()
        if node_id in members:
            continue
        members.add(node_id)
        if _spec(graph, registry, node_id).time is not TimeRole.COLLECT:
            stack.extend(outgoing.get(node_id, ()))
    parent = {n: n for n in members}

    def root(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for edge in graph.edges:
        if edge.src in members and edge.dst in members:
            parent[root(edge.src)] = root(edge.dst)
    groups: dict[str, list] = {}
    for node_id in order:
        if node_id in members:
            groups.setdefault(root(node_id), []).append(node_id)
    return [_make_loop(graph, registry, i, nodes) for i, nodes in enumerate(groups.values())]


def _make_loop(graph, registry, index: int, nodes: list) -> TimeLoop:
    delays = [n for n in nodes if _spec(graph, registry, n).delay]
    splits = [n for n in nodes if _spec(graph, registry, n).time is TimeRole.SPLIT]
    first = (splits or delays or nodes)[0]
    for node_id in nodes:
        spec = _spec(graph, registry, node_id)
        if spec.role is not NodeRole.LAYER or any(p.kind is PortKind.LOSS
                                                  for p in spec.outputs):
            raise LoopError(node_id, f"{spec.title} '{graph.nodes[node_id].label}' is inside "
                                     f"the loop over time that starts at "
                                     f"'{graph.nodes[first].label}' (it reads a per-step "
                                     "value); put a 'Collect steps' node before it to gather "
                                     "the steps into a sequence.")
    for node_id in nodes:
        spec = _spec(graph, registry, node_id)
        if spec.stochastic:
            raise LoopError(node_id, f"{spec.title} '{graph.nodes[node_id].label}' draws "
                                     "random numbers while training; inside a loop over time "
                                     "its draws are not kept per step for the backward pass. "
                                     "Move it before the 'Steps' node or after 'Collect "
                                     "steps'.")
    steps = _steps(graph, registry, splits, delays)
    for node_id in delays:
        window = _param(graph, registry, node_id, "truncate")
        if window > steps:
            raise LoopError(node_id, f"Delay '{graph.nodes[node_id].label}' truncates "
                                     f"backpropagation to windows of {window} steps, longer "
                                     f"than the sequence ({steps} steps); set 'truncate' to "
                                     f"at most {steps}, or 0 for full BPTT.")
    return TimeLoop(index, nodes, delays, steps, Clock(steps))


def _steps(graph, registry, splits: list, delays: list) -> int:
    """The loop's time axis: its sequence inputs' length, else the delays' `steps`."""
    if not splits:
        return max(_param(graph, registry, d, "steps") for d in delays)
    from graph.shapes import infer_shapes
    info = infer_shapes(graph, registry)
    lengths = {}
    for node_id in splits:
        label = graph.nodes[node_id].label
        edge = next((e for e in graph.edges if e.dst == node_id), None)
        shape = None if edge is None else info.port_shapes.get((edge.src, edge.src_port))
        if shape is None or len(shape) != 3 or shape[1] is None:
            raise LoopError(node_id, f"'{label}' needs a sequence (batch, time, features) "
                                     "whose length is known; wire a sequence data node into "
                                     "it.")
        if shape[1] == 0:
            raise LoopError(node_id, f"'{label}' reads sequences of length 0; give its data "
                                     "node a sequence length of at least 1.")
        lengths[node_id] = shape[1]
    first = splits[0]
    for node_id, length in lengths.items():
        if length != lengths[first]:
            raise LoopError(node_id, f"'{graph.nodes[node_id].label}' reads sequences of "
                                     f"{length} steps but '{graph.nodes[first].label}' reads "
                                     f"{lengths[first]}; one loop runs over one time axis: "
                                     "feed both from sequences of the same length.")
    return lengths[first]


def time_buffer(loop: TimeLoop, xp, name: str, shape: tuple, batched: bool, dtype,
                node_id: str) -> TimeBuffer:
    """A TimeBuffer of `shape` per step for a node of loop."""
    buf = TimeBuffer(name, xp.zeros((loop.steps, *shape), dtype=dtype), batched, node_id)
    loop.buffers.append(buf)
    return buf


# -- the scan ---------------------------------------------------------------------------------
class DelayLink:
    """A delay inside a loop: its input x, output y, optional initial input and options."""

    def __init__(self, comp, node_id: str):
        ctx = comp.contexts[node_id]
        self.node_id = node_id
        self.x = ctx.input("x")
        self.y = comp.program.outputs[(node_id, "y")]
        self.initial = ctx.input("initial") if ctx.spec.input("initial") else None
        self.truncate = int(ctx.params.get("truncate", 0) or 0)
        self.stateful = bool(ctx.params.get("stateful", False))
        self.carry = comp.backend.xp.zeros_like(self.y.history[0]) if self.stateful else None
        self.carry_rows = 0

    def load(self, t: int) -> None:
        """y_t = x_{t-1}; at t = 0 the initial state."""
        y = self.y.value
        if t > 0:
            y[...] = self.x.history[t - 1][:y.shape[0]]
        elif self.carry_rows and self.carry_rows == y.shape[0]:
            y[...] = self.carry[:self.carry_rows]
        elif self.initial is not None:
            y[...] = self.initial.value
        else:
            y.fill(0)

    def keep(self) -> None:
        """Stateful: remember the final state for the next batch."""
        rows = self.y.value.shape[0]
        self.carry[:rows] = self.x.history[-1][:rows]
        self.carry_rows = rows

    def reset(self) -> None:
        self.carry_rows = 0

    def pass_back(self, t: int) -> None:
        """dQ/dx_{t-1} += dQ/dy_t, unless t is a truncation boundary."""
        grad = self.y.grad
        if t > 0:
            if self.truncate and t % self.truncate == 0:
                return
            if self.x.grad_history is not None:
                self.x.grad_history[t - 1][:grad.shape[0]] += grad
        elif self.initial is not None and self.initial.grad is not None \
                and not self.carry_rows:
            self.initial.grad += grad


def make_scan(comp, loop: TimeLoop, forwards: list, backwards: list):
    """(forward, backward, monitor) closures running loop's kernels over its time axis."""
    program, xp = comp.program, comp.backend.xp
    links = [DelayLink(comp, d) for d in loop.delays]
    buffers = list(loop.buffers)
    params = [b for n in loop.nodes for b in comp.contexts[n].owned_params
              if b.grad is not None]
    sums = [xp.zeros_like(b.grad) for b in params]
    clock, steps = loop.clock, loop.steps
    phase = program.phase
    state = {"training": True}

    def clock_rows():
        return buffers[0].rows if buffers else 0

    def point(t):
        clock.t = t
        for buf in buffers:
            buf.at(t)

    def forward():
        if state["training"] != phase.training:  # stateful carries never cross train/eval
            state["training"] = phase.training
            for link in links:
                link.reset()
        for t in range(steps):
            point(t)
            for link in links:
                link.load(t)
            for fn in forwards:
                fn()
        for link in links:
            if link.stateful:
                link.keep()

    def backward():
        state["rows"] = clock_rows()
        for buf in buffers:
            if buf.grad_history is not None:
                buf.grad_history.fill(0)
        for total in sums:
            total.fill(0)
        for t in range(steps - 1, -1, -1):
            point(t)
            for fn in backwards:
                fn()
            for buf, total in zip(params, sums):
                total += buf.grad
            for link in links:
                link.pass_back(t)
        for buf, total in zip(params, sums):
            buf.grad[...] = total

    def end_epoch(epoch):
        for link in links:
            link.reset()

    def monitor(phase_now):
        """Gradient norm per time step reaching each delay's input, after the last step."""
        events = []
        for link in links:
            grads = link.x.grad_history
            if grads is None or not phase_now.training:
                continue
            rows = state.get("rows", 0)  # the last backward's batch, not a later forward's
            norms = xp.sqrt((grads[:, :rows].reshape(steps, -1) ** 2).sum(axis=1))
            events.append(curves(f"grad_time/{link.node_id}", phase_now.step, np.arange(steps),
                                 log_norms(comp.backend.to_host(norms)),
                                 first_label=program.order.index(link.node_id)))
        return events

    return forward, backward, end_epoch, monitor


def apply_loops(comp, loops: list[TimeLoop]) -> None:
    """Replace each loop's kernels in the program by its scan, keeping a valid order.

    The program's node-level lists are regrouped into units (a node, or a whole loop) and
    the units sorted topologically, so nodes that feed a loop run before its scan and nodes
    fed by its collect nodes after it.
    """
    if not loops:
        return
    program, graph = comp.program, comp.graph
    unit_of = {n: n for n in program.order}
    for loop in loops:
        for node_id in loop.nodes:
            unit_of[node_id] = loop.name
    position = {n: i for i, n in enumerate(program.order)}
    forwards, backwards = _grouped(program.forwards), _grouped(program.backwards)
    program.after_steps = [(n, fn) for n, fn in program.after_steps
                           if unit_of.get(n, n) == n]
    for loop in loops:
        loop_forwards = [fn for n in loop.nodes for fn in forwards.pop(n, [])]
        loop_backwards = [fn for n in reversed(loop.nodes) for fn in backwards.pop(n, [])]
        forward, backward, end_epoch, monitor = make_scan(comp, loop, loop_forwards,
                                                          loop_backwards)
        forwards[loop.name] = [forward]
        backwards[loop.name] = [backward]
        program.epoch_ends.append((loop.nodes[0], end_epoch))
        from engines.monitors import Monitor
        program.monitors.append(Monitor(loop.nodes[0], monitor, every="step",
                                        min_interval_s=0.5))
    delays = {n for n in program.order if comp.contexts[n].spec.delay}
    units = _unit_order(program.order, unit_of, position, graph, delays)
    first = {loop.name: loop.nodes[0] for loop in loops}
    program.forwards = [(first.get(u, u), fn) for u in units for fn in forwards.get(u, [])]
    program.backwards = [(first.get(u, u), fn) for u in reversed(units)
                         for fn in backwards.get(u, [])]


def _grouped(entries: list) -> dict:
    grouped: dict[str, list] = {}
    for node_id, fn in entries:
        grouped.setdefault(node_id, []).append(fn)
    return grouped


def _unit_order(order, unit_of, position, graph, delays) -> list:
    """Units (nodes and loops) in topological order; ties by first appearance in order."""
    import heapq
    rank: dict[str, int] = {}
    for node_id in order:
        unit = unit_of[node_id]
        rank[unit] = min(rank.get(unit, len(order)), position[node_id])
    after: dict[str, set] = {u: set() for u in rank}
    indegree = {u: 0 for u in rank}
    for edge in graph.edges:
        a, b = unit_of.get(edge.src), unit_of.get(edge.dst)
        if a is None or b is None or a == b or (edge.src in delays and a == edge.src):
            continue  # inside a loop, or out of a plain delay (last step's value)
        if b not in after[a]:
            after[a].add(b)
            indegree[b] += 1
    ready = [(rank[u], u) for u in rank if indegree[u] == 0]
    heapq.heapify(ready)
    units = []
    while ready:
        _, unit = heapq.heappop(ready)
        units.append(unit)
        for other in after[unit]:
            indegree[other] -= 1
            if indegree[other] == 0:
                heapq.heappush(ready, (rank[other], other))
    return units
