"""Finite-difference gradient checks for one node type, in float64.

`check_gradients("core.dense", {"x": (4, 3)}, {"units": 5})` builds the node alone in a small
harness (its inputs are plain buffers filled with seeded random values), takes a random linear
functional of its outputs as the loss, runs forward and backward once, and compares every
parameter gradient and input gradient with central differences. Any pack can use it: the
harness goes through the same BuildContext the compiler uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engines.backend import NUMPY
from engines.build import BuildContext
from engines.compiler import Compilation
from engines.program import Buffer
from graph.model import Edge, Graph, Node
from graph.registry import Registry

_SOURCE = "gradcheck_input_"


@dataclass
class GradCheckResult:
    """Relative error per checked array ('x', 'W', ...), the worst of them, and the arrays."""

    errors: dict = field(default_factory=dict)
    analytic: dict = field(default_factory=dict)
    numeric: dict = field(default_factory=dict)

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    def __float__(self) -> float:
        return self.max_error

    def __str__(self) -> str:
        parts = ", ".join(f"{name}: {err:.2e}" for name, err in self.errors.items())
        return f"gradient check max relative error {self.max_error:.2e} ({parts})"


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """|a - n| / max(|a| + |n|, 1e-8) over the whole array: 0 when both are zero."""
    diff = float(np.linalg.norm(analytic - numeric))
    scale = float(np.linalg.norm(analytic) + np.linalg.norm(numeric))
    return diff / max(scale, 1e-8)


_default_registry: Registry | None = None


def set_default_registry(registry: Registry | None) -> None:
    """The registry check_gradients uses when none is passed (engines never load plugins
    themselves; whoever loads them hands the registry down)."""
    global _default_registry
    _default_registry = registry


class NodeHarness:
    """One node built on its own in float64 with random input buffers; runs its kernels."""

    def __init__(self, type_id: str, inputs: dict, params: dict | None = None,
                 registry: Registry | None = None, seed: int = 0, values: dict | None = None,
                 wrt: tuple | None = None, training: bool = True, batched: bool = True):
        registry = registry if registry is not None else _default_registry
        if registry is None:
            raise TypeError("check_gradients needs the node types: pass registry=, or call "
                            "engines.gradcheck.set_default_registry() once (the test suite's "
                            "conftest does).")
        node_type = registry.get(type_id)
        self.spec = node_type.spec
        rng = np.random.default_rng(seed)
        values = values or {}
        wrt = tuple(inputs) if wrt is None else tuple(wrt)
        graph = Graph(f"gradcheck {type_id}")
        node = Node("node", type_id, dict(params or {}))
        graph.nodes[node.id] = node
        batch = max((shape[0] for shape in inputs.values() if shape), default=1)
        self.compilation = Compilation(graph, registry, NUMPY, seed, np.float64,
                                       batch if batched else 1)
        program = self.compilation.program
        program.phase.training = training
        self.inputs: dict[str, Buffer] = {}
        for port, shape in inputs.items():
            source = _SOURCE + port
            graph.nodes[source] = Node(source, "gradcheck.input")
            graph.edges.append(Edge(source, "out", node.id, port))
            data = values.get(port)
            data = rng.normal(size=shape) if data is None else np.array(data, np.float64)
            buf = Buffer(f"{source}.out", data, batched, source)
            if port in wrt:
                buf.allocate_grad(np)
                buf.requires_grad = True
            program.outputs[(source, "out")] = buf
            self.inputs[port] = buf
        self.ctx = BuildContext(self.compilation, node, self.spec)
        self.compilation.contexts[node.id] = self.ctx
        self.step = node_type.builder(self.ctx)
        self.outputs = {port.name: program.outputs[(node.id, port.name)]
                        for port in self.spec.outputs
                        if (node.id, port.name) in program.outputs}
        for buf in program.loss_seeds:  # extra loss terms a node adds (e.g. a weight penalty)
            self.outputs.setdefault(buf.name.rsplit(".", 1)[-1], buf)
        for buf in self.outputs.values():
            buf.allocate_grad(np)
        self.params = {buf.name.rsplit("/", 1)[-1]: buf for buf in self.ctx.owned_params}
        self.weights = {name: rng.normal(size=buf.value.shape)
                        for name, buf in self.outputs.items()}

    def forward(self) -> None:
        if self.step is not None and self.step.forward is not None:
            self.step.forward()

    def objective(self) -> float:
        """Forward, then the loss sum(c * y) over every output with fixed random c."""
        self.forward()
        return float(sum(np.vdot(self.weights[n], b.value) for n, b in self.outputs.items()))

    def backward(self) -> None:
        """Forward, then seed output grads with c, zero input grads, and run backward."""
        self.forward()
        for name, buf in self.outputs.items():
            buf.grad[...] = self.weights[name]
        for buf in self.inputs.values():
            if buf.grad is not None:
                buf.grad.fill(0)
        if self.step is not None and self.step.backward is not None:
            self.step.backward()


def _numeric_gradient(harness: NodeHarness, array: np.ndarray, eps: float) -> np.ndarray:
    grad = np.zeros_like(array)
    flat, flat_grad = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        plus = harness.objective()
        flat[i] = saved - eps
        minus = harness.objective()
        flat[i] = saved
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def check_gradients(type_id: str, inputs: dict, params: dict | None = None,
                    registry: Registry | None = None, seed: int = 0, eps: float = 1e-6,
                    values: dict | None = None, wrt: tuple | None = None,
                    param_scale: float | None = 0.5, training: bool = True,
                    batched: bool = True) -> GradCheckResult:
    """Compare a node's analytic gradients with central differences; returns the errors.

    inputs maps input ports to shapes (first axis the batch when batched); values may give
    explicit arrays for some ports (e.g. probabilities for a loss, one-hot targets); wrt names
    the inputs whose gradients are checked (default all; the others get no grad buffer, which
    also exercises a kernel's `x.grad is None` path). Trainable parameters are redrawn from
    N(0, param_scale^2) unless param_scale is None. `result.max_error` below ~1e-6 passes.
    """
    harness = NodeHarness(type_id, inputs, params, registry, seed, values, wrt, training,
                          batched)
    rng = np.random.default_rng(seed + 1)
    if param_scale is not None:
        for buf in harness.params.values():
            buf.value[...] = rng.normal(0.0, param_scale, buf.value.shape)
    harness.backward()
    result = GradCheckResult()
    for name, buf in list(harness.params.items()) + list(harness.inputs.items()):
        if buf.grad is None:
            continue
        analytic = np.array(buf.grad, copy=True)
        numeric = _numeric_gradient(harness, buf.value, eps)
        result.analytic[name] = analytic
        result.numeric[name] = numeric
        result.errors[name] = relative_error(analytic, numeric)
    return result


def assert_gradients(type_id: str, inputs: dict, params: dict | None = None,
                     tolerance: float = 1e-6, **options) -> GradCheckResult:
    """check_gradients, raising AssertionError (with every array's error) above tolerance."""
    result = check_gradients(type_id, inputs, params, **options)
    if not result.errors:
        raise AssertionError(f"{type_id}: no gradient was checked (no trainable parameter "
                             "and no input in wrt)")
    if result.max_error > tolerance:
        raise AssertionError(f"{type_id}: {result}")
    return result
