"""The DBN's pretraining schedule for the notes' letters protocol: a stop factor per RBM, the
best epoch's weights kept per layer, RBM minibatches inside the data batch, and early stopping
downstream that waits for fine-tuning."""

import re

import numpy as np
import pytest

from engines.compiler import CompileError, compile_graph
from engines.events import Log
from engines.session import Session
from graph.model import Edge, Graph, Node
from plugins import default_registry

REGISTRY = default_registry()


def dbn_graph(data=None, stop=None, **params) -> Graph:
    graph = Graph("dbn schedule")
    graph.add_node(Node("data", "core.dataset", {"dataset": "digits", "batch_size": 50,
                                                 "val_split": 0.2, **(data or {})}))
    graph.add_node(Node("dbn", "energy.dbn", {"layers": [16, 8], "lr": 0.1, **params}))
    graph.add_node(Node("head", "core.dense", {"units": 10}))
    graph.add_node(Node("loss", "core.softmax_cross_entropy"))
    graph.add_node(Node("opt", "core.adam", {"lr": 0.01}))
    edges = ["data.x dbn.x", "dbn.y head.x", "head.y loss.pred", "data.y loss.target",
             "loss.loss opt.loss"]
    if stop is not None:
        graph.add_node(Node("stop", "core.early_stopping", stop))
        edges.append("loss.loss stop.loss")
    for edge in edges:
        src, dst = edge.split()
        graph.connect(Edge(*src.split("."), *dst.split(".")))
    return graph


def logs(events) -> list:
    return [e.message for e in events if isinstance(e, Log)]


def test_each_layer_has_its_own_stop_factor_and_keeps_its_best_weights():
    # layer 1 (factor 1e-6, a huge learning rate) stops as soon as its error rises; layer 2
    # (factor 0) runs its pretrain_epochs
    program = compile_graph(dbn_graph(pretrain_epochs=6, stop_factors=[1e-6, 0.0],
                                      error="hamming", lr=10.0, momentum=0.99),
                            REGISTRY, seed=0)
    session = Session(program, epochs=14)
    after = []  # W1 after each epoch (the DBN's epoch end has run)
    session.epoch_ends.append(lambda _e: after.append(program.peek("dbn", "W1")))
    stops = [m for m in logs(session.run()) if "stops pretraining" in m]
    assert len(stops) == 2
    assert "layer 1" in stops[0] and "rose more than" in stops[0]
    assert "layer 2" in stops[1] and "pretrain_epochs = 6" in stops[1]
    epochs, kept = (int(w) for w in
                    re.search(r"after (\d+) epochs.*epoch (\d+)\.", stops[0]).groups())
    assert kept < epochs < 6
    assert np.array_equal(after[epochs - 1], after[kept - 1])  # put back at the stop
    assert not np.array_equal(after[epochs - 2], after[kept - 1]) or kept == epochs - 1
    assert np.array_equal(after[epochs], after[epochs - 1])  # layer 2 leaves W1 alone


def test_stop_factors_need_one_value_per_layer():
    with pytest.raises(CompileError, match="stop_factors"):
        compile_graph(dbn_graph(pretrain_epochs=2, stop_factors=[0.5, 0.1, 0.1]), REGISTRY)


@pytest.mark.parametrize("shuffle", [False, True])
def test_rbm_batch_splits_each_data_batch_into_rbm_minibatches(shuffle):
    """Batches of 50 with rbm_batch 10 make the same RBM updates as data batches of 10."""
    def first_layer(data_batch, rbm_batch):
        graph = dbn_graph({"batch_size": data_batch, "shuffle": shuffle}, pretrain_epochs=3,
                          rbm_batch=rbm_batch, k=2)
        program = compile_graph(graph, REGISTRY, seed=0, monitors=False)
        Session(program, epochs=1).run()
        return program.peek("dbn", "W1"), program.peek("dbn", "b1")

    split, plain = first_layer(50, 10), first_layer(10, 0)
    for a, b in zip(split, plain):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    whole = first_layer(50, 0)  # one update per 50 rows: a different run
    assert not np.allclose(whole[0], plain[0], atol=1e-4)


def test_early_stopping_downstream_waits_for_fine_tuning():
    events = Session(compile_graph(dbn_graph(stop={"stop_factor": 0.0, "min_epochs": 2,
                                                   "restore_best": True},
                                             pretrain_epochs=3),
                                   REGISTRY, seed=0), epochs=40).run()
    messages = logs(events)
    stop = next(m for m in messages if "the validation loss" in m)
    # stop factor 0 stops at the first rise, but only of fine-tuning's epochs (from epoch 7)
    assert "of training the loss (epoch" in stop
    run_epoch = int(stop.split("(epoch ")[1].split()[0])
    assert run_epoch >= 6 + 2
    restored = [m for m in messages if "restored the parameters of epoch" in m]
    assert all(int(m.split("epoch ")[1].split(",")[0]) > 6 for m in restored)
