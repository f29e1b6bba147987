"""From a compiled graph to an ExportModel: find the inference part, lower each node by its rule.

The inference part is what feeds the losses' predictions (or, in a graph without a loss, its
unconsumed layer outputs), traced back to the data nodes, whose outputs become the model's
inputs. Data nodes, losses, optimizers and trainers are left out. A node in that part whose
type has no export rule, or whose rule refuses, stops the export with one message naming it.
"""

from __future__ import annotations

import re

import numpy as np

from engines.export.ir import AS_INPUT, ExportError, ExportModel, Op, OpKind, Port, Unexportable
from engines.export.unroll import structural, time_loops, units, unroll
from graph.spec import NodeRole, PortKind


def export_rules(registry) -> dict:
    """type_id -> rule, as the plugin loader collected them from the packs' EXPORT_RULES."""
    return getattr(registry, "export_rules", {})


class LowerContext:
    """What an export rule sees of its node: parameters, input values, weights, and emit()."""

    def __init__(self, lowering: _Lowering, node_id: str):
        self._l = lowering
        self.node_id = node_id
        self.node = lowering.graph.nodes[node_id]
        self.spec = lowering.registry.spec(self.node.type_id)
        self.params = dict(lowering.program.live[node_id].values)

    @property
    def label(self) -> str:
        return f"{self.spec.title} '{self.node.label}'"

    def input(self, port: str) -> str | None:
        """The value wired into input `port` (None for an unconnected optional input)."""
        edge = self._l.graph.source_of(self.node_id, port)
        return None if edge is None else self._l.values[(edge.src, edge.src_port)]

    def in_shape(self, port: str) -> tuple | None:
        """Shape per sample of the value wired into `port`."""
        edge = self._l.graph.source_of(self.node_id, port)
        return None if edge is None else self._l.sample_shape(edge.src, edge.src_port)

    def out_shape(self, port: str) -> tuple:
        return self._l.sample_shape(self.node_id, port)

    def weight(self, name: str) -> str:
        """The key of this node's parameter `name` in the exported weights."""
        key = f"{self.node_id}/{name}"
        if key in self._l.weights:
            return key
        buf = self._l.program.params.get((self.node_id, name))
        if buf is not None:
            self._l.weights[key] = self._l.host(buf)
            return key
        root, transposed = self._tie_root()
        buf = self._l.program.params.get((root, name))
        if buf is None:
            raise ExportError(f"{self.label} has no parameter '{name}' to export.",
                              self.node_id)
        if transposed:  # a decoder tied to its encoder's W.T: its own (transposed) copy
            self._l.weights[key] = np.ascontiguousarray(self._l.host(buf).T)
            return key
        return LowerContext(self._l, root).weight(name)  # one shared array

    def _tie_root(self) -> tuple[str, bool]:
        """(the node whose parameters this node shares, whether transposed) by graph.ties."""
        ties = getattr(self._l.graph, "ties", None) or {}
        if self.node_id not in ties:
            return self.node_id, False
        from graph.ties import chain
        root, transposed, _ = chain(ties, self.node_id)
        return root, transposed

    def weight_array(self, name: str) -> np.ndarray:
        return self._l.weights[self.weight(name)]

    def new_weight(self, name: str, array) -> str:
        """Add a derived array (a masked kernel, a reordered gate matrix) to the weights."""
        key = f"{self.node_id}/{name}"
        self._l.weights[key] = np.ascontiguousarray(array, dtype=np.float32)
        return key

    def emit(self, kind: OpKind, inputs, attrs: dict | None = None,
             weights: dict | None = None, outputs: int = 1):
        """Append an op; returns its output value (or a tuple of them when outputs > 1)."""
        names = []
        for _ in range(outputs):
            count = self._l.counts[self.node_id] = self._l.counts.get(self.node_id, 0) + 1
            names.append(f"{self.node_id}.{kind.name}{count}")
        self._l.ops.append(Op(kind, self.node_id, tuple(inputs), tuple(names),
                              dict(attrs or {}), dict(weights or {})))
        return names[0] if outputs == 1 else tuple(names)

    def output(self, port: str, value: str) -> None:
        """Bind this node's output `port` to `value`."""
        self._l.values[(self.node_id, port)] = value

    def compare_with(self, **params) -> None:
        """Run this node with these (live) parameter values when the export is checked
        against the engine: its inference form, where the engine's evaluation differs (a
        corruption that also acts on validation batches)."""
        self._l.reference_params.setdefault(self.node_id, {}).update(params)

    def refuse(self, reason: str) -> ExportError:
        """An ExportError naming this node; `raise ctx.refuse("...")`."""
        return ExportError(f"{self.label} cannot be exported: {reason}", self.node_id)


