"""The recurrent pack's export rules against the engine: ONNX's RNN / LSTM / GRU ops (gate
reordering, peepholes, the notes' GRU via linear_before_reset = 0), the explicit cells in the
NumPy and PyTorch code, the last step and the unrolled attention window."""

from __future__ import annotations

import pytest

from engines.export import ExportError, export_graph
from tests.engines.graphs import build
from tests.export.helpers import TOLERANCE, export_differences

LAYERS = {
    "lstm_peephole": ("recurrent.lstm", {"units": 5, "peephole": True}),
    "lstm_bidirectional": ("recurrent.lstm", {"units": 4, "bidirectional": True}),
    "gru_reset_after": ("recurrent.gru", {"units": 5}),
    "gru_notes_bidirectional": ("recurrent.gru", {"units": 4, "convention": "notes",
                                                  "bidirectional": True}),
    "simple_rnn_relu": ("recurrent.simple_rnn", {"units": 6, "activation": "relu"}),
}


def _sequence_graph(type_id, params, extra=(), edges=()):
    return build("sequence", [
        ("data", "recurrent.sequence_task", {"task": "sine", "steps": 7, "samples": 64,
                                             "batch_size": 16}),
        ("rnn", type_id, params), *extra,
    ], ["data.x -> rnn.x", *edges])


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_recurrent_layers_match_the_engine(name, registry, tmp_path):
    type_id, params = LAYERS[name]
    graph = _sequence_graph(type_id, params, [
        ("window", "recurrent.attention_window", {"window": 2}),
        ("out", "recurrent.seq_dense", {"units": 1, "activation": "tanh"}),
        ("loss", "recurrent.seq_mse", {}),
    ], ["rnn.y -> window.x", "window.y -> out.x", "out.y -> loss.pred", "data.y -> loss.target"])
    for fmt, difference in export_differences(graph, registry, tmp_path).items():
        assert difference <= TOLERANCE, f"{name} {fmt.value}: {difference:.3g}"


def test_final_states_and_last_step(registry, tmp_path):
    graph = _sequence_graph("recurrent.lstm", {"units": 3}, [
        ("last", "recurrent.last_step", {}), ("head", "core.dense", {"units": 2}),
        ("sum", "core.concat", {}),
    ], ["rnn.y -> last.x", "last.y -> head.x", "rnn.h -> sum.a", "rnn.c -> sum.b"])
    for fmt, difference in export_differences(graph, registry, tmp_path).items():
        assert difference <= TOLERANCE, f"{fmt.value}: {difference:.3g}"


def test_a_wired_initial_state_is_refused(registry, tmp_path):
    graph = _sequence_graph("recurrent.gru", {"units": 2}, [
        ("start", "core.constant", {"values": [0.5, 0.5]}),
    ], ["start.x -> rnn.h0"])
    with pytest.raises(ExportError) as caught:
        export_graph(graph, registry, "onnx", tmp_path / "model")
    assert caught.value.node_id == "rnn" and "h0" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("jordan", [False, True], ids=["elman", "jordan"])
def test_loops_over_time_unroll(jordan, registry, tmp_path):
    from tests.recurrent.graphs import elman
    graph = elman(jordan=jordan)
    for fmt, difference in export_differences(graph, registry, tmp_path).items():
        assert difference <= TOLERANCE, f"{fmt.value}: {difference:.3g}"
    onnx = pytest.importorskip("onnx")
    model = onnx.load(str(tmp_path / "elman_onnx.onnx"))
    gemms = [node for node in model.graph.node if node.op_type == "Gemm"]
    assert len(gemms) == 2 * 6  # hidden and out, once per time step (T = 6)
    weights = {init.name for init in model.graph.initializer if "/" in init.name}
    assert weights == {"hidden/W", "hidden/b", "out/W", "out/b", "z/zeros"}  # one copy each


def test_a_stateful_delay_is_refused(registry, tmp_path):
    from tests.recurrent.graphs import elman
    with pytest.raises(ExportError) as caught:
        export_graph(elman(stateful=True), registry, "numpy", tmp_path / "model")
    assert caught.value.node_id == "z" and "stateful" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("convention, builtin", [("reset_after", True), ("notes", False)])
def test_torch_code_uses_torch_layers_where_they_fit(convention, builtin, registry, tmp_path):
    torch = pytest.importorskip("torch")
    from engines.export.check import import_file
    graph = _sequence_graph("recurrent.gru", {"units": 3, "convention": convention}, [
        ("out", "recurrent.seq_dense", {"units": 1})], ["rnn.y -> out.x"])
    export_graph(graph, registry, "torch", tmp_path / "gru", check=False)
    model = import_file(tmp_path / "gru.py").load_model()
    assert isinstance(getattr(model, "rnn", None), torch.nn.GRU) is builtin
    if builtin:
        assert float(model.rnn.bias_hh_l0.detach().abs().sum()) == 0.0
