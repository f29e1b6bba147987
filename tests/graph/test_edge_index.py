"""The edge index stays equal to a plain scan of the list under every kind of list edit."""

import copy
import random

import pytest

from graph.edge_index import EdgeList
from graph.model import Edge, Graph, Node


def _naive(edges, node_ids):
    # a duplicate wire (only possible by bypassing Graph.connect) is listed once
    into = {n: sorted({str(e) for e in edges if e.dst == n}) for n in node_ids}
    out = {n: sorted({str(e) for e in edges if e.src == n}) for n in node_ids}
    return into, out


def _check(edges: EdgeList, node_ids, ports):
    into, out = _naive(edges, node_ids)
    for n in node_ids:
        assert sorted(map(str, edges.into(n))) == into[n]
        assert sorted(map(str, edges.out_of(n))) == out[n]
        for port in ports:
            expected = [e for e in edges if e.dst == n and e.dst_port == port]
            found = edges.at_input(n, port)
            assert (found is None) == (not expected)
            assert found is None or found in expected
    for e in list(edges)[:5]:
        assert e in edges


@pytest.mark.parametrize("seed", range(3))
def test_index_matches_a_scan_under_random_list_edits(seed):
    rng = random.Random(seed)
    nodes, ports = ["a", "b", "c", "d"], ["x", "y"]

    def edge():
        return Edge(rng.choice(nodes), "y", rng.choice(nodes), rng.choice(ports))

    edges = EdgeList()
    for _ in range(300):
        op = rng.randrange(9)
        if op == 0:
            edges.append(edge())
        elif op == 1:
            edges.insert(rng.randrange(len(edges) + 1), edge())
        elif op == 2 and edges:
            del edges[rng.randrange(len(edges))]
        elif op == 3 and edges:
            edges.pop(rng.randrange(len(edges)))
        elif op == 4 and edges:
            edges[rng.randrange(len(edges))] = edge()
        elif op == 5 and edges:
            edges.remove(rng.choice(list(edges)))
        elif op == 6:
            edges += [edge(), edge()]
        elif op == 7 and len(edges) > 3:
            del edges[1:3]
        elif op == 8 and len(edges) > 3:
            edges[0:2] = [edge()]
        _check(edges, nodes, ports)
    assert Edge("z", "y", "a", "x") not in edges
    assert [1, 2] not in edges  # unhashable probes are simply absent
    clone = copy.deepcopy(edges)
    assert isinstance(clone, EdgeList) and clone == edges
    _check(clone, nodes, ports)
    edges.clear()
    assert edges.into("a") == [] and edges.at_input("a", "x") is None


def test_graph_queries_follow_direct_appends_and_reassignment():
    graph = Graph()
    for name in "abc":
        graph.add_node(Node(name, "t"))
    graph.edges.append(Edge("a", "y", "b", "x"))  # bypassing connect(), as some tests do
    assert graph.source_of("b", "x") == Edge("a", "y", "b", "x")
    graph.edges = [Edge("b", "y", "c", "x")]
    assert graph.source_of("b", "x") is None and graph.edges_from("b") == [Edge("b", "y", "c",
                                                                               "x")]
    graph.edges[0] = Edge("a", "y", "c", "x")
    assert graph.edges_into("c") == [Edge("a", "y", "c", "x")] and graph.edges_from("b") == []


def test_remove_node_returns_wire_positions_and_undo_restores_order():
    graph = Graph()
    for name in "abcd":
        graph.add_node(Node(name, "t"))
    wires = [Edge("a", "y", "b", "x"), Edge("c", "y", "d", "x"), Edge("b", "y", "c", "x")]
    for wire in wires:
        graph.connect(wire)
    node, index, removed = graph.remove_node("b")
    assert index == 1 and removed == [(0, wires[0]), (2, wires[2])]
    assert list(graph.edges) == [wires[1]] and graph.edges_into("c") == []
    graph.add_node(node, index)
    for position, wire in removed:
        graph.connect(wire, position)
    assert list(graph.nodes) == list("abcd") and list(graph.edges) == wires
    assert graph.source_of("c", "x") == wires[2]


def test_bulk_graph_work_pauses_the_collector_and_restores_it():
    import gc

    from graph.gc_pause import without_cyclic_gc

    seen = []

    @without_cyclic_gc
    def work(fail):
        seen.append(gc.isenabled())
        if fail:
            raise RuntimeError("boom")

    was = gc.isenabled()
    try:
        gc.enable()
        work(False)
        with pytest.raises(RuntimeError):
            work(True)
        assert seen == [False, False] and gc.isenabled()
        gc.disable()  # a caller that keeps it off (the GUI) finds it off afterwards
        work(False)
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
