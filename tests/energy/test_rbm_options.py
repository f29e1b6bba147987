"""The RBM and DBN nodes' options for the notes' letters protocol: local gains on the RBM
steps, the Hamming reconstruction error, and early stopping on the validation error (the RBM
stops the run; the DBN moves on to its next layer)."""

import numpy as np

from engines.compiler import compile_graph
from engines.events import FinishReason, Log, Scalar, Stop
from engines.session import Session
from graph.model import Edge, Graph, Node
from plugins import default_registry

REGISTRY = default_registry()


def rbm_graph(**params) -> Graph:
    graph = Graph("rbm options")
    graph.add_node(Node("data", "core.dataset", {"dataset": "digits", "samples": 300,
                                                 "batch_size": 50, "val_split": 0.2}))
    graph.add_node(Node("rbm", "energy.rbm", {"hidden": 16, "lr": 0.1, **params}))
    graph.connect(Edge("data", "x", "rbm", "x"))
    return graph


def test_rbm_hamming_error_and_local_gains_reach_the_kernel():
    program = compile_graph(rbm_graph(error="hamming", local_gains=True, gain_min=0.5,
                                      gain_max=2.0, gain_bonus=0.1, gain_penalty=0.9),
                            REGISTRY, seed=0)
    events = Session(program, epochs=3).run()
    errors = [e.value for e in events if isinstance(e, Scalar) and e.tag == "val/recon_error"]
    # a Hamming distance counts whole pixels per row (64 pixels), not a mean squared error
    assert len(errors) == 3 and all(0.5 < e < 64 for e in errors)
    assert errors[-1] < errors[0]
    W = program.peek("rbm", "W")
    assert W.shape == (64, 16)


def test_rbm_stop_factor_stops_on_the_validation_error():
    program = compile_graph(rbm_graph(stop_factor=0.1), REGISTRY, seed=0)
    rule = program.stop_rules[-1]
    falling = [{"epoch": 1, "val/recon_error": 0.3}, {"epoch": 2, "val/recon_error": 0.2}]
    assert rule(falling) is None
    risen = falling + [{"epoch": 3, "val/recon_error": 0.23}]
    stop = rule(risen)
    assert isinstance(stop, Stop) and stop.reason is FinishReason.EARLY_STOPPED
    assert "rose more than 10%" in stop.message
    off = compile_graph(rbm_graph(), REGISTRY, seed=0)
    assert off.stop_rules[-1](risen) is None  # stop_factor 0: off


def dbn_events(**params):
    graph = Graph("dbn early stopping")
    graph.add_node(Node("data", "core.dataset", {"dataset": "digits", "samples": 300,
                                                 "batch_size": 50, "val_split": 0.2}))
    graph.add_node(Node("dbn", "energy.dbn", {"layers": [16, 8], "lr": 0.1, **params}))
    graph.add_node(Node("head", "core.dense", {"units": 10}))
    graph.add_node(Node("loss", "core.softmax_cross_entropy"))
    graph.add_node(Node("opt", "core.adam", {"lr": 0.01}))
    for edge in ("data.x dbn.x", "dbn.y head.x", "head.y loss.pred", "data.y loss.target",
                 "loss.loss opt.loss"):
        src, dst = edge.split()
        graph.connect(Edge(*src.split("."), *dst.split(".")))
    return Session(compile_graph(graph, REGISTRY, seed=0), epochs=12).run()


def test_dbn_layers_stop_pretraining_on_their_validation_error():
    # a huge learning rate makes the reconstruction error rise at once: each layer stops early
    events = dbn_events(pretrain_epochs=5, stop_factor=1e-6, error="hamming", lr=10.0,
                        momentum=0.99)
    logs = [e.message for e in events if isinstance(e, Log)]
    stops = [m for m in logs if "stops pretraining" in m]
    assert len(stops) == 2, logs
    assert all("rose more than" in m or "pretrain_epochs = 5" in m for m in stops)
    assert any("rose more than" in m for m in stops), stops
    layers = [e.value for e in events if isinstance(e, Scalar) and e.tag == "dbn/layer"]
    assert layers[-1] == 0.0 and layers.count(1.0) <= 5 and layers.count(2.0) <= 5


def test_dbn_without_stop_factor_keeps_the_fixed_schedule():
    events = dbn_events(pretrain_epochs=2)
    layers = [e.value for e in events if isinstance(e, Scalar) and e.tag == "dbn/layer"]
    assert layers[:5] == [1.0, 1.0, 2.0, 2.0, 0.0]
    assert not any("stops pretraining" in e.message for e in events if isinstance(e, Log))
    assert np.isfinite(layers).all()
