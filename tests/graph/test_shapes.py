"""Shape inference: port shapes and parameter counts, unknowns, delays."""

from graph.shapes import infer_shapes

from .conftest import make_graph


def test_shapes_and_parameter_counts_follow_the_chain(chain, toy_registry):
    info = infer_shapes(chain, toy_registry)
    assert info.port_shapes[("src", "y")] == (None, 3)
    assert info.port_shapes[("h", "y")] == (None, 5)
    assert info.port_shapes[("out", "y")] == (None, 2)
    assert info.param_counts == {"h": 3 * 5 + 5, "out": 5 * 2 + 2}
    assert info.total_params() == 32
    assert info.problems == []


def test_unwired_or_unknown_inputs_give_unknown_outputs(toy_registry):
    graph = make_graph([("h", "toy.layer", {}), ("out", "toy.layer", {})], ["h.y -> out.x"])
    info = infer_shapes(graph, toy_registry)
    assert info.port_shapes == {} and info.param_counts == {} and info.problems == []


def test_optional_input_may_stay_unwired(toy_registry):
    graph = make_graph([("src", "toy.source", {"features": 6}), ("p", "toy.pair", {})],
                       ["src.y -> p.a"])
    assert infer_shapes(graph, toy_registry).port_shapes[("p", "y")] == (None, 6)


def test_defaults_fill_missing_params(toy_registry):
    graph = make_graph([("src", "toy.source", {}), ("h", "toy.layer", {})], ["src.y -> h.x"])
    info = infer_shapes(graph, toy_registry)
    assert info.port_shapes[("h", "y")] == (None, 4) and info.param_counts["h"] == 16


def test_fixed_shape_delay_feeds_the_loop_it_closes(toy_registry):
    graph = make_graph([("src", "toy.source", {}), ("a", "toy.pair", {}),
                        ("b", "toy.layer", {"units": 3}), ("d", "toy.delay", {"shape": [3]})],
                       ["src.y -> a.a", "a.y -> b.x", "b.y -> d.x", "d.y -> a.b"])
    info = infer_shapes(graph, toy_registry)
    assert info.port_shapes[("d", "y")] == (None, 3)
    assert info.port_shapes[("b", "y")] == (None, 3) and info.problems == []
    graph.set_param("d", "shape", [4])  # now the delay disagrees with what reaches it
    info = infer_shapes(graph, toy_registry)
    assert [p.node_id for p in info.problems] == ["a"]  # 'a' sees (None,3) and (None,4)


def test_skip_leaves_node_unknown(chain, toy_registry):
    info = infer_shapes(chain, toy_registry, skip={"h"})
    assert ("h", "y") not in info.port_shapes and ("out", "y") not in info.port_shapes
