"""Graph differences between two documents, as the runs panel shows them."""

from graph.diff import document_differences


def _doc(lr=0.1, seed=0, extra=False, units=4):
    nodes = [{"id": "h", "type": "core.dense", "params": {"units": units}},
             {"id": "opt", "type": "core.sgd", "params": {"lr": lr}}]
    edges = [{"from": "d.x", "to": "h.x"}]
    if extra:
        nodes.append({"id": "drop", "type": "core.dropout", "params": {}})
        edges.append({"from": "h.y", "to": "drop.x"})
    return {"settings": {"epochs": 10, "seed": seed}, "nodes": nodes, "edges": edges}


def test_alike_documents_have_no_differences():
    assert document_differences(_doc(), _doc()) == []


def test_settings_parameters_nodes_and_wires_are_named():
    lines = document_differences(_doc(), _doc(lr=0.5, seed=3, extra=True, units=8))
    assert lines == ["setting seed: 0 → 3", "node drop (core.dropout) only in the second",
                     "h.units: 4 → 8", "opt.lr: 0.1 → 0.5", "wire h.y → drop.x only in the second"]


def test_a_parameter_left_at_its_default_reads_as_default():
    a, b = _doc(), _doc()
    del a["nodes"][1]["params"]["lr"]
    assert document_differences(a, b) == ["opt.lr: (default) → 0.1"]