class _Lowering:
    def __init__(self, graph, registry, program):
        self.graph, self.registry, self.program = graph, registry, program
        self.values: dict = {}  # (node_id, port) -> value name
        self.weights: dict = {}
        self.ops: list = []
        self.counts: dict = {}  # node_id -> ops emitted, for unique value names
        self.reference_params: dict = {}  # node_id -> {param: value} for the engine check

    def host(self, buf) -> np.ndarray:
        return np.asarray(self.program.backend.to_host(buf.value), dtype=np.float32)

    def sample_shape(self, node_id: str, port: str) -> tuple:
        buf = self.program.outputs[(node_id, port)]
        shape = tuple(int(d) for d in buf.value.shape)  # one step's, inside a time loop
        return shape[1:] if buf.batched else shape


_VALUES = (PortKind.TENSOR, PortKind.SEQUENCE)  # what a model computes (not losses, spikes)


def _is_source(spec, rule) -> bool:
    return rule is AS_INPUT or (rule is None and spec.role is NodeRole.DATA)


def inference_part(graph, registry) -> tuple[list, list, set]:
    """(input (node, port) pairs, output (node, port) pairs, node ids to lower)."""
    rules = export_rules(registry)
    specs = {nid: registry.spec(node.type_id) for nid, node in graph.nodes.items()}

    def source(nid):
        return _is_source(specs[nid], rules.get(graph.nodes[nid].type_id))

    outputs = []
    losses = [nid for nid, spec in specs.items()
              if any(p.kind is PortKind.LOSS for p in spec.outputs)]
    for nid in losses:
        for port in specs[nid].inputs:
            edge = graph.source_of(nid, port.name)
            if port.kind in _VALUES and edge is not None and not source(edge.src):
                outputs.append((edge.src, edge.src_port))
    if not losses:
        consumed = {(e.src, e.src_port) for e in graph.edges  # a view node is no consumer
                    if any(p.kind in _VALUES for p in specs[e.dst].outputs)}
        for nid, spec in specs.items():
            if spec.role is NodeRole.LAYER and not source(nid):
                outputs.extend((nid, p.name) for p in spec.outputs
                               if p.kind in _VALUES and (nid, p.name) not in consumed)
    outputs = list(dict.fromkeys(outputs))
    if not outputs:
        raise ExportError("There is nothing to export: no loss has a prediction wired into "
                          "it and no layer has an unconnected output.")
    nodes, inputs, stack = set(), [], [nid for nid, _ in outputs]
    while stack:
        nid = stack.pop()
        if nid in nodes:
            continue
        nodes.add(nid)
        for edge in graph.edges_into(nid):
            if source(edge.src):
                inputs.append((edge.src, edge.src_port))
            else:
                stack.append(edge.src)
    node_index = {nid: i for i, nid in enumerate(graph.nodes)}

    def position(pair):  # graph order, then the spec's port order
        names = [p.name for p in specs[pair[0]].outputs]
        return node_index[pair[0]], names.index(pair[1]) if pair[1] in names else len(names)

    return sorted(dict.fromkeys(inputs), key=position), outputs, nodes


