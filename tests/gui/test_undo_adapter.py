"""The GUI's undo adapter reports what the graph refuses (GraphError) and nothing else: a bug
in a command must surface, not turn into a status-bar message."""

from __future__ import annotations

import math

import pytest

from graph.commands import SetParam
from gui.undo import UndoAdapter
from tests.gui.conftest import xor_graph


class Broken:
    text = "broken"

    def apply(self, graph):
        raise KeyError("a bug, not a refusal")


def test_refused_edit_is_reported_and_a_bug_propagates(qtbot, registry):
    graph = xor_graph()
    graph.registry = registry
    adapter = UndoAdapter(graph)
    messages = []
    adapter.failed.connect(messages.append)
    assert not adapter.push(SetParam("hidden", "units", math.nan))
    assert len(messages) == 1 and "'units' of 'hidden'" in messages[0]
    assert not adapter.push(SetParam("hidden", "units", 0))
    assert "Dense 'hidden': parameter 'units' must lie in" in messages[-1]
    assert graph.nodes["hidden"].params["units"] == 4 and not adapter.stack.can_undo()
    with pytest.raises(KeyError, match="a bug"):
        adapter.push(Broken())
    assert adapter.push(SetParam("hidden", "units", 6)) and adapter.stack.can_undo()
