"""BuildContext: what a node's builder uses to bind its kernels to buffers at compile time."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from engines.initializers import initial_values
from engines.program import Buffer, DataFeed, LiveParams, Metric
from engines.scan import time_buffer
from graph.spec import ParamSpec, ParamType, TimeRole

if TYPE_CHECKING:
    from engines.compiler import Compilation


TRAINABLE = ParamSpec(
    "trainable", ParamType.BOOL, True,
    "Learn this node's parameters. Off: they stay as initialised or loaded (frozen lower "
    "layers in greedy layer-wise training); gradients still flow through to the input.")
"""The per-node switch any node type with parameters may declare; ctx.param obeys it."""


class BuildError(ValueError):
    """A node cannot be built; the message names the node and, where it helps, the fix."""

    def __init__(self, node_id: str, message: str):
        super().__init__(message)
        self.node_id = node_id


class BuildContext:
    """Per-node view of a compilation. Builders call input/output/param/feed/metric on it.

    Shapes handed to builders are concrete: the batch axis (None in specs) becomes the
    program's maximum batch size.
    """

    def __init__(self, compilation: Compilation, node, spec):
        self._c = compilation
        self.node = node
        self.spec = spec
        self.node_id = node.id
        self.backend = compilation.backend
        self.xp = compilation.backend.xp
        self.dtype = compilation.dtype
        self.rng: np.random.Generator = compilation.rng
        self.phase = compilation.program.phase
        self.batch_size = compilation.batch_size
        self.params = LiveParams(node.id, compilation.param_values(node, spec))
        compilation.program.live[node.id] = self.params
        self.owned_params: list[Buffer] = []
        self._loop = (getattr(compilation, "loops", None) or {}).get(node.id)
        # the loop's Clock (step t of steps) when this node runs inside a loop over time
        self.time = None if self._loop is None else self._loop.clock

    # -- errors ------------------------------------------------------------------------------
    def error(self, message: str) -> BuildError:
        """A BuildError about this node; prefix the message with the node's label yourself."""
        return BuildError(self.node_id, message)

    @property
    def label(self) -> str:
        return f"{self.spec.title} '{self.node.label}'"

    # -- wiring ------------------------------------------------------------------------------
    def input(self, port: str) -> Buffer | None:
        """The buffer wired into input `port`, or None when an optional input is unconnected."""
        return self._c.input_buffer(self.node, port)

    def in_shape(self, port: str) -> tuple | None:
        buf = self.input(port)
        return None if buf is None else tuple(buf.storage.shape)

    def output(self, port: str, shape: tuple | None = None, batched: bool = True,
               dtype=None) -> Buffer:
        """Allocate output `port`; shape defaults to the spec's infer_shapes on real inputs.

        An output allocated already (a delay's, before its node is built) is returned as is.
        """
        existing = self._c.program.outputs.get((self.node_id, port))
        if existing is not None:
            return existing
        if shape is None:
            shape = self._c.inferred_output_shape(self.node, self.spec, port)
        shape = tuple(self.batch_size if d is None else int(d) for d in shape)
        if self._loop is not None and self.spec.time is not TimeRole.COLLECT:
            buf = time_buffer(self._loop, self.xp, f"{self.node_id}.{port}", shape, batched,
                              dtype or self.dtype, self.node_id)  # one slot per time step
        else:
            storage = self.xp.zeros(shape, dtype=dtype or self.dtype)
            buf = Buffer(f"{self.node_id}.{port}", storage, batched, self.node_id)
        self._c.program.outputs[(self.node_id, port)] = buf
        self._c.program.shapes[(self.node_id, port)] = shape
        return buf

    def param(self, name: str, shape: tuple, init: str = "glorot_uniform",
              trainable: bool = True, scale: float | None = None, values=None) -> Buffer:
        """A parameter saved with the weights; trainable ones are handed to optimizers.

        A node with a weight tie (graph.ties) gets the tie root's buffer instead: the root's
        own, or a TiedBuffer view of it (engines.ties) whose gradient is summed into the
        root's after every backward pass.
        """
        if self.params.get("trainable") is False:
            trainable = False
        ties = getattr(self._c.graph, "ties", None)
        if ties and trainable:
            shared = self._c.shared_param(self, name, tuple(shape), init, scale, values)
            if shared is not None:
                return shared
        return self._new_param(name, shape, init, trainable, scale, values)

    def _new_param(self, name, shape, init="glorot_uniform", trainable=True, scale=None,
                   values=None, owner: str | None = None) -> Buffer:
        owner = owner or self.node_id
        host = np.asarray(values) if values is not None else initial_values(
            init, self.rng, tuple(shape), scale)
        storage = self.xp.asarray(host.astype(self.dtype, copy=False))
        buf = Buffer(f"{owner}/{name}", storage, batched=False, node_id=owner)
        if trainable:
            buf.allocate_grad(self.xp)
            buf.requires_grad = True
            self._c.program.trainable.append(buf)
            self.owned_params.append(buf)
        self._c.program.params[(owner, name)] = buf
        return buf

    def scratch(self, shape: tuple, batched: bool = False, dtype=None):
        """A preallocated work array (not saved, not shown)."""
        shape = tuple(self.batch_size if d is None else int(d) for d in shape)
        return self.xp.zeros(shape, dtype=dtype or self.dtype)

    def source(self, port: str) -> tuple | None:
        """(node_id, output port) wired into input `port`, or None when unconnected."""
        edge = self._c.graph.source_of(self.node_id, port)
        return None if edge is None else (edge.src, edge.src_port)

    def consumers(self, port: str) -> list[tuple]:
        """(node_id, input port) of every wire leaving output `port` of this node."""
        return [(e.dst, e.dst_port) for e in self._c.graph.edges
                if e.src == self.node_id and e.src_port == port]

    @property
    def program(self):
        """The Program being built (for run-time lookups such as metric keys)."""
        return self._c.program

    @property
    def graph(self):
        """The graph being compiled (read it; never edit it from a builder)."""
        return self._c.graph

    @property
    def registry(self):
        """The registry the graph is compiled with (to compile helper graphs)."""
        return self._c.registry

    def trainable_upstream(self, port: str) -> list[Buffer]:
        """Trainable parameters of every node that feeds input `port`, directly or not."""
        return self._c.trainable_upstream(self.node, port)

    # -- training loop hooks -----------------------------------------------------------------
    def feed(self, feed: DataFeed) -> None:
        """Register this data node's feed; the program loads batches through it."""
        self._c.program.feeds.append(feed)

    def metric(self, name: str, buffer: Buffer) -> None:
        """Report a (1,)-shaped batch-mean buffer as metric `name`, averaged per epoch."""
        self._c.program.metrics.append(Metric(name, self.node_id, buffer))

    def loss(self, buffer: Buffer) -> None:
        """Mark a (1,) loss output: its grad is seeded with 1 before each backward pass."""
        self._c.program.loss_seeds.append(buffer)

    def monitor(self, fn: Callable, every: str = "epoch", min_interval_s: float = 0.0):
        """fn(phase) -> list of events, called every epoch or every step (time-throttled);
        returns the Monitor, whose min_interval_s fn may widen (the Session's final pass at
        the end of a run still calls it)."""
        from engines.monitors import Monitor
        monitor = Monitor(self.node_id, fn, every, min_interval_s)
        self._c.program.monitors.append(monitor)
        return monitor

    def stop_rule(self, fn: Callable) -> None:
        """fn(history: list[dict]) -> reason string to stop after an epoch, or None."""
        self._c.program.stop_rules.append(fn)

    def run_end(self, fn: Callable) -> None:
        """fn(reason: FinishReason, history) -> events or None runs once when training ends
        (completed, early-stopped or stopped), before the held-out test split is evaluated
        and the run's weights are saved: e.g. putting back the best epoch's parameters."""
        self._c.program.run_ends.append(fn)

    # -- optimizers that need whole batches or several evaluations per step ------------------
    @property
    def full_batch(self) -> str | None:
        """The optimizer ("Title 'label'") whose spec.batching needs the whole training split
        each step, or None. Data nodes then serve their split as one batch (grow_batch)."""
        return self._c.full_batch

    def grow_batch(self, rows: int) -> None:
        """Let every buffer allocated from now on hold `rows` rows (a full-batch data node
        calls this before allocating its outputs). Buffers sized already cannot grow."""
        if rows <= self._c.batch_size:
            return
        early = [b.name for b in self._c.program.outputs.values() if b.batched]
        if early:
            why = f" ({self.full_batch} trains on the whole split)" if self.full_batch else ""
            raise self.error(f"{self.label} needs batches of {rows} rows{why}, but {early[0]} "
                             f"was sized first for {self._c.batch_size}; set the data nodes' "
                             f"batch_size to at least {rows}.")
        self._c.batch_size = self.batch_size = int(rows)

    def reevaluate(self) -> Callable[[], float]:
        """evaluate() -> objective: runs forward and backward again on the loaded batch and
        returns the sum of the losses (host float); parameter grads then hold its gradient."""
        return self._c.program.reevaluate

    def sum_of_squares(self, loss: Buffer, pred: Buffer, target: Buffer) -> None:
        """Declare that loss = 1/(2 rows) sum (pred - target)^2, so optimizers that need
        residuals (Levenberg-Marquardt) can find them."""
        self._c.program.residuals[loss.name] = (pred, target)

    def simulation_steps(self, steps: int) -> None:
        """Steps per epoch for programs without a data feed (simulations, energy models)."""
        self._c.program.simulation_steps = max(self._c.program.simulation_steps, int(steps))
