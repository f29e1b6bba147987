"""Each core export rule on a small graph, in every format, against the engine (1e-5)."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from engines.export import ExportError, export_graph
from engines.export.api import ExportFormat, prepare
from engines.export.check import import_file
from tests.engines.graphs import build
from tests.export.helpers import TOLERANCE, export_differences

ACTIVATIONS = [
    ("core.sigmoid", {"slope": 2.5}), ("core.sigmoid", {}), ("core.tanh", {}),
    ("core.relu", {}), ("core.leaky_relu", {"alpha": 0.2}), ("core.elu", {"alpha": 0.7}),
    ("core.softplus", {}), ("core.softmax", {}), ("core.linear", {}),
    ("core.threshold", {"bipolar": True}), ("core.threshold", {"bipolar": False}),
    ("core.stochastic_binary", {}), ("core.dropout", {"rate": 0.5}),
    ("core.gaussian_noise", {"stddev": 1.0}),
]


def _blobs(*nodes, edges=()):
    return build("layers", [("data", "core.dataset", {"dataset": "blobs", "batch_size": 8}),
                            *nodes], list(edges))


@pytest.mark.parametrize("type_id, params", ACTIVATIONS,
                         ids=[f"{t}{sorted(p.items())}" for t, p in ACTIVATIONS])
def test_activation_rules(type_id, params, registry, tmp_path):
    graph = _blobs(("dense", "core.dense", {"units": 5}), ("act", type_id, params),
                   edges=["data.x -> dense.x", "dense.y -> act.x"])
    for fmt, difference in export_differences(graph, registry, tmp_path).items():
        assert difference <= TOLERANCE, f"{type_id} {fmt.value}: {difference:.3g}"


def test_joins_cuts_and_two_outputs(registry, tmp_path):
    graph = _blobs(("d1", "core.dense", {"units": 4}), ("d2", "core.dense", {"units": 4,
                                                                              "bias": False}),
                   ("sum", "core.add", {}), ("cat", "core.concat", {}),
                   ("cut", "core.split", {"at": 5}),
                   edges=["data.x -> d1.x", "data.x -> d2.x", "d1.y -> sum.a", "d2.y -> sum.b",
                          "sum.y -> cat.a", "d1.y -> cat.b", "d2.y -> cat.c", "cat.y -> cut.x"])
    prepared = prepare(graph, registry)
    assert [(p.name, p.shape) for p in prepared.model.outputs] == [("cut_a", (5,)),
                                                                    ("cut_b", (7,))]
    for fmt, difference in export_differences(graph, registry, tmp_path).items():
        assert difference <= TOLERANCE, f"{fmt.value}: {difference:.3g}"


def test_two_inputs_are_named_after_their_ports(registry, tmp_path):
    graph = _blobs(("d1", "core.dense", {"units": 4}), ("d2", "core.dense", {"units": 4}),
                   ("sum", "core.add", {}),
                   edges=["data.x -> d1.x", "data.y -> d2.x", "d1.y -> sum.a", "d2.y -> sum.b"])
    model = prepare(graph, registry).model
    assert [(p.name, p.shape) for p in model.inputs] == [("data_x", (2,)), ("data_y", (3,))]
    for fmt, difference in export_differences(graph, registry, tmp_path).items():
        assert difference <= TOLERANCE, f"{fmt.value}: {difference:.3g}"


def test_a_wrong_weight_is_caught_by_the_comparison(registry, tmp_path):
    """The check is not vacuous: one changed weight in the .npz shows as a difference."""
    graph = _blobs(("dense", "core.dense", {"units": 3}), edges=["data.x -> dense.x"])
    export_graph(graph, registry, "numpy", tmp_path / "model", check=False)
    weights = dict(np.load(tmp_path / "model.npz"))
    weights["dense/W"] = weights["dense/W"] + 1e-3
    np.savez(tmp_path / "model.npz", **weights)
    prepared = prepare(graph, registry)
    from engines.export.check import max_difference, reference_forward, run_export, sample_inputs
    inputs = sample_inputs(prepared)
    _, actual = run_export(ExportFormat.NUMPY, [tmp_path / "model.py"], inputs, ["y"])
    assert max_difference(reference_forward(prepared, inputs), actual) > TOLERANCE


def test_delay_loop_is_refused_by_name(registry, tmp_path):
    graph = build("loop", [
        ("data", "core.dataset", {"dataset": "sine", "batch_size": 4}),
        ("cat", "core.concat", {}), ("dense", "core.dense", {"units": 1}),
        ("memory", "core.delay", {"shape": [1]}), ("loss", "core.mse", {}),
    ], ["data.x -> cat.a", "memory.y -> cat.b", "cat.y -> dense.x", "dense.y -> memory.x",
        "dense.y -> loss.pred", "data.y -> loss.target"])
    with pytest.raises(ExportError) as caught:
        export_graph(graph, registry, "numpy", tmp_path / "model")
    assert caught.value.node_id == "memory"
    assert "delay" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_node_without_a_rule_is_named(registry, tmp_path):
    graph = _blobs(("dense", "core.dense", {"units": 3}), edges=["data.x -> dense.x"])
    saved = registry.export_rules.pop("core.dense")
    try:
        with pytest.raises(ExportError) as caught:
            export_graph(graph, registry, "onnx", tmp_path / "model")
    finally:
        registry.export_rules["core.dense"] = saved
    assert caught.value.node_id == "dense"
    assert "core.dense" in str(caught.value) and "no export rule" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


# -- what the files carry ------------------------------------------------------------------


def _xor(registry):
    graph = build("xor_export", [
        ("data", "core.dataset", {"dataset": "xor", "batch_size": 4}),
        ("hidden", "core.dense", {"units": 4}), ("act", "core.tanh", {}),
        ("output", "core.dense", {"units": 1}), ("prob", "core.sigmoid", {}),
        ("loss", "core.mse", {}), ("opt", "core.sgd", {"lr": 0.5}),
    ], ["data.x -> hidden.x", "hidden.y -> act.x", "act.y -> output.x", "output.y -> prob.x",
        "prob.y -> loss.pred", "data.y -> loss.target", "loss.loss -> opt.loss"])
    return graph


def test_onnx_carries_opset_name_version_and_input_shape(registry, tmp_path):
    import onnx

    from engines.export import dendrite_version
    result = export_graph(_xor(registry), registry, "onnx", tmp_path / "xor")
    assert result.files == [tmp_path / "xor.onnx"]
    assert result.check.max_abs_diff <= TOLERANCE
    model = onnx.load(str(tmp_path / "xor.onnx"))
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    props = {p.key: p.value for p in model.metadata_props}
    assert props["graph_name"] == "xor_export"
    assert props["dendrite_version"] == dendrite_version() != "unknown"
    assert props["input_shape"] == "x: (batch, 2)"
    assert model.graph.name == "xor_export"
    types = {node.op_type for node in model.graph.node}
    assert types == {"Gemm", "Tanh", "Sigmoid"}  # the loss, data and optimizer left out
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 2]


def test_numpy_module_imports_only_numpy(registry, tmp_path):
    export_graph(_xor(registry), registry, "numpy", tmp_path / "xor_np", check=False)
    tree = ast.parse((tmp_path / "xor_np.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names} | {node.module for node in ast.walk(tree)
                                            if isinstance(node, ast.ImportFrom)}
    assert imported == {"numpy"}
    module = import_file(tmp_path / "xor_np.py")
    assert module.GRAPH_NAME == "xor_export"
    assert module.INPUT_SHAPES == {"x": (None, 2)}
    assert "xor_export" in module.__doc__ and "x: (batch, 2)" in module.__doc__
    assert module.predict(np.zeros((3, 2))).shape == (3, 1)


def test_torch_module_mirrors_the_graph(registry, tmp_path):
    torch = pytest.importorskip("torch")
    export_graph(_xor(registry), registry, "torch", tmp_path / "xor_torch", check=False)
    module = import_file(tmp_path / "xor_torch.py")
    model = module.load_model()
    assert isinstance(model.hidden, torch.nn.Linear) and model.hidden.in_features == 2
    assert isinstance(model.act, torch.nn.Tanh)
    assert isinstance(model.output, torch.nn.Linear) and model.output.out_features == 1
    assert isinstance(model.prob, torch.nn.Sigmoid)
    assert not hasattr(model, "loss") and not hasattr(model, "opt")
    weights = np.load(tmp_path / "xor_torch.npz")
    np.testing.assert_array_equal(model.hidden.weight.detach().numpy(), weights["hidden/W"].T)
    assert module.DENDRITE_VERSION and "xor_export" in module.__doc__
