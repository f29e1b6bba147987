"""The one road from graph edits to a running Session.

While a run goes, a LiveLink listens to the graph's own change events, so a live parameter
reaches the session whatever changed it (the inspector, undo, redo, a script) and the
screen and the engine never disagree. It also guards the graph: an edit the run cannot take
(adding or removing a node or wire, a parameter fixed at compile time, a run setting) is
refused before it happens, with a sentence saying why, so the canvas never shows a graph
other than the one training. Moving and renaming nodes stay free.
"""

from __future__ import annotations

from graph.events import STRUCTURAL, GraphEvent, ParamSet, SettingSet, dispatch
from graph.model import MISSING, Graph
from graph.registry import Registry

STRUCTURE_LOCKED = ("The graph is training as it was at Start: stop the run to add or remove "
                    "nodes and wires.")


class LiveLink:
    """Forwards live parameter edits of graph to session and refuses edits it cannot take.

    `close()` (at the run's end) lifts the guard and stops forwarding.
    """

    def __init__(self, graph: Graph, registry: Registry, session):
        self.graph = graph
        self.registry = registry
        self.session = session
        self.failures: list[str] = []  # forwarding errors (none expected: the guard checks)
        self._handlers = {ParamSet: self._forward}
        graph.changed.connect(self._on_changed)
        graph.guard = self.refusal

    def close(self) -> None:
        if self.graph.guard == self.refusal:
            self.graph.guard = None
        try:
            self.graph.changed.disconnect(self._on_changed)
        except ValueError:
            pass  # already closed

    def refusal(self, event: GraphEvent) -> str | None:
        """Why the running session cannot take event, or None when it can."""
        if isinstance(event, STRUCTURAL):
            return STRUCTURE_LOCKED
        if isinstance(event, SettingSet):
            return (f"The run uses its {event.key} as it was at Start: stop the run to change "
                    "the run settings.")
        if isinstance(event, ParamSet):
            node = self.graph.nodes.get(event.node_id)
            try:
                self.session.accepted_value(event.node_id, event.name, self._value(event))
            except (KeyError, ValueError) as exc:
                label = node.label if node is not None else event.node_id
                if node is not None and not self._is_live(node.type_id, event.name):
                    return (f"'{event.name}' of '{label}' is fixed while the run goes (only "
                            "live parameters change during a run); stop the run to edit it.")
                return str(exc.args[0] if exc.args else exc)
        return None

    def _is_live(self, type_id: str, name: str) -> bool:
        node_type = self.registry.find(type_id)
        return node_type is not None and any(p.name == name and p.live
                                             for p in node_type.spec.params)

    def _value(self, event: ParamSet):
        if event.new is not MISSING:
            return event.new
        spec = self.registry.spec(self.graph.nodes[event.node_id].type_id)
        return spec.param(event.name).default

    def _on_changed(self, event: GraphEvent) -> None:
        dispatch(self._handlers, event)

    def _forward(self, event: ParamSet) -> None:
        try:
            self.session.set_param(event.node_id, event.name, self._value(event))
        except (KeyError, ValueError) as exc:
            self.failures.append(str(exc))
