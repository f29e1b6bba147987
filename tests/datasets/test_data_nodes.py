"""Data nodes compiled into programs: batch shapes, epochs without repeats, splits, seeding,
normalisation from the training split, file nodes and their errors."""

import numpy as np
import pytest

from engines import datasets
from engines.compiler import CompileError, compile_graph
from engines.session import Session
from graph.model import Edge, Graph, Node
from graph.shapes import infer_shapes
from plugins.core.data import DATASET_SHAPES
from tests.datasets.test_files import write_idx

EXPECTED_ROWS = {"xor": 4, "and": 4, "or": 4, "digits": 1797}


def data_graph(type_id, params, targets):
    """data -> dense(targets) -> mse(pred, data.y) -> sgd: the brief's minimal trainer."""
    graph = Graph("data-test")
    graph.add_node(Node("data", type_id, params))
    graph.add_node(Node("net", "core.dense", {"units": targets}))
    graph.add_node(Node("loss", "core.mse"))
    graph.add_node(Node("opt", "core.sgd"))
    for edge in [("data", "x", "net", "x"), ("net", "y", "loss", "pred"),
                 ("data", "y", "loss", "target"), ("loss", "loss", "opt", "loss")]:
        graph.connect(Edge(*edge))
    return graph


def epoch_rows(program, split="train", epoch=0):
    """Every (x, y) row the program loads in one epoch, in order."""
    feed = program.feeds[0]
    if split == "train":
        feed.begin_epoch(epoch)
    xs, ys = [], []
    for batch in range(feed.batches(split)):
        rows = program.load(split, batch)
        assert rows <= feed.batch_size
        xs.append(program.outputs[("data", "x")].value.copy())
        ys.append(program.outputs[("data", "y")].value.copy())
    return np.concatenate(xs), np.concatenate(ys)


def sorted_rows(array):
    return array[np.lexsort(array.T[::-1])]


@pytest.mark.parametrize("dataset", list(DATASET_SHAPES))
def test_each_dataset_compiles_and_serves_whole_epochs(registry, dataset):
    features, targets = DATASET_SHAPES[dataset]
    params = {"dataset": dataset, "samples": 120, "noise": 0.1, "batch_size": 16,
              "val_split": 0.25}
    program = compile_graph(data_graph("core.dataset", params, targets), registry, seed=5)
    feed = program.feeds[0]
    total = EXPECTED_ROWS.get(dataset, 120)
    if dataset == "letters":
        total = max(120, 26 * len(datasets.available_fonts()))
    assert feed.n_train + feed.n_val == total
    assert feed.n_val == round(total * 0.25)
    for port, width in (("x", features), ("y", targets)):
        buf = program.outputs[("data", port)]
        # 2-D data reserves rows for the decision-region grid; a batch is still 16 rows
        assert buf.storage.shape == ((400 if features == 2 else 16), width)
        program.load("train", 0)
        assert buf.value.shape == (min(16, feed.n_train), width)
    x, y = epoch_rows(program)
    assert x.shape == (feed.n_train, features) and y.shape == (feed.n_train, targets)
    # every training sample exactly once per epoch (compared as rows, so duplicates count)
    train = np.concatenate([np.asarray(feed.x["train"]), np.asarray(feed.y["train"])], axis=1)
    np.testing.assert_array_equal(sorted_rows(np.concatenate([x, y], axis=1)),
                                  sorted_rows(train))
    val_x, _ = epoch_rows(program, "val")
    assert len(val_x) == feed.n_val
    if dataset not in ("sine", "pca3d"):  # classification targets
        assert set(np.unique(y)) <= {0.0, 1.0}
        if targets > 1:
            np.testing.assert_array_equal(y.sum(axis=1), 1.0)


def test_same_seed_same_order_different_seed_different_order(registry):
    params = {"dataset": "spirals", "samples": 200, "batch_size": 32}
    graph = data_graph("core.dataset", params, 1)
    first = epoch_rows(compile_graph(graph, registry, seed=1))[0]
    again = epoch_rows(compile_graph(graph, registry, seed=1))[0]
    other = epoch_rows(compile_graph(graph, registry, seed=2))[0]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_epochs_reshuffle_only_when_shuffle_is_on(registry):
    for shuffle in (True, False):
        params = {"dataset": "digits", "batch_size": 64, "shuffle": shuffle}
        program = compile_graph(data_graph("core.dataset", params, 10), registry, seed=0)
        one, two = epoch_rows(program, epoch=0)[0], epoch_rows(program, epoch=1)[0]
        assert np.array_equal(one, two) != shuffle
        np.testing.assert_array_equal(sorted_rows(one), sorted_rows(two))


def test_shape_rule_is_static_and_ignores_samples(registry):
    graph = data_graph("core.dataset", {"dataset": "letters", "samples": 5000}, 26)
    info = infer_shapes(graph, registry)
    assert info.port_shapes[("data", "x")] == (None, 841)
    assert info.port_shapes[("data", "y")] == (None, 26)


def test_dataset_node_trains_blobs(registry):
    params = {"dataset": "blobs", "samples": 300, "noise": 0.1, "batch_size": 30,
              "val_split": 0.2}
    program = compile_graph(data_graph("core.dataset", params, 3), registry, seed=0)
    session = Session(program, epochs=60)
    session.run()
    assert session.history[-1]["val/accuracy"] > 0.9


