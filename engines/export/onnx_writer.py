"""ExportModel -> ONNX (opset 17), built with the `onnx` package and checked by its checker."""

from __future__ import annotations

import numpy as np

OPSET = 17
IR_VERSION = 8  # the IR of opset 17, so older runtimes load the file too


class OnnxGraph:
    """What an OpKind's onnx emitter writes into: nodes, initializers, fresh names."""

    def __init__(self, model):
        from onnx import helper, numpy_helper

        self._helper, self._numpy_helper = helper, numpy_helper
        self.model = model
        self.nodes: list = []
        self.initializers: dict = {}  # name -> TensorProto
        self._names: set = set()
        self._count = 0

    def node(self, op_type: str, inputs, outputs, **attrs) -> None:
        self._count += 1
        self.nodes.append(self._helper.make_node(op_type, list(inputs), list(outputs),
                                                 name=f"{op_type}_{self._count}", **attrs))

    def weight(self, key: str) -> str:
        """The initializer holding exported weight `key` (added once)."""
        if key not in self.initializers:
            array = np.asarray(self.model.weights[key], dtype=np.float32)
            self.initializers[key] = self._numpy_helper.from_array(array, name=key)
        return key

    def const(self, value, name: str | None = None) -> str:
        """An initializer holding value (a float becomes a float32 scalar)."""
        array = np.asarray(value, dtype=np.float32) if isinstance(value, float) \
            else np.asarray(value)
        name = self.fresh(name or f"const{self._count}")
        self.initializers[name] = self._numpy_helper.from_array(array, name=name)
        return name

    def fresh(self, hint: str) -> str:
        name, n = hint, 2
        while name in self._names or name in self.initializers:
            name, n = f"{hint}_{n}", n + 1
        self._names.add(name)
        return name


def build_onnx(model):
    """The onnx.ModelProto of model, with the graph name, Dendrite version and input shape in
    its metadata; raises onnx.checker.ValidationError on an inconsistent graph."""
    import onnx
    from onnx import TensorProto, helper

    graph = OnnxGraph(model)
    for op in model.ops:
        op.kind.onnx(op, graph)

    def info(port):
        return helper.make_tensor_value_info(port.name, TensorProto.FLOAT,
                                             ["batch", *port.shape])

    doc = (f"Dendrite graph '{model.name}' (inference part), exported by Dendrite "
           f"{model.version}. Inputs {model.describe_inputs()}; outputs "
           f"{model.describe_outputs()}.")
    onnx_graph = helper.make_graph(graph.nodes, model.name, [info(p) for p in model.inputs],
                                   [info(p) for p in model.outputs],
                                   list(graph.initializers.values()), doc_string=doc)
    proto = helper.make_model(onnx_graph, producer_name="Dendrite",
                              producer_version=model.version, doc_string=doc,
                              opset_imports=[helper.make_opsetid("", OPSET)])
    proto.ir_version = IR_VERSION
    helper.set_model_props(proto, {"graph_name": model.name, "dendrite_version": model.version,
                                   "input_shape": model.describe_inputs(),
                                   "output_shape": model.describe_outputs()})
    onnx.checker.check_model(proto, full_check=True)
    return proto


def onnx_bytes(model) -> bytes:
    return build_onnx(model).SerializeToString()
