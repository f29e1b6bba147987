"""Sequence tasks and sequence files: what the generators promise, and file import."""

from __future__ import annotations

import numpy as np
import pytest

from engines.compiler import CompileError, compile_graph
from plugins.recurrent import datasets
from tests.engines.graphs import build


def test_adding_problem_targets_the_sum_of_the_two_marked_values():
    x, y = datasets.adding(200, 30, np.random.default_rng(0))
    assert x.shape == (200, 30, 2) and y.shape == (200, 30, 1)
    assert np.all(x[:, :, 1].sum(axis=1) == 2)  # exactly two markers
    assert np.all(x[:, :15, 1].sum(axis=1) == 1)  # one in each half
    expected = (x[:, :, 0] * x[:, :, 1]).sum(axis=1)
    np.testing.assert_allclose(y[:, -1, 0], expected)
    assert np.var(expected) == pytest.approx(1 / 6, abs=0.03)  # why answering 1 scores 0.167


def test_parity_and_copy_targets():
    rng = np.random.default_rng(1)
    x, y = datasets.parity(50, 12, rng)
    np.testing.assert_array_equal(y[:, -1, 0], x[:, :, 0].sum(axis=1) % 2)
    x, y = datasets.copy_task(20, 15, rng)
    k = datasets.COPY_LENGTH
    np.testing.assert_array_equal(y[:, -k:].argmax(axis=2), x[:, :k].argmax(axis=2))
    assert np.all(y[:, :-k].argmax(axis=2) == 0)  # blank until the copy
    with pytest.raises(ValueError, match="at least"):
        datasets.copy_task(2, 2 * k, rng)


def test_next_value_and_next_token_tasks_shift_by_one():
    rng = np.random.default_rng(2)
    for task in ("sine", "mackey_glass", "chars", "words"):
        x, y = datasets.TASKS[task](10, 20, rng)
        np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
        assert x.shape[2] == datasets.task_shapes(task)[0]
    assert datasets.text().startswith("a small workshop")


def test_sequence_files_npy_and_csv(tmp_path, registry):
    rng = np.random.default_rng(3)
    array = rng.normal(size=(40, 9, 4))
    np.save(tmp_path / "seq.npy", array)
    series = rng.normal(size=(60, 3))
    np.savetxt(tmp_path / "series.csv", series, delimiter=",")
    x, y = datasets_file(tmp_path / "seq.npy", 5, 1)
    np.testing.assert_allclose(x, array[:, :, :3])
    np.testing.assert_allclose(y, array[:, :, 3:])
    x, y = datasets_file(tmp_path / "series.csv", 10, 2)
    assert x.shape == (50, 10, 3) and y.shape == (50, 10, 2)
    np.testing.assert_allclose(y[0, 0], series[1, 1:], rtol=1e-12)
    graph = build("file", [
        ("data", "recurrent.sequence_file", {"path": str(tmp_path / "seq.npy"), "targets": 1,
                                             "batch_size": 8}),
        ("rnn", "recurrent.gru", {"units": 4}),
    ], ["data.x -> rnn.x"])
    program = compile_graph(graph, registry)
    assert program.shapes[("rnn", "y")] == (8, 9, 4)


def datasets_file(path, steps, targets):
    from plugins.recurrent.data import read_sequences
    return read_sequences(str(path), steps, targets)


def test_bad_sequence_file_names_the_node(tmp_path, registry):
    np.save(tmp_path / "flat.npy", np.zeros(5))
    graph = build("file", [
        ("data", "recurrent.sequence_file", {"path": str(tmp_path / "flat.npy")}),
        ("rnn", "recurrent.lstm", {"units": 4}),
    ], ["data.x -> rnn.x"])
    with pytest.raises(CompileError) as caught:
        compile_graph(graph, registry)
    assert caught.value.node_id == "data" and "flat.npy" in str(caught.value)