def test_csv_node_standardises_with_training_statistics(registry, tmp_path):
    rng = np.random.default_rng(0)
    features = rng.normal(3.0, 2.0, (50, 2))
    labels = rng.integers(0, 3, 50)
    path = tmp_path / "points.csv"
    rows = [f"{a},{b},{c}" for (a, b), c in zip(features, labels)]
    path.write_text("u,v,class\n" + "\n".join(rows) + "\n")
    params = {"path": str(path), "targets": "class", "one_hot": True,
              "normalise": "standardize", "batch_size": 8, "val_split": 0.2}
    graph = data_graph("core.csv_file", params, 3)
    info = infer_shapes(graph, registry)
    assert info.port_shapes[("data", "x")] == (None, 2)
    assert info.port_shapes[("data", "y")] == (None, 3)
    program = compile_graph(graph, registry, seed=3)
    feed = program.feeds[0]
    assert (feed.n_train, feed.n_val) == (40, 10)
    train, val = np.asarray(feed.x["train"]), np.asarray(feed.x["val"])
    np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1.0, atol=1e-5)
    # the map raw -> scaled is increasing per feature, so sorting pairs raw and scaled values;
    # its shift and scale must be the training rows' mean and std, not the whole file's
    scaled = np.concatenate([train, val])[:, 0]
    raw_sorted, scaled_sorted = np.sort(features[:, 0]), np.sort(scaled)
    slope, intercept = np.polyfit(raw_sorted, scaled_sorted, 1)
    is_train = np.isin(np.argsort(np.argsort(features[:, 0])),
                       np.searchsorted(scaled_sorted, train[:, 0]))
    assert is_train.sum() == 40
    raw_train = features[is_train, 0]
    assert 1 / slope == pytest.approx(raw_train.std(), rel=1e-4)
    assert -intercept / slope == pytest.approx(raw_train.mean(), rel=1e-4)
    assert raw_train.mean() != pytest.approx(features[:, 0].mean(), rel=1e-4)
    x, y = epoch_rows(program)
    np.testing.assert_array_equal(y.sum(axis=1), 1.0)


def test_numpy_and_idx_nodes(registry, tmp_path):
    x = np.random.default_rng(1).random((30, 4, 4)).astype(np.float32)
    np.savez(tmp_path / "set.npz", x=x, y=np.arange(30) % 2)
    program = compile_graph(data_graph("core.numpy_file", {
        "path": str(tmp_path / "set.npz"), "one_hot": True, "val_split": 0.0,
        "batch_size": 7}, 2), registry)
    got_x, got_y = epoch_rows(program)
    assert got_x.shape == (30, 16) and got_y.shape == (30, 2)
    np.testing.assert_array_equal(sorted_rows(got_x), sorted_rows(x.reshape(30, 16)))

    images = write_idx(tmp_path / "img-idx3-ubyte.gz", (x * 200).astype(np.uint8), True)
    labels = write_idx(tmp_path / "lab-idx1-ubyte", (np.arange(30) % 3).astype(np.uint8))
    graph = data_graph("core.idx_file", {"path": str(images), "labels_path": str(labels)}, 3)
    assert infer_shapes(graph, registry).port_shapes[("data", "y")] == (None, 3)
    program = compile_graph(graph, registry)
    feed = program.feeds[0]
    assert np.asarray(feed.x["train"]).max() == pytest.approx(1.0)  # "max" normalisation
    assert feed.n_train + feed.n_val == 30


def test_file_node_without_targets_serves_x_as_y(registry, tmp_path):
    np.save(tmp_path / "codes.npy", np.arange(24, dtype=np.float32).reshape(8, 3))
    params = {"path": str(tmp_path / "codes.npy"), "normalise": "minmax", "val_split": 0.0}
    program = compile_graph(data_graph("core.numpy_file", params, 3), registry)
    x, y = epoch_rows(program)
    np.testing.assert_array_equal(x, y)
    assert x.min() == 0.0 and x.max() == 1.0


def test_bad_file_is_a_compile_error_naming_node_and_file(registry, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text("a,b\n1,2\n3,oops\n")
    graph = data_graph("core.csv_file", {"path": str(path), "targets": "b"}, 1)
    assert ("data", "x") not in infer_shapes(graph, registry).port_shapes  # unknown, no crash
    with pytest.raises(CompileError, match=r"CSV file 'data': broken\.csv line 3") as caught:
        compile_graph(graph, registry)
    assert caught.value.node_id == "data"
    graph = data_graph("core.idx_file", {"path": str(tmp_path / "gone.idx")}, 1)
    with pytest.raises(CompileError, match="gone.idx: no such file"):
        compile_graph(graph, registry)


def test_letters_validation_split_can_be_noisier(registry):
    clean, _ = datasets.letters(size=29)
    params = {"dataset": "letters", "samples": 416, "noise": 0.05, "val_noise": 0.25,
              "val_split": 0.25, "batch_size": 32}
    program = compile_graph(data_graph("core.dataset", params, 26), registry, seed=0)
    feed = program.feeds[0]
    train, val = np.asarray(feed.x["train"]), np.asarray(feed.x["val"])

    def distance_to_clean(part):  # mean distance to the nearest clean glyph
        gaps = np.abs(part[:, None, :] - clean[None]).mean(axis=2)
        return gaps.min(axis=1).mean()
    assert distance_to_clean(val) > 2 * distance_to_clean(train) > 0
