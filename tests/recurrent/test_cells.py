"""Recurrent cells: PyTorch parity in float64 (outputs and gradients to 1e-10), independent
float64 references for the forms PyTorch lacks, and finite-difference checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engines.gradcheck import NodeHarness, check_gradients

TORCH = {"recurrent.simple_rnn": torch.nn.RNN, "recurrent.lstm": torch.nn.LSTM,
         "recurrent.gru": torch.nn.GRU}
B, T, F, N = 3, 5, 4, 6


def _harness(type_id, params, with_state=False, seed=0):
    inputs = {"x": (B, T, F)}
    width = N * (2 if params.get("bidirectional") else 1)
    if with_state:
        inputs["h0"] = (B, width)
        if type_id == "recurrent.lstm":
            inputs["c0"] = (B, width)
    harness = NodeHarness(type_id, inputs, {"units": N, **params}, seed=seed)
    rng = np.random.default_rng(seed + 7)
    for buf in harness.params.values():
        buf.value[...] = rng.normal(0.0, 0.5, buf.value.shape)
    harness.backward()
    return harness


def _torch_run(type_id, harness, params, with_state):
    bidirectional = bool(params.get("bidirectional"))
    module = TORCH[type_id](F, N, batch_first=True, bidirectional=bidirectional,
                            dtype=torch.float64)
    with torch.no_grad():
        for suffix, torch_suffix in (("", ""), ("_back", "_reverse"))[:1 + bidirectional]:
            getattr(module, f"weight_ih_l0{torch_suffix}").copy_(
                torch.from_numpy(harness.params[f"W{suffix}"].value.T.copy()))
            getattr(module, f"weight_hh_l0{torch_suffix}").copy_(
                torch.from_numpy(harness.params[f"U{suffix}"].value.T.copy()))
            getattr(module, f"bias_ih_l0{torch_suffix}").copy_(
                torch.from_numpy(harness.params[f"b{suffix}"].value))
            getattr(module, f"bias_hh_l0{torch_suffix}").zero_()
    x = torch.tensor(harness.inputs["x"].value, requires_grad=True)
    directions = 2 if bidirectional else 1

    def state(port):  # ours (batch, D*n) -> torch (D, batch, n)
        value = harness.inputs[port].value.reshape(B, directions, N).transpose(1, 0, 2)
        return torch.tensor(np.ascontiguousarray(value), requires_grad=True)

    states = None
    if with_state:
        states = state("h0")
        if type_id == "recurrent.lstm":
            states = (states, state("c0"))
    out, final = module(x, states)
    finals = final if type_id == "recurrent.lstm" else (final,)
    names = ("h", "c")[:len(finals)]
    flat = {name: f.transpose(0, 1).reshape(B, directions * N) for name, f in zip(names, finals)}
    loss = (out * torch.from_numpy(harness.weights["y"])).sum()
    for name, value in flat.items():
        loss = loss + (value * torch.from_numpy(harness.weights[name])).sum()
    loss.backward()
    grads = {"x": x.grad.numpy()}
    for suffix, torch_suffix in (("", ""), ("_back", "_reverse"))[:directions]:
        grads[f"W{suffix}"] = getattr(module, f"weight_ih_l0{torch_suffix}").grad.numpy().T
        grads[f"U{suffix}"] = getattr(module, f"weight_hh_l0{torch_suffix}").grad.numpy().T
        grads[f"b{suffix}"] = getattr(module, f"bias_ih_l0{torch_suffix}").grad.numpy()
    if with_state:
        h0 = states[0] if type_id == "recurrent.lstm" else states
        grads["h0"] = h0.grad.numpy().transpose(1, 0, 2).reshape(B, -1)
        if type_id == "recurrent.lstm":
            grads["c0"] = states[1].grad.numpy().transpose(1, 0, 2).reshape(B, -1)
    values = {"y": out.detach().numpy(), **{k: v.detach().numpy() for k, v in flat.items()}}
    return values, grads


PARITY = [
    ("recurrent.simple_rnn", {}, False),
    ("recurrent.simple_rnn", {"bidirectional": True}, True),
    ("recurrent.lstm", {}, False),
    ("recurrent.lstm", {}, True),
    ("recurrent.lstm", {"bidirectional": True}, True),
    ("recurrent.gru", {}, False),
    ("recurrent.gru", {"bidirectional": True}, True),
]


@pytest.mark.parametrize("type_id, params, with_state", PARITY)
def test_outputs_and_gradients_equal_pytorch(type_id, params, with_state):
    harness = _harness(type_id, params, with_state)
    values, grads = _torch_run(type_id, harness, params, with_state)
    for name, expected in values.items():
        np.testing.assert_allclose(harness.outputs[name].value, expected, rtol=0, atol=1e-10,
                                   err_msg=name)
    for name, expected in grads.items():
        buf = harness.params.get(name) or harness.inputs.get(name)
        np.testing.assert_allclose(buf.grad, expected, rtol=0, atol=1e-10, err_msg=name)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _reference_peephole(x, W, U, b, P):
    n = U.shape[0]
    h, c = np.zeros((x.shape[0], n)), np.zeros((x.shape[0], n))
    states = []
    for t in range(x.shape[1]):
        a = x[:, t] @ W + h @ U + b
        i = _sigmoid(a[:, :n] + P[0] * c)
        f = _sigmoid(a[:, n:2 * n] + P[1] * c)
        g = np.tanh(a[:, 2 * n:3 * n])
        c = f * c + i * g
        o = _sigmoid(a[:, 3 * n:] + P[2] * c)
        h = o * np.tanh(c)
        states.append(h)
    return np.stack(states, axis=1)


def _reference_notes_gru(x, W, U, b):
    n = U.shape[0]
    h = np.zeros((x.shape[0], n))
    states = []
    for t in range(x.shape[1]):
        a = x[:, t] @ W + b
        r = _sigmoid(a[:, :n] + h @ U[:, :n])
        z = _sigmoid(a[:, n:2 * n] + h @ U[:, n:2 * n])
        candidate = np.tanh(a[:, 2 * n:] + (r * h) @ U[:, 2 * n:])
        h = (1 - z) * h + z * candidate
        states.append(h)
    return np.stack(states, axis=1)


def test_peephole_lstm_equals_an_independent_reference():
    harness = _harness("recurrent.lstm", {"peephole": True})
    p = {k: v.value for k, v in harness.params.items()}
    expected = _reference_peephole(harness.inputs["x"].value, p["W"], p["U"], p["b"], p["P"])
    np.testing.assert_allclose(harness.outputs["y"].value, expected, rtol=0, atol=1e-12)


def test_notes_gru_equals_an_independent_reference():
    harness = _harness("recurrent.gru", {"convention": "notes"})
    p = {k: v.value for k, v in harness.params.items()}
    expected = _reference_notes_gru(harness.inputs["x"].value, p["W"], p["U"], p["b"])
    np.testing.assert_allclose(harness.outputs["y"].value, expected, rtol=0, atol=1e-12)
    assert not np.allclose(expected, _harness("recurrent.gru", {}).outputs["y"].value)


GRADCHECK = [
    ("recurrent.simple_rnn", {"activation": "tanh"}),
    ("recurrent.simple_rnn", {"activation": "linear", "bidirectional": True}),
    ("recurrent.lstm", {"peephole": True}),
    ("recurrent.lstm", {"peephole": True, "bidirectional": True}),
    ("recurrent.gru", {"convention": "notes"}),
    ("recurrent.gru", {"convention": "notes", "bidirectional": True}),
    ("recurrent.gru", {"convention": "reset_after"}),
]


@pytest.mark.parametrize("type_id, params", GRADCHECK)
def test_gradients_match_finite_differences(type_id, params):
    width = 3 * (2 if params.get("bidirectional") else 1)
    inputs = {"x": (2, 4, 3), "h0": (2, width)}
    if type_id == "recurrent.lstm":
        inputs["c0"] = (2, width)
    result = check_gradients(type_id, inputs, {"units": 3, **params})
    assert set(result.errors) >= {"W", "U", "b", "x", "h0"}
    assert result.max_error < 1e-7, str(result)


def test_final_state_only_skips_the_sequence():
    harness = _harness("recurrent.lstm", {"return_sequences": False})
    assert np.all(harness.outputs["y"].value == 0)
    values, _ = _torch_run("recurrent.lstm", _harness("recurrent.lstm", {}), {}, False)
    np.testing.assert_allclose(harness.outputs["h"].value, values["h"], atol=1e-10)


@pytest.mark.parametrize("type_id, per_unit", [("recurrent.simple_rnn", 1),
                                               ("recurrent.lstm", 4), ("recurrent.gru", 3)])
def test_parameter_count_is_the_notes_formula(registry, type_id, per_unit):
    spec = registry.spec(type_id)
    m, n = 7, 5
    _, shapes = spec.infer_shapes({**spec.defaults(), "units": n}, {"x": (None, 9, m)})
    assert sum(int(np.prod(s)) for s in shapes.values()) == per_unit * (n * n + m * n + n)


def test_stateful_lstm_starts_each_batch_from_the_last_final_state(registry):
    from engines.compiler import compile_graph
    from tests.engines.graphs import build
    graph = build("stateful", [
        ("data", "recurrent.sequence_task", {"task": "sine", "steps": 7, "samples": 6,
                                             "batch_size": 3, "val_split": 0.0,
                                             "shuffle": False}),
        ("rnn", "recurrent.lstm", {"units": 4, "stateful": True}),
    ], ["data.x -> rnn.x"])
    program = compile_graph(graph, registry, dtype=np.float64)
    module = torch.nn.LSTM(1, 4, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(program.params[("rnn", "W")].value.T.copy()))
        module.weight_hh_l0.copy_(torch.from_numpy(program.params[("rnn", "U")].value.T.copy()))
        module.bias_ih_l0.copy_(torch.from_numpy(program.params[("rnn", "b")].value))
        module.bias_hh_l0.zero_()
    state = None
    for batch in range(2):
        program.load("train", batch)
        program.forward()
        x = torch.from_numpy(program.outputs[("data", "x")].value.copy())
        with torch.no_grad():
            out, state = module(x, state)
        np.testing.assert_allclose(program.outputs[("rnn", "y")].value, out.numpy(),
                                   atol=1e-12)
    program.epoch_ends[0][1](0)  # a new epoch starts from zeros again
    program.load("train", 0)
    program.forward()
    with torch.no_grad():
        out, _ = module(torch.from_numpy(program.outputs[("data", "x")].value.copy()))
    np.testing.assert_allclose(program.outputs[("rnn", "y")].value, out.numpy(), atol=1e-12)
