"""compile(graph, backend) -> Program: validate, order, build every node's kernels once."""

from __future__ import annotations

import numpy as np

from engines.backend import NUMPY, Backend
from engines.build import BuildContext, BuildError
from engines.program import Buffer, Program
from engines.scan import LoopError, apply_loops, find_loops
from graph.model import Graph
from graph.registry import Registry
from graph.shapes import infer_shapes
from graph.spec import Batching, NodeRole, ParamError, ShapeError
from graph.validate import Severity, topological_order, validate


class CompileError(ValueError):
    """The graph cannot be compiled. `problems` lists (node_id or None, message)."""

    def __init__(self, problems: list):
        self.problems = problems
        lines = [f"[{node}] {msg}" if node else msg for node, msg in problems]
        super().__init__("The graph cannot run:\n  " + "\n  ".join(lines))

    @property
    def node_id(self):
        return self.problems[0][0] if self.problems else None


class Compilation:
    """State shared by the BuildContexts of one compile call."""

    def __init__(self, graph: Graph, registry: Registry, backend: Backend, seed: int,
                 dtype, batch_size: int):
        self.graph = graph
        self.registry = registry
        self.backend = backend
        self.rng = np.random.default_rng(seed)
        self.dtype = dtype
        self.batch_size = batch_size
        self.program = Program(backend=backend, graph_name=graph.name, order=[])
        self.contexts: dict[str, BuildContext] = {}
        self.shared: dict[tuple, Buffer] = {}  # (tie root, param name) -> the root's buffer
        self.tied: list = []  # TiedBuffers whose grads join their root's after backward
        self.full_batch: str | None = None  # the optimizer that needs whole-split batches
        self.overwrites: dict[str, tuple] = {}  # node id -> Step.overwrites
        self.steps: dict[str, object] = {}  # node id -> its Step

    def shared_param(self, ctx: BuildContext, name: str, shape: tuple, init, scale, values):
        """The buffer a tied node (or a tie root) uses for `name`, or None when not shared."""
        from engines.ties import TiedBuffer
        from graph.ties import chain
        root, transposed, crossed = chain(self.graph.ties, ctx.node_id)
        if crossed and len(shape) != 2:
            return None  # a transposed tie shares the weight matrix, not the biases
        if root == ctx.node_id and (root, name) not in self.shared:
            if not any(t.source == root for t in self.graph.ties.values()):
                return None
        root_shape = shape[::-1] if transposed else shape
        key = (root, name)
        buf = self.shared.get(key)
        if buf is None:
            if values is not None and transposed:
                values = np.asarray(values).T
            buf = ctx._new_param(name, root_shape, init, True, scale, values, owner=root)
            ctx.owned_params.remove(buf)
            self.shared[key] = buf
        if tuple(buf.value.shape) != root_shape:
            source = self.graph.nodes[root].label
            raise BuildError(ctx.node_id, f"{ctx.label} shares '{name}' with '{source}', "
                                          f"which has shape {tuple(buf.value.shape)}; this "
                                          f"node needs {root_shape}.")
        ctx.owned_params.append(buf)
        if root == ctx.node_id:
            return buf
        view = TiedBuffer(f"{ctx.node_id}/{name}", buf, transposed, ctx.node_id,
                          self.backend.xp)
        self.tied.append(view)
        return view

    def param_values(self, node, spec) -> dict:
        """The node's effective parameters (NodeSpec.resolve: defaults, coerced, checked)."""
        try:
            return spec.resolve(node.params, where=f"{spec.title} '{node.label}'")
        except ParamError as exc:
            raise BuildError(node.id, str(exc)) from None

    def input_buffer(self, node, port: str):
        edge = self.graph.source_of(node.id, port)
        if edge is None:
            spec = self.registry.spec(node.type_id)
            port_spec = spec.input(port)
            if port_spec is None:
                raise BuildError(node.id, f"{spec.title} '{node.label}' has no input '{port}'.")
            if port_spec.optional:
                return None
            raise BuildError(node.id, f"{spec.title} '{node.label}' needs a wire into "
                                      f"'{port}'.")
        buf = self.program.outputs.get((edge.src, edge.src_port))
        if buf is None:  # the source is a delay node built later: it must allocate first
            raise BuildError(node.id, f"'{node.label}' reads '{edge.src}.{edge.src_port}' "
                                      "before it exists.")
        return buf

    def inferred_output_shape(self, node, spec, port: str) -> tuple:
        in_shapes = {}
        for edge in self.graph.edges_into(node.id):
            buf = self.program.outputs.get((edge.src, edge.src_port))
            if buf is not None:
                in_shapes[edge.dst_port] = (None,) + tuple(buf.storage.shape[1:]) \
                    if buf.batched else tuple(buf.storage.shape)
        if spec.infer_shapes is None:
            raise BuildError(node.id, f"{spec.title} has no shape rule; its builder must "
                                      f"give the shape of '{port}'.")
        try:
            out_shapes, _ = spec.infer_shapes(self.contexts[node.id].params.values, in_shapes)
        except ShapeError as exc:
            raise BuildError(node.id, f"{spec.title} '{node.label}': {exc}") from None
        return out_shapes[port]

    def trainable_upstream(self, node, port: str) -> list[Buffer]:
        edge = self.graph.source_of(node.id, port)
        if edge is None:
            return []
        seen, stack, found = set(), [edge.src], []
        while stack:
            node_id = stack.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            context = self.contexts.get(node_id)
            if context is not None:
                found.extend(b for b in context.owned_params if b not in found)
            stack.extend(e.src for e in self.graph.edges_into(node_id))
        ids = {id(b) for b in found}
        return [b for b in self.program.trainable if id(b) in ids]  # stable program order


