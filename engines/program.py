"""A compiled graph: buffers, flat lists of kernels, data feeds and metrics.

A training step is three loops over lists (forwards, backwards, updates); nothing here walks
the graph or looks anything up by name while a step runs.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engines.backend import Backend


class Buffer:
    """A device array (`value`) and, when something upstream is trainable, its gradient.

    Batched buffers keep full-size storage; `value` and `grad` are views of the first `n` rows
    for the current batch, so kernels must read `buf.value` at call time, never capture it.
    """

    __slots__ = ("name", "value", "grad", "storage", "grad_storage", "batched",
                 "requires_grad", "node_id", "grad_overwrite")

    def __init__(self, name: str, storage, batched: bool, node_id: str = ""):
        self.name = name
        self.node_id = node_id
        self.storage = storage
        self.value = storage
        self.batched = batched
        self.grad_storage = None
        self.grad = None
        self.requires_grad = False
        # True when the only node reading this buffer writes its gradient whole (Step
        # .overwrites): the backward pass then neither zeroes it first nor adds into it
        self.grad_overwrite = False

    @property
    def shape(self):
        return self.value.shape

    def allocate_grad(self, xp) -> None:
        if self.grad_storage is None:
            self.grad_storage = xp.zeros_like(self.storage)
            self.grad = self.grad_storage

    def set_rows(self, n: int) -> None:
        if n == len(self.storage):  # a full batch: the storage itself, no new view
            self.value, self.grad = self.storage, self.grad_storage
            return
        self.value = self.storage[:n]
        if self.grad_storage is not None:
            self.grad = self.grad_storage[:n]

    def __repr__(self):
        return f"Buffer({self.name}, shape={tuple(self.storage.shape)})"


@dataclass
class Step:
    """What a builder returns: kernels bound to preallocated buffers (any may be None).

    forward() computes outputs; backward() turns output grads into param grads (overwriting)
    and input grads (accumulating with +=, or writing them whole where the input buffer's
    grad_overwrite is set: `overwrites` names the input ports whose kernels can); update()
    applies a learning rule (optimizers, and energy models that learn by their own rules);
    begin() runs once before training, end_epoch(epoch) once after each epoch and
    after_step() once a whole step (forward, backward, update) is over, which is where delay
    nodes latch their input for the next step.
    """

    forward: Callable | None = None
    backward: Callable | None = None
    update: Callable | None = None
    begin: Callable | None = None
    end_epoch: Callable | None = None
    after_step: Callable | None = None  # runs once a step is over (delays latch their input)
    # sample_grads(out): after a backward pass, write each row's own parameter gradients
    # (rows, this node's parameter count, in ctx.param order) into out; for optimizers that
    # need per-sample Jacobians (Levenberg-Marquardt). Only row-independent layers offer it.
    sample_grads: Callable | None = None
    # input ports whose gradient backward() can write whole instead of adding into; the
    # compiler lets it (sets the buffer's grad_overwrite) when this node is the only reader
    overwrites: tuple = ()
    # what an elementwise node computes from its input "x" into its output "y", so that the
    # node producing x can do it in the same pass (fuse, below)
    elementwise: Elementwise | None = None
    # fuse(elementwise, y) -> (forward, backward) or None: offered by a node whose output is
    # read by one elementwise node only (y: that node's output, whose gradient backward
    # reads); kernels doing both nodes' work, the output still written so that probes see it.
    # The compiler then runs them in place of both nodes' kernels in training and evaluation.
    fuse: Callable | None = None


class Elementwise(enum.Enum):
    """Elementwise functions a producing node may fuse into its own pass (Step.fuse)."""

    RELU = "relu"


@dataclass
class Metric:
    """A (1,)-shaped device buffer holding a batch mean, summed over an epoch on the device."""

    name: str  # e.g. "loss", "accuracy"
    node_id: str
    buffer: Buffer


class DataFeed:
    """A data node's side of the training loop: how many samples, and how to load a batch.

    Data nodes subclass this and register it with ctx.feed(); the program calls begin_epoch once
    per epoch and load(split, batch_index) to fill the node's output buffers for that batch,
    returning the number of rows loaded.
    """

    batch_size: int = 32
    n_train: int = 0
    n_val: int = 0
    n_test: int = 0  # a held-out split, evaluated once when the run ends (0: none)

    def begin_epoch(self, epoch: int) -> None:
        """Reshuffle the training split (seeded)."""

    def load(self, split: str, batch_index: int) -> int:
        raise NotImplementedError

    def batches(self, split: str) -> int:
        n = {"train": self.n_train, "val": self.n_val, "test": self.n_test}[split]
        return math.ceil(n / self.batch_size) if n else 0


@dataclass
class LiveParams:
    """A node's parameter values; kernels read them each step so live edits take effect."""

    node_id: str
    values: dict

    def __getitem__(self, name):
        return self.values[name]

    def get(self, name, default=None):
        return self.values.get(name, default)


