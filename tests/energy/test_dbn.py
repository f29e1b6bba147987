"""Deep belief net: exact gradients, frozen backward while pretraining, and greedy pretraining
beating a random start of the same deep sigmoid net on noisy letters."""

import numpy as np

from engines.compiler import compile_graph
from engines.events import Log, Scalar
from engines.gradcheck import NodeHarness, check_gradients
from engines.session import Session
from graph.model import Edge, Graph, Node
from plugins import default_registry

REGISTRY = default_registry()  # the engine takes its node types from the caller


def test_fine_tuning_gradients_match_finite_differences():
    result = check_gradients("energy.dbn", {"x": (4, 5)}, {"layers": [4, 3, 2],
                                                          "pretrain_epochs": 0})
    assert result.max_error < 1e-6, str(result)
    assert set(result.errors) == {"W1", "b1", "W2", "b2", "W3", "b3", "x"}


def test_pretraining_holds_the_output_and_gradients_at_zero():
    harness = NodeHarness("energy.dbn", {"x": (4, 5)}, {"layers": [3], "pretrain_epochs": 2})
    harness.backward()
    assert np.all(harness.outputs["y"].value == 0)
    assert all(np.all(p.grad == 0) for p in harness.params.values())
    assert np.all(harness.inputs["x"].grad == 0)


def letters_arm(pretrain_epochs: int, fine_tune_epochs: int = 4, seed: int = 0):
    """val accuracy after fine-tuning 841-100-300-100-50-26 (the notes' net) on noisy letters."""
    graph = Graph("dbn letters")
    graph.add_node(Node("data", "core.dataset", {"dataset": "letters", "samples": 1040,
                                                 "noise": 0.15, "val_noise": 0.1,
                                                 "batch_size": 64, "val_split": 0.3}))
    graph.add_node(Node("dbn", "energy.dbn", {"layers": [100, 300, 100, 50],
                                              "pretrain_epochs": pretrain_epochs, "lr": 0.1}))
    graph.add_node(Node("head", "core.dense", {"units": 26}))
    graph.add_node(Node("loss", "core.softmax_cross_entropy"))
    graph.add_node(Node("opt", "core.adam", {"lr": 0.01}))
    for edge in ("data.x dbn.x", "dbn.y head.x", "head.y loss.pred", "data.y loss.target",
                 "loss.loss opt.loss"):
        src, dst = edge.split()
        graph.connect(Edge(*src.split("."), *dst.split(".")))
    program = compile_graph(graph, REGISTRY, seed=seed)
    events = Session(program, epochs=4 * pretrain_epochs + fine_tune_epochs).run()
    return program, events


def test_pretrained_deep_net_beats_the_same_net_from_random_init():
    _, pretrained = letters_arm(5)
    _, random_start = letters_arm(0)

    def final_accuracy(events):
        return [e.value for e in events if isinstance(e, Scalar)
                and e.tag == "val/accuracy"][-1]

    with_pretraining, without = final_accuracy(pretrained), final_accuracy(random_start)
    print(f"val accuracy after 4 fine-tuning epochs: pretrained {with_pretraining:.3f}, "
          f"random init {without:.3f}")
    assert with_pretraining >= without + 0.1
    layers = [e.value for e in pretrained if isinstance(e, Scalar) and e.tag == "dbn/layer"]
    assert layers[:20:5] == [1.0, 2.0, 3.0, 4.0] and layers[-1] == 0.0
    # a random start has no pretraining phase, so no (flat) 'Pretraining layer' curve
    assert not [e for e in random_start if isinstance(e, Scalar) and e.tag == "dbn/layer"]
    logs = [e.message for e in pretrained if isinstance(e, Log)]
    assert any("pretraining layer 4 of 4" in m for m in logs)
    assert any("fine-tuning" in m for m in logs)
    recon = [e.value for e in pretrained if isinstance(e, Scalar) and e.tag == "dbn/recon_error"]
    assert recon[4] < recon[0]  # layer 1 learns to reconstruct the letters