def _port_name(node_id: str, port: str, single: bool, default: str) -> str:
    if single:
        return default
    return re.sub(r"\W", "_", f"{node_id}_{port}")


def lower(graph, registry, program, version: str) -> ExportModel:
    """The ExportModel of graph's inference part, with the program's current weights."""
    rules = export_rules(registry)
    inputs, outputs, nodes = inference_part(graph, registry)
    lowering = _Lowering(graph, registry, program)
    model_inputs, sources = [], {}
    for node_id, port in inputs:
        name = _port_name(node_id, port, len(inputs) == 1, "x")
        lowering.values[(node_id, port)] = name
        model_inputs.append(Port(name, lowering.sample_shape(node_id, port)))
        sources[name] = (node_id, port)
    order = [nid for nid in program.order if nid in nodes]
    loops = time_loops(graph, registry, program.order, nodes)
    check_rules(graph, registry, order, loops)

    def lower_node(node_id):
        spec = registry.spec(graph.nodes[node_id].type_id)
        ctx = LowerContext(lowering, node_id)
        rules[graph.nodes[node_id].type_id](ctx)
        for port in spec.outputs:
            needed = any((node_id, port.name) == (e.src, e.src_port) and e.dst in nodes
                         for e in graph.edges) or (node_id, port.name) in outputs
            if needed and (node_id, port.name) not in lowering.values:
                raise ExportError(f"{ctx.label}: its export rule gave no value for output "
                                  f"'{port.name}'.", node_id)

    for unit in units(graph, order, loops):
        if isinstance(unit, str):
            lower_node(unit)
        else:
            unroll(lowering, unit, nodes, lower_node, lambda n: LowerContext(lowering, n))
    model_outputs, sinks = [], {}
    for node_id, port in outputs:
        name = _port_name(node_id, port, len(outputs) == 1, "y")
        model_outputs.append(Port(name, lowering.sample_shape(node_id, port)))
        sinks[name] = (node_id, port)
    ops = _name_outputs(lowering, model_inputs, outputs, [p.name for p in model_outputs])
    return ExportModel(graph.name, version, model_inputs, model_outputs, ops,
                       lowering.weights, order, sources, sinks, lowering.reference_params)


def check_rules(graph, registry, order: list, loops: list) -> None:
    """Raise for the first node that declares itself unexportable, else for the first node
    without a rule: a model's own reason beats a missing rule upstream of it. Delays, Steps
    and Collect inside a loop over time need no rule: the loop is unrolled."""
    rules = export_rules(registry)
    in_loops = {node_id for loop in loops for node_id in loop.nodes}
    missing = None
    for node_id in order:
        node = graph.nodes[node_id]
        rule, spec = rules.get(node.type_id), registry.spec(node.type_id)
        if node_id in in_loops and structural(spec):
            continue
        if isinstance(rule, Unexportable):
            raise ExportError(f"{spec.title} '{node.label}' cannot be exported: {rule.reason}",
                              node_id)
        if (rule is None or rule is AS_INPUT) and missing is None:
            missing = ExportError(f"{spec.title} '{node.label}' ({node.type_id}) cannot be "
                                  "exported: its node type has no export rule, so it has no "
                                  "inference form here.", node_id)
    if missing is not None:
        raise missing


def _name_outputs(lowering, model_inputs, outputs, names) -> list:
    """Rename the values that leave the model to the outputs' names (identity where a value
    leaves twice or comes straight from an input)."""
    from engines.export.ops import IDENTITY

    ops = list(lowering.ops)
    input_names = {p.name for p in model_inputs}
    renames = {}
    for (node_id, port), name in zip(outputs, names):
        value = lowering.values[(node_id, port)]
        if value in input_names or value in renames:
            ops.append(Op(IDENTITY, node_id, (value,), (name,)))
        else:
            renames[value] = name

    def rename(values):
        return tuple(renames.get(v, v) for v in values)

    return [Op(op.kind, op.node_id, rename(op.inputs), rename(op.outputs), op.attrs,
               op.weights) for op in ops]