def compile_graph(graph: Graph, registry: Registry, backend: Backend = NUMPY, *,
                  seed: int = 0, dtype=None, batch_size: int | None = None,
                  monitors: bool = True) -> Program:
    """Validate graph, build each node's kernels in order and return the runnable Program.

    batch_size is the largest batch any buffer must hold; by default it is read from the
    data nodes' 'batch_size' parameters. dtype defaults to the graph's optional 'dtype' setting
    (float32 unless it says float64); float64 is also for gradient checks. monitors=False
    leaves out the standard monitors (gradient norms, first-layer weight images). Raises
    CompileError naming every problem.

    Delay (z^-1) nodes are allocated first, so the nodes they feed (which may come earlier in
    the order when the delay closes a loop) can bind their output. Loops over time (engines.scan)
    are found first; their nodes get per-step buffers and run inside a scan, trained by
    backpropagation through time.
    """
    problems = [p for p in validate(graph, registry) if p.severity is Severity.ERROR]
    if problems:
        raise CompileError([(p.node_id, p.message) for p in problems])
    order = topological_order(graph, registry)
    if batch_size is None:
        batch_size = _batch_size_from_data_nodes(graph, registry)
    if dtype is None:
        dtype = np.dtype(graph.settings.get("dtype", "float32")).type
    comp = Compilation(graph, registry, backend, seed, dtype, batch_size)
    try:
        loops = find_loops(graph, registry, order)
    except LoopError as exc:
        raise CompileError([(exc.node_id, str(exc))]) from None
    comp.loops = {node_id: loop for loop in loops for node_id in loop.nodes}
    comp.full_batch = _full_batch_optimizer(graph, registry)
    program = comp.program
    program.order = order
    for node_id in order:
        program.specs[node_id] = registry.spec(graph.nodes[node_id].type_id)
    _allocate_delay_outputs(comp, order)
    for node_id in order:
        _build_node(comp, node_id)
    program.backwards.reverse()
    apply_loops(comp, loops)
    for view in comp.tied:  # after every user's backward: sum tied grads into their root's
        program.backwards.append((view.node_id, view.add_grad_to_source))
    _allocate_grads(program, graph, comp)
    _mark_overwritten_grads(comp)
    _fuse_elementwise_readers(comp)
    program.unread_metrics = _unread_metrics(program, graph)
    program.prepare()
    if monitors:
        from engines.monitors import standard_monitors
        program.monitors.extend(standard_monitors(program))
    return program


