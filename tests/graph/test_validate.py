"""Validation: each kind of problem is found and its message names the node or wire."""

import pytest

from graph.model import Edge, Graph, Node
from graph.registry import BrokenPack
from graph.validate import CycleError, Problem, port_mismatch, topological_order, validate

from .conftest import make_graph


def errors(graph, registry):
    return [p for p in validate(graph, registry) if p.severity == "error"]


def only_error(graph, registry):
    found = errors(graph, registry)
    assert len(found) == 1, found
    return found[0]


def test_valid_chain_has_no_problems(chain, toy_registry):
    assert validate(chain, toy_registry) == []


def test_unknown_type_names_node_and_pack(chain, toy_registry):
    chain.add_node(Node("conv", "vision.conv2d"))
    problem = only_error(chain, toy_registry)
    assert problem.node_id == "conv" and "vision.conv2d" in problem.message
    assert "'vision'" in problem.message
    toy_registry.broken.append(BrokenPack("vision", "ImportError: no module named scipy"))
    assert "failed to load" in only_error(chain, toy_registry).message


@pytest.mark.parametrize("name, value, expected", [
    ("units", 0, "must lie in [1, 100]"),
    ("units", 2.5, "whole number"),
    ("rate", "fast", "must be a number"),
    ("sizes", [1, "x"], "list of whole numbers"),
    ("bogus", 1, "has no parameter 'bogus'"),
])
def test_bad_parameter_names_node_and_parameter(chain, toy_registry, name, value, expected):
    chain.set_param("h", name, value)
    problem = only_error(chain, toy_registry)
    assert problem.node_id == "h"
    assert "Layer 'h'" in problem.message and expected in problem.message
    assert name in problem.message


def test_missing_required_input_but_not_optional_one(toy_registry):
    graph = make_graph([("src", "toy.source", {}), ("p", "toy.pair", {}), ("h", "toy.layer", {})],
                       ["src.y -> p.a"])
    problem = only_error(graph, toy_registry)
    assert problem.node_id == "h"
    assert "Layer 'h' needs a wire into its 'x' input" in problem.message


def test_port_kind_mismatch_names_both_ends_and_hints(toy_registry):
    graph = make_graph(
        [("src", "toy.source", {}), ("seq", "toy.sequence", {}), ("h", "toy.layer", {}),
         ("loss", "toy.loss", {}), ("opt", "toy.optimizer", {})],
        ["seq.y -> h.x", "src.y -> loss.pred", "src.y -> loss.target", "src.y -> opt.loss"])
    found = errors(graph, toy_registry)
    by_node = {p.node_id: p for p in found}
    assert set(by_node) == {"h", "opt"}
    assert "Layer 'h' expects a tensor on 'x'; 'seq' gives a sequence" in by_node["h"].message
    assert "Last step" in by_node["h"].message
    assert by_node["h"].edge == Edge("seq", "y", "h", "x")
    assert "Optimizer 'opt' expects a loss" in by_node["opt"].message


def test_wire_to_missing_port_or_node(chain, toy_registry):
    chain.edges.append(Edge("src", "nope", "out", "x2"))  # bypass the model's own checks
    problem = only_error(chain, toy_registry)
    assert "Source 'src' has no output 'nope'" in problem.message
    chain.edges[-1] = Edge("src", "y", "ghost", "x")
    problem = only_error(chain, toy_registry)
    assert "'ghost'" in problem.message and problem.edge == Edge("src", "y", "ghost", "x")
    chain.edges[-1] = Edge("src", "y", "h", "nope")
    assert "Layer 'h' has no input 'nope'" in only_error(chain, toy_registry).message


