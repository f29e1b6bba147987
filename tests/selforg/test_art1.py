"""ART1: the vectorised search against the textbook search-and-reset loop, live vigilance."""

import numpy as np
import pytest

from engines.compiler import CompileError, compile_graph
from engines.events import Failed, Image, Scalar, Text
from engines.session import Session
from graph.model import Edge, Graph, Node
from graph.validate import validate
from plugins.selforg.art1 import Art1

LETTERS = "ABCDEFGHIJKL"


def textbook_art1(patterns, vigilance, beta, epochs):
    """Carpenter-Grossberg ART1 with fast learning, written as the search loop: try categories
    in descending choice order, reset each that fails vigilance, found a new one at the end."""
    prototypes, assigned = [], []
    for _ in range(epochs):
        assigned = []
        for pattern in patterns:
            norm = pattern.sum()
            scores = [((w & pattern).sum() / (beta + w.sum()), -j)
                      for j, w in enumerate(prototypes)]
            for _, negative_j in sorted(scores, reverse=True):
                j = -negative_j
                overlap = (prototypes[j] & pattern).sum()
                if norm == 0 or overlap / norm >= vigilance:
                    prototypes[j] = prototypes[j] & pattern
                    assigned.append(j)
                    break
            else:
                prototypes.append(pattern.copy())
                assigned.append(len(prototypes) - 1)
    return np.array(prototypes), np.array(assigned)


@pytest.mark.parametrize("vigilance", [0.0, 0.3, 0.6, 0.8, 1.0])
def test_matches_the_textbook_search_on_random_patterns(vigilance):
    rng = np.random.default_rng(int(vigilance * 10))
    patterns = rng.random((40, 25)) < 0.35
    net = Art1(25, 100)
    for _ in range(3):
        assigned = np.array([net.present(p, vigilance, 0.001) for p in patterns])
    prototypes, reference = textbook_art1(patterns, vigilance, 0.001, 3)
    assert np.array_equal(assigned, reference)
    assert np.array_equal(net.prototypes[:net.count], prototypes)
    if vigilance == 0.0:
        assert net.count == 1
    if vigilance == 1.0:
        assert net.count == len({p.tobytes() for p in patterns})


def art1_graph(vigilance=0.5):
    graph = Graph("art1")
    graph.add_node(Node("letters", "selforg.samples", {"set": "letters", "letters": LETTERS,
                                                       "size": 8}))
    graph.add_node(Node("art", "selforg.art1", {"vigilance": vigilance, "names": LETTERS}))
    graph.connect(Edge("letters", "x", "art", "x"))
    return graph


def categories(events):
    return [e.value for e in events if isinstance(e, Scalar) and e.tag == "art1/art/categories"]


def test_live_vigilance_changes_the_number_of_categories(registry):
    from engines.session import Session as RunSession
    program = compile_graph(art1_graph(0.3), registry)
    session = RunSession(program, epochs=1000)
    session.start(paused=True)
    session.step(3)
    session.wait_idle(60)
    coarse = categories(session.poll())[-1]
    session.set_param("art", "vigilance", 0.9)
    session.step(3)
    session.wait_idle(60)
    events = session.poll()
    fine = categories(events)[-1]
    session.set_param("art", "vigilance", 0.3)
    session.step(3)
    session.wait_idle(60)
    again = categories(session.poll())[-1]
    session.stop()
    session.join(60)
    assert 1 <= coarse < fine <= len(LETTERS)
    assert again == coarse  # relearned from scratch, not stuck with the fine categories
    text = [e.text for e in events if isinstance(e, Text)][-1]
    assert text.startswith("vigilance 0.9") and "category 0:" in text
    assert {"art1/art/prototypes", "art1/art/assignment"} <= \
        {e.tag for e in events if isinstance(e, Image)}


def test_vigilance_outside_the_unit_interval_is_refused(registry):
    graph = art1_graph(1.5)
    problems = [p for p in validate(graph, registry) if p.node_id == "art"]
    assert problems and "vigilance" in problems[0].message
    with pytest.raises(CompileError):
        compile_graph(graph, registry)
    session = Session(compile_graph(art1_graph(0.5), registry), epochs=1)
    with pytest.raises(ValueError, match="vigilance"):
        session.set_param("art", "vigilance", -0.2)


def test_non_binary_inputs_are_named(registry):
    graph = Graph("bad")
    graph.add_node(Node("points", "selforg.samples", {"set": "uniform", "count": 10}))
    graph.add_node(Node("art", "selforg.art1", {}))
    graph.connect(Edge("points", "x", "art", "x"))
    events = Session(compile_graph(graph, registry), epochs=1).run()
    failed = [e for e in events if isinstance(e, Failed)]
    assert failed and failed[0].node_id == "art" and "binary" in failed[0].message
