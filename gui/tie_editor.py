"""The inspector's weight-tie row: which node of the same type this node shares weights with,
and whether transposed. Every change is one undoable SetTie command."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QWidget

from graph import commands
from graph.ties import Tie

OWN = "(own weights)"


class TieEditor(QWidget):
    """A combo box of candidate source nodes and a 'transposed' box for one node."""

    def __init__(self, graph, node_id: str, undo, parent=None):
        super().__init__(parent)
        self.graph, self.node_id, self.undo = graph, node_id, undo
        self.sources = QComboBox()
        self.transposed = QCheckBox("transposed")
        self.transposed.setToolTip("Use the source's weight matrix transposed (a decoder tied "
                                   "to its encoder); biases stay this node's own.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.sources, 1)
        layout.addWidget(self.transposed)
        self._updating = False
        self.refresh()
        self.sources.currentIndexChanged.connect(self._commit)
        self.transposed.toggled.connect(self._commit)

    @staticmethod
    def candidates(graph, node_id: str) -> list[str]:
        """Other nodes of the same type (the only ones a tie may join)."""
        type_id = graph.nodes[node_id].type_id
        return [n for n, node in graph.nodes.items() if n != node_id and node.type_id == type_id]

    def refresh(self) -> None:
        """Show the node's tie as the graph holds it now."""
        self._updating = True
        tie = self.graph.ties.get(self.node_id)
        self.sources.clear()
        self.sources.addItem(OWN)
        for node_id in self.candidates(self.graph, self.node_id):
            self.sources.addItem(self.graph.nodes[node_id].label, node_id)
        index = self.sources.findData(tie.source) if tie else 0
        self.sources.setCurrentIndex(max(index, 0))
        self.transposed.setChecked(bool(tie and tie.transpose))
        self.transposed.setEnabled(tie is not None)
        self._updating = False

    def _commit(self, *_args) -> None:
        if self._updating:
            return
        source = self.sources.currentData()
        tie = Tie(self.node_id, source, self.transposed.isChecked()) if source else None
        if tie != self.graph.ties.get(self.node_id):
            self.undo.push(commands.SetTie(self.node_id, tie))
        self.refresh()  # a refused edit (a loop of ties) shows the graph's state again