def test_cycle_without_delay_is_named_and_with_delay_is_legal(toy_registry):
    graph = make_graph([("src", "toy.source", {}), ("a", "toy.pair", {}),
                        ("b", "toy.layer", {"units": 3})],
                       ["src.y -> a.a", "a.y -> b.x", "b.y -> a.b"])
    problem = only_error(graph, toy_registry)
    assert "a -> b -> a" in problem.message or "b -> a -> b" in problem.message
    assert "Delay" in problem.message and problem.node_id in ("a", "b")
    with pytest.raises(CycleError):
        topological_order(graph, toy_registry)
    # The same loop through a delay with a fixed shape is fine.
    graph.disconnect(Edge("b", "y", "a", "b"))
    graph.add_node(Node("d", "toy.delay", {"shape": [3]}))
    graph.connect(Edge("b", "y", "d", "x"))
    graph.connect(Edge("d", "y", "a", "b"))
    assert validate(graph, toy_registry) == []
    assert topological_order(graph, toy_registry) == ["src", "a", "b", "d"]


def test_delay_closing_a_loop_needs_a_shape(toy_registry):
    graph = make_graph([("src", "toy.source", {}), ("a", "toy.pair", {}),
                        ("b", "toy.layer", {"units": 3}), ("d", "toy.delay", {})],
                       ["src.y -> a.a", "a.y -> b.x", "b.y -> d.x", "d.y -> a.b"])
    problem = only_error(graph, toy_registry)
    assert problem.node_id == "d" and "closes a loop" in problem.message
    assert "'shape'" in problem.message


def test_delay_outside_a_loop_takes_its_input_shape(chain, toy_registry):
    chain.add_node(Node("d", "toy.delay", {}))
    chain.connect(Edge("out", "y", "d", "x"))
    assert validate(chain, toy_registry) == []


def test_shape_mismatch_names_the_node(toy_registry):
    graph = make_graph([("s3", "toy.source", {"features": 3}), ("s4", "toy.source",
                        {"features": 4}), ("p", "toy.pair", {})],
                       ["s3.y -> p.a", "s4.y -> p.b"])
    problem = only_error(graph, toy_registry)
    assert problem.node_id == "p" and problem.message.startswith("Pair 'p': inputs differ")


def test_broken_shape_rule_is_a_warning_not_a_crash(chain, toy_registry):
    chain.add_node(Node("bug", "toy.broken_shape"))
    chain.connect(Edge("out", "y", "bug", "x"))
    problems = validate(chain, toy_registry)
    assert [p.severity for p in problems] == ["warning"]
    assert "ZeroDivisionError" in problems[0].message and problems[0].node_id == "bug"


def test_one_mistake_gives_one_message(chain, toy_registry):
    chain.set_param("h", "units", 0)  # its shape rule would also complain downstream
    assert len(validate(chain, toy_registry)) == 1


def test_bad_settings_and_empty_graph(toy_registry):
    graph = Graph()
    problems = validate(graph, toy_registry)
    assert [p.severity for p in problems] == ["warning"] and "empty" in problems[0].message
    graph.settings["engine"] = "tpu"
    assert "engine" in only_error(graph, toy_registry).message


def test_topological_order_is_deterministic_and_keeps_insertion_ties(toy_registry):
    graph = make_graph([("out", "toy.loss", {}), ("b", "toy.source", {}), ("a", "toy.source", {})],
                       ["a.y -> out.pred", "b.y -> out.target"])
    assert topological_order(graph, toy_registry) == ["b", "a", "out"]


def test_port_mismatch_without_nodes_uses_titles(toy_registry):
    src, dst = toy_registry.spec("toy.loss"), toy_registry.spec("toy.layer")
    reason = port_mismatch(src, src.outputs[0], dst, dst.inputs[0])
    assert reason.startswith("Layer expects a tensor on 'x'; Loss gives a loss")
    assert port_mismatch(dst, dst.outputs[0], dst, dst.inputs[0]) is None


def test_problem_str_says_where():
    assert str(Problem("bad", "h")) == "error: [h] bad"
    assert str(Problem("w", edge=Edge("a", "y", "b", "x"), severity="warning")) == \
        "warning: [a.y -> b.x] w"