@dataclass
class Phase:
    """Shared run state kernels may read: training vs evaluation, epoch, global step."""

    training: bool = True
    epoch: int = 0
    step: int = 0
    # nodes whose output is held while they pretrain (a DBN's greedy phase): the losses
    # downstream do not train yet, so early stopping waits until this is empty
    holding: set = field(default_factory=set)


@dataclass
class Program:
    """Everything a Session needs to run a compiled graph."""

    backend: Backend
    graph_name: str
    order: list  # node ids in topological order
    forwards: list = field(default_factory=list)  # (node_id, fn)
    backwards: list = field(default_factory=list)  # (node_id, fn), already reversed
    updates: list = field(default_factory=list)  # (node_id, fn)
    begins: list = field(default_factory=list)
    epoch_ends: list = field(default_factory=list)  # (node_id, fn(epoch))
    outputs: dict = field(default_factory=dict)  # (node_id, port) -> Buffer
    params: dict = field(default_factory=dict)  # (node_id, name) -> Buffer (saved with weights)
    trainable: list = field(default_factory=list)  # Buffers an optimizer updates
    metrics: list = field(default_factory=list)  # Metric
    loss_seeds: list = field(default_factory=list)  # Buffers whose grad is set to 1 each step
    feeds: list = field(default_factory=list)  # DataFeed
    monitors: list = field(default_factory=list)  # Monitor (engines.monitors)
    live: dict = field(default_factory=dict)  # node_id -> LiveParams
    param_counts: dict = field(default_factory=dict)  # node_id -> int
    shapes: dict = field(default_factory=dict)  # (node_id, port) -> concrete shape
    phase: Phase = field(default_factory=Phase)
    stop_rules: list = field(default_factory=list)  # callables(history) -> reason or None
    after_steps: list = field(default_factory=list)  # (node_id, fn) run when a step is over
    run_ends: list = field(default_factory=list)  # fns(reason, history) -> events, at the end
    specs: dict = field(default_factory=dict)  # node_id -> NodeSpec (checks live edits)
    metric_keys: dict = field(default_factory=dict)  # (node_id, name) -> key in read_metrics
    simulation_steps: int = 0  # steps per epoch for programs without a data feed
    sample_grads: dict = field(default_factory=dict)  # node_id -> Step.sample_grads
    residuals: dict = field(default_factory=dict)  # loss Buffer name -> (pred, target) Buffers
    # producer node id -> (forward, backward) doing its and its elementwise reader's work
    # (Step.fuse); the reader's own kernels are then skipped by forward() and backward(), but
    # stay in forwards / backwards for callers that run a part of the graph
    fused: dict = field(default_factory=dict)
    fused_away: set = field(default_factory=set)  # the readers' node ids
    unread_metrics: list = field(default_factory=list)  # metric Buffers no node reads
    extras: dict[str, Any] = field(default_factory=dict)

    # -- running ---------------------------------------------------------------------------
    @property
    def has_backward(self) -> bool:
        return bool(self.loss_seeds)

    def steps_per_epoch(self) -> int:
        if self.feeds:
            return self.feeds[0].batches("train")
        return max(1, self.simulation_steps)

    def set_rows(self, n: int) -> None:
        """Point every batched buffer at its first n rows."""
        for buf in self._batched:
            buf.set_rows(n)

    def prepare(self) -> None:
        """Index what the step loops need; called once by the compiler."""
        self._batched = [b for b in self.outputs.values() if b.batched]
        # a gradient written whole by its only reader needs no zeroing first, nor does a loss
        # seed's (backward sets it to 1) or an unread metric's (nothing ever writes it)
        skip = {id(b) for b in self.loss_seeds} | {id(b) for b in self.unread_metrics}
        self._grads = [b for b in self.outputs.values()
                       if b.grad is not None and not b.grad_overwrite and id(b) not in skip]
        self._forward_fns = [self.fused[n][0] if n in self.fused else fn
                             for n, fn in self.forwards if n not in self.fused_away]
        self._backward_fns = [self.fused[n][1] if n in self.fused else fn
                              for n, fn in self.backwards if n not in self.fused_away]
        self._update_fns = [fn for _, fn in self.updates]
        self._after_step_fns = [fn for _, fn in self.after_steps]
        xp = self.backend.xp
        self.metric_keys = {}
        for metric in self.metrics:  # a second loss node's "loss" becomes "<node>.loss"
            key = metric.name
            if key in self.metric_keys.values():
                key = f"{metric.node_id}.{metric.name}"
            self.metric_keys[(metric.node_id, metric.name)] = key
        dtype = self.metrics[0].buffer.value.dtype if self.metrics else "float32"
        # one device vector for every metric, so reading them back is a single host sync
        self._metric_sums = xp.zeros(len(self.metrics), dtype=dtype)
        self._metric_slots = [self._metric_sums[i:i + 1] for i in range(len(self.metrics))]
        self._metric_rows = 0
        # on the CPU each sum is a Python float: two NumPy calls per metric per step cost more
        # than a small network's whole loss, and NumPy scalar arithmetic still ~0.3 us an
        # operation (docs/PERFORMANCE.md)
        self._host_metrics = self.backend.name == "numpy"
        self._host_sums = [0.0] * len(self.metrics)
        self._metric_buffers = [m.buffer for m in self.metrics]
        self._grad_groups: dict[str, list] = {}
        for buf in self.trainable:
            self._grad_groups.setdefault(buf.node_id, []).append(buf)

    def begin(self) -> None:
        for fn in self.begins:
            fn()

    def load(self, split: str, batch_index: int) -> int:
        rows = 0
        for feed in self.feeds:
            rows = feed.load(split, batch_index)
        if self.feeds:
            if not rows:  # past the split's end: a caller's bug, never a silent empty step
                raise IndexError(f"There is no {split} batch {batch_index}: the split has "
                                 f"{self.feeds[0].batches(split)}.")
            self.set_rows(rows)
        return rows or 1

    def forward(self) -> None:
        for fn in self._forward_fns:
            fn()

    def backward(self) -> None:
        for buf in self._grads:
            buf.grad.fill(0)
        for buf in self.loss_seeds:
            buf.grad.fill(1)
        for fn in self._backward_fns:
            fn()

    def update(self) -> None:
        for fn in self._update_fns:
            fn()

    def reevaluate(self) -> float:
        """Forward and backward passes again on the loaded batch; returns the objective (the
        sum of every loss) as a host float. For optimizers that evaluate several points per
        step (line searches), called from their update()."""
        self.forward()
        self.backward()
        return self.objective()

    def objective(self) -> float:
        """Sum of the loss buffers' current values (what backward differentiates), on host."""
        xp = self.backend.xp
        total = sum(buf.value[0] for buf in self.loss_seeds)
        return float(self.backend.to_host(xp.asarray(total)))

    def backward_seeded(self, buffer: Buffer, seed) -> None:
        """A backward pass with buffer.grad set to seed and every loss seed 0: a
        vector-Jacobian product of `buffer` (its rows' grads stay per sample upstream).
        buffer must not be one whose reader overwrites its gradient (a loss input is not)."""
        for buf in self._grads:
            buf.grad.fill(0)
        for buf in self.loss_seeds:
            buf.grad.fill(0)
        buffer.grad[...] = seed
        for fn in self._backward_fns:
            fn()

    def after_step(self) -> None:
        for fn in self._after_step_fns:
            fn()

    def accumulate_metrics(self, rows: int) -> None:
        if self._host_metrics:
            sums = self._host_sums
            for i, buffer in enumerate(self._metric_buffers):
                sums[i] += buffer.value.item(0) * rows
        else:
            for metric, slot in zip(self.metrics, self._metric_slots):
                slot += metric.buffer.value * rows
        self._metric_rows += rows

    def read_metrics(self) -> dict:
        """Host floats of the metrics accumulated since the last read, then reset them.

        This is the one host sync of an epoch: every metric comes back in a single copy.
        """
        rows = max(self._metric_rows, 1)
        if self._host_metrics:
            totals = list(self._host_sums)
            self._host_sums[:] = [0.0] * len(self._host_sums)
        else:
            totals = self.backend.to_host(self._metric_sums) if self.metrics else []
            self._metric_sums.fill(0)
        values = {self.metric_keys[(m.node_id, m.name)]: float(total) / rows
                  for m, total in zip(self.metrics, totals)}
        self._metric_rows = 0
        return values

    def train_step(self, batch_index: int) -> None:
        """One optimisation (or simulation) step on training batch batch_index."""
        # the loops of forward(), backward(), update() and after_step() written out: a small
        # network's whole step is ~40 us, of which these calls would be ~1
        phase = self.phase
        phase.training = True
        rows = self.load("train", batch_index)
        for fn in self._forward_fns:
            fn()
        if self.loss_seeds:
            self.backward()
        for fn in self._update_fns:
            fn()
        for fn in self._after_step_fns:
            fn()
        self.accumulate_metrics(rows)
        phase.step += 1

    def evaluate(self, split: str = "val") -> dict:
        """Forward passes over a whole split; returns its metrics (empty if the split is)."""
        if not self.feeds or self.feeds[0].batches(split) == 0:
            return {}
        if self._metric_rows:
            raise RuntimeError("evaluate() called with unread training metrics")
        self.phase.training = False
        for batch_index in range(self.feeds[0].batches(split)):
            rows = self.load(split, batch_index)
            self.forward()
            self.after_step()
            self.accumulate_metrics(rows)
        values = self.read_metrics()
        self.phase.training = True
        return values

    # -- looking inside (between steps) ------------------------------------------------------
    def peek(self, node_id: str, port: str):
        """A NumPy copy of output `port` (or parameter `port`) of node_id as it is now."""
        buf = self.outputs.get((node_id, port)) or self.params.get((node_id, port))
        if buf is None:
            raise KeyError(f"Node '{node_id}' has no output or parameter '{port}' in this run.")
        return np.array(self.backend.to_host(buf.value), copy=True)

    def grad_norms(self) -> dict:
        """node_id -> L2 norm of all its parameter gradients, computed on the device and read
        back in one copy."""
        if not self._grad_groups:
            return {}
        xp = self.backend.xp
        squares = [sum(xp.vdot(b.grad.ravel(), b.grad.ravel()) for b in group)
                   for group in self._grad_groups.values()]
        norms = self.backend.to_host(xp.sqrt(xp.stack(squares)))
        return {node_id: float(n) for node_id, n in zip(self._grad_groups, norms)}

    def first_nonfinite_node(self) -> str | None:
        """Re-run the forward pass node by node; return the first node whose parameters or
        outputs are not finite (data nodes are checked on the batch they last loaded)."""
        xp = self.backend.xp
        by_node: dict[str, list] = {}
        for (node_id, _port), buf in self.outputs.items():
            by_node.setdefault(node_id, []).append(buf)
        forwards: dict[str, list] = {}
        for node_id, fn in self.forwards:
            forwards.setdefault(node_id, []).append(fn)

        def finite(buf):
            return buf.value.dtype.kind != "f" or bool(xp.isfinite(buf.value).all())

        for node_id in self.order:
            if not all(finite(b) for b in self.params_of(node_id)):
                return node_id
            for fn in forwards.get(node_id, []):
                fn()
            if not all(finite(b) for b in by_node.get(node_id, [])):
                return node_id
        return None

    def params_of(self, node_id: str) -> list:
        return [buf for (owner, _), buf in self.params.items() if owner == node_id]

    def weights_to_host(self) -> dict:
        """All saved parameters as NumPy arrays keyed 'node_id/name' (for .npz files)."""
        return {f"{node}/{name}": self.backend.to_host(buf.value)
                for (node, name), buf in self.params.items()}

    def load_weights(self, arrays: dict) -> None:
        """Copy 'node_id/name' arrays into matching parameters; shape mismatches raise."""
        for key, array in arrays.items():
            node, _, name = key.partition("/")
            buf = self.params.get((node, name))
            if buf is None:
                continue
            if tuple(array.shape) != tuple(buf.value.shape):
                raise ValueError(f"Weights '{key}' have shape {tuple(array.shape)}; node "
                                 f"'{node}' needs {tuple(buf.value.shape)}.")
            buf.value[...] = self.backend.from_host(array)
