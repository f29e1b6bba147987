"""The LeNet examples: 8x8 digits to at least 97% validation accuracy, LeNet-5 reading IDX
files, and one clear message per bad convolution setting."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from engines.compiler import CompileError, compile_graph
from engines.datasets import digits
from engines.events import Image
from engines.session import Session
from graph.fileio import load_graph
from graph.validate import validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.slow
def test_lenet_reaches_97_percent_on_8x8_digits(registry):
    graph = load_graph(EXAMPLES / "lenet_digits.dgraph", registry)
    assert "97%" in graph.description
    program = compile_graph(graph, registry, seed=graph.settings["seed"])
    session = Session(program, epochs=graph.settings["epochs"])
    events = session.run()
    assert session.history[-1]["val/accuracy"] >= 0.97
    maps = [e for e in events if isinstance(e, Image) and e.tag == "feature_maps/c1"]
    kernels = [e for e in events if isinstance(e, Image) and e.tag == "kernels/c3"]
    assert maps and kernels and kernels[-1].array.ndim == 2


def write_idx(path, array):
    raw = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(raw + array.astype(np.uint8).tobytes()))
    return str(path)


def test_lenet5_reads_idx_files(registry, tmp_path):
    x, labels = digits()
    images = np.kron(x[:300].reshape(-1, 8, 8), np.ones((3, 3)))  # 24x24, padded to 28x28
    images = np.pad(images, ((0, 0), (2, 2), (2, 2))) * 255
    graph = load_graph(EXAMPLES / "lenet5_mnist_idx.dgraph", registry)
    graph.nodes["data"].params.update(
        path=write_idx(tmp_path / "images-idx3-ubyte.gz", images),
        labels_path=write_idx(tmp_path / "labels-idx1-ubyte.gz", labels[:300]))
    program = compile_graph(graph, registry, seed=0)
    assert program.shapes[("c3", "y")][1:] == (16, 8, 8)
    assert program.shapes[("flat", "y")][1:] == (256,)
    session = Session(program, epochs=3)
    session.run()
    assert session.history[-1]["train/loss"] < session.history[0]["train/loss"]


@pytest.mark.parametrize("params, message", [
    ({"kernel": [9, 9], "padding": "valid"}, "9x9 kernel is larger than the 8x8 input"),
    ({"connections": "lenet5_c3"}, "joins 6 input maps to 16 output maps"),
    ({"connections": "custom", "table": [1, 0, 1]}, "needs 6 x 1 = 6 entries"),
])
def test_bad_convolution_settings_name_the_node(registry, params, message):
    graph = load_graph(EXAMPLES / "lenet_digits.dgraph", registry)
    graph.nodes["c1"].params.update(params)
    problems = [p for p in validate(graph, registry) if p.severity == "error"]
    assert [p.node_id for p in problems] == ["c1"]
    assert message in problems[0].message and "C1" in problems[0].message
    with pytest.raises(CompileError):
        compile_graph(graph, registry)


def test_a_stride_that_leaves_too_little_is_one_message_at_the_next_node(registry):
    graph = load_graph(EXAMPLES / "lenet_digits.dgraph", registry)
    graph.nodes["c1"].params["stride"] = [20, 1]  # 'same': ceil(8 / 20) = 1 row left
    problems = [p for p in validate(graph, registry) if p.severity == "error"]
    assert [p.node_id for p in problems] == ["s2"]
    assert "2x2 window is larger than the 1x8 input" in problems[0].message