def _context(comp: Compilation, node_id: str) -> BuildContext:
    ctx = comp.contexts.get(node_id)
    if ctx is None:
        node = comp.graph.nodes[node_id]
        ctx = BuildContext(comp, node, comp.registry.spec(node.type_id))
        comp.contexts[node_id] = ctx
    return ctx


def _build_node(comp: Compilation, node_id: str) -> None:
    node = comp.graph.nodes[node_id]
    node_type = comp.registry.get(node.type_id)
    spec = node_type.spec
    if node_type.builder is None:
        raise CompileError([(node_id, f"{spec.title} '{node.label}' has no engine builder; "
                                      "it can be drawn but not run.")])
    ctx = _context(comp, node_id)
    try:
        step = node_type.builder(ctx)
    except (BuildError, ShapeError) as exc:
        raise CompileError([(getattr(exc, "node_id", node_id), str(exc))]) from None
    except Exception as exc:  # a plugin's bug must reach the user as a message, not a crash
        raise CompileError([(node_id, f"{spec.title} '{node.label}' could not be built "
                                      f"({type(exc).__name__}: {exc}).")]) from exc
    comp.program.param_counts[node_id] = sum(int(b.value.size) for b in ctx.owned_params)
    if step is not None:
        comp.steps[node_id] = step
        _collect(comp.program, node_id, step)
        if getattr(step, "overwrites", ()):
            comp.overwrites[node_id] = tuple(step.overwrites)


def _allocate_delay_outputs(comp: Compilation, order: list) -> None:
    """Give every delay node its (zero) output buffers before any node is built."""
    info = None
    for node_id in order:
        node = comp.graph.nodes[node_id]
        spec = comp.registry.spec(node.type_id)
        if not spec.delay:
            continue
        ctx = _context(comp, node_id)
        fixed = list(ctx.params.get("shape") or [])
        for port in spec.outputs:
            if fixed:
                shape = (None, *fixed)
            else:
                if info is None:
                    info = infer_shapes(comp.graph, comp.registry)
                shape = info.port_shapes.get((node_id, port.name))
            if shape is None:
                raise CompileError([(node_id, f"{spec.title} '{node.label}' closes a loop, so "
                                              "the shape of its output cannot come from its "
                                              "input; set its 'shape' parameter (features per "
                                              "sample, e.g. [8]).")])
            ctx.output(port.name, shape, batched=shape[0] is None if shape else False)


def _collect(program: Program, node_id: str, step) -> None:
    if step.forward is not None:
        program.forwards.append((node_id, step.forward))
    if step.backward is not None:
        program.backwards.append((node_id, step.backward))
    if step.update is not None:
        program.updates.append((node_id, step.update))
    if step.begin is not None:
        program.begins.append(step.begin)
    if step.end_epoch is not None:
        program.epoch_ends.append((node_id, step.end_epoch))
    if getattr(step, "after_step", None) is not None:
        program.after_steps.append((node_id, step.after_step))
    if getattr(step, "sample_grads", None) is not None:
        program.sample_grads[node_id] = step.sample_grads


def _allocate_grads(program: Program, graph: Graph, comp: Compilation) -> None:
    """Give an output a gradient buffer when a trainable parameter lies upstream of it.

    Outputs of plain delays never get one (no gradient flows back through them); every
    output inside a loop over time does, and its delays pass gradients back through time.
    """
    if not program.loss_seeds:
        return
    for node_id in program.order:
        ctx = comp.contexts[node_id]
        in_loop = node_id in comp.loops
        if ctx.spec.delay and not in_loop:
            continue
        needs = bool(ctx.owned_params) or in_loop or any(
            program.outputs[(e.src, e.src_port)].requires_grad
            for e in graph.edges_into(node_id) if (e.src, e.src_port) in program.outputs)
        if not needs:
            continue
        for (owner, _port), buf in program.outputs.items():
            if owner == node_id and buf.value.dtype.kind == "f":
                buf.requires_grad = True
                buf.allocate_grad(comp.backend.xp)
    for buf in program.loss_seeds:
        buf.allocate_grad(comp.backend.xp)


def _mark_overwritten_grads(comp: Compilation) -> None:
    """Set grad_overwrite on each gradient whose only reader writes it whole.

    Saves two passes over the buffer per step (zeroing it, and adding into it). Not inside a
    loop over time, where a gradient gathers contributions from every step.
    """
    graph, outputs = comp.graph, comp.program.outputs
    in_loops = comp.loops
    readers: dict[tuple, int] = {}
    for edge in graph.edges:
        readers[(edge.src, edge.src_port)] = readers.get((edge.src, edge.src_port), 0) + 1
    for node_id, ports in comp.overwrites.items():
        if node_id in in_loops:
            continue
        for port in ports:
            edge = graph.source_of(node_id, port)
            if edge is None or edge.src in in_loops:
                continue
            key = (edge.src, edge.src_port)
            buf = outputs.get(key)
            if buf is not None and buf.grad is not None and readers.get(key) == 1 \
                    and buf not in comp.program.loss_seeds:
                buf.grad_overwrite = True


def _fuse_elementwise_readers(comp: Compilation) -> None:
    """Let a node whose output only an elementwise node reads do that node's work too
    (Step.fuse, e.g. Dense + ReLU: the bias and the ReLU in one pass after the matmul, the
    ReLU's gradient and the bias gradient in one before it). Not inside loops over time."""
    graph, program = comp.graph, comp.program
    for node_id, step in comp.steps.items():
        if step.fuse is None or node_id in comp.loops:
            continue
        edges = graph.edges_from(node_id)
        if len(edges) != 1 or edges[0].dst_port != "x":
            continue
        reader = edges[0].dst
        reader_step = comp.steps.get(reader)
        if reader_step is None or reader_step.elementwise is None or reader in comp.loops:
            continue
        produced = program.outputs.get((node_id, edges[0].src_port))
        y = program.outputs.get((reader, "y"))
        if produced is None or y is None or (produced.grad is not None
                                             and not produced.grad_overwrite):
            continue  # the fused backward writes the produced gradient whole
        kernels = step.fuse(reader_step.elementwise, y)
        if kernels is not None:
            program.fused[node_id] = kernels
            program.fused_away.add(reader)


def _unread_metrics(program: Program, graph: Graph) -> list:
    """Metric outputs no wire reads: nothing writes their gradients, so none needs zeroing."""
    read = {(edge.src, edge.src_port) for edge in graph.edges}
    metric_buffers = {id(metric.buffer) for metric in program.metrics}
    return [buf for key, buf in program.outputs.items()
            if id(buf) in metric_buffers and key not in read]


def _full_batch_optimizer(graph: Graph, registry: Registry) -> str | None:
    """'Title 'label'' of the first optimizer that needs the whole training split, or None."""
    for node in graph.nodes.values():
        spec = registry.spec(node.type_id)
        if spec.batching is not Batching.MINIBATCH:
            return f"{spec.title} '{node.label}'"
    return None


def _batch_size_from_data_nodes(graph: Graph, registry: Registry) -> int:
    sizes = []
    for node in graph.nodes.values():
        spec = registry.spec(node.type_id)
        if any(p.name == "batch_size" for p in spec.params) and spec.role is NodeRole.DATA:
            sizes.append(int(node.params.get("batch_size", spec.param("batch_size").default)))
    return max(sizes) if sizes else 1


compile = compile_graph  # the name the architecture uses; compile_graph avoids the builtin
