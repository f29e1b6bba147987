"""The inspector: a form generated from the selected node's ParamSpecs. Every edit is a
SetParam / SetTitle command; during a run only live parameters stay editable. A live edit
reaches a running session through the graph's own ParamSet event (engines.live), like an
undo or a script's edit would; the inspector sends nothing to the engine itself."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QScrollArea, QVBoxLayout, QWidget

from graph import commands
from graph.events import NodeRemoved, NodeRetitled, ParamSet, TieSet, dispatch
from graph.model import MISSING, Graph
from graph.registry import Registry
from graph.spec import ParamError
from gui import theme
from gui.param_editors import ParamEditor, make_editor
from gui.tie_editor import TieEditor

LIVE_MARK = "⚡"


class Inspector(QScrollArea):
    """Shows the node given to show_node(); edits go through the undo adapter."""

    def __init__(self, registry: Registry, undo, parent=None):
        super().__init__(parent)
        self.registry = registry
        self.undo = undo
        self.graph: Graph | None = None
        self.node_id: str | None = None
        self.running = False
        self.editors: dict[str, ParamEditor] = {}
        self.unused_notes: dict[str, QLabel] = {}  # why a parameter does not apply now
        self.title_field: QLineEdit | None = None
        self.tie_editor: TieEditor | None = None
        self.setWidgetResizable(True)
        self.setMinimumWidth(240)
        self._handlers = {NodeRemoved: self._node_removed, ParamSet: self._param_set,
                          NodeRetitled: self._retitled, TieSet: self._tie_set}
        self._show_placeholder()

    # -- binding -----------------------------------------------------------------------------
    def set_graph(self, graph: Graph) -> None:
        if self.graph is not None:
            self.graph.changed.disconnect(self._on_changed)
        self.graph = graph
        graph.changed.connect(self._on_changed)
        self.show_node(None)

    def show_node(self, node_id: str | None) -> None:
        """Build the form for node_id (None: a hint to select a node)."""
        self.node_id = node_id
        self.editors = {}
        self.unused_notes = {}
        self.title_field = None
        self.tie_editor = None
        if node_id is None or self.graph is None or node_id not in self.graph.nodes:
            self.node_id = None
            self._show_placeholder()
            return
        node = self.graph.nodes[node_id]
        node_type = self.registry.find(node.type_id)
        page = QWidget()
        layout = QVBoxLayout(page)
        if node_type is None:
            layout.addWidget(self._wrapped(f"<b>{node.label}</b>: unknown node type "
                                           f"'{node.type_id}'."))
            layout.addStretch(1)
            self.setWidget(page)
            return
        spec = node_type.spec
        colour = theme.category_colour(spec.category).name()
        header = self._wrapped(f"<span style='color:{colour}; font-weight:bold; "
                               f"font-size:13px'>{spec.title}</span> "
                               f"<span style='color:#9aa3ae'>{spec.type_id}</span>")
        layout.addWidget(header)
        layout.addWidget(self._wrapped(f"<span style='color:#9aa3ae'>{spec.doc}</span>"))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.title_field = QLineEdit(node.title)
        self.title_field.setPlaceholderText(node.id)
        self.title_field.editingFinished.connect(self._commit_title)
        form.addRow("title", self.title_field)
        for param in spec.params:
            editor = make_editor(param)
            editor.set_value(node.params.get(param.name, param.default))
            editor.committed.connect(lambda value, name=param.name: self._commit(name, value))
            label = QLabel(f"{param.name} {LIVE_MARK}" if param.live else param.name)
            tip = param.doc + ("\nLive: may change while a run goes." if param.live else "")
            label.setToolTip(tip.strip())
            form.addRow(label, editor.widget)
            self.editors[param.name] = editor
            if param.applies_when is not None:
                note = QLabel()
                note.setWordWrap(True)
                note.setStyleSheet("color: #9aa3ae; font-style: italic;")
                form.addRow(note)
                self.unused_notes[param.name] = note
        if TieEditor.candidates(self.graph, node_id):
            self.tie_editor = TieEditor(self.graph, node_id, self.undo)
            label = QLabel("shares weights of")
            label.setToolTip("A weight tie: this node uses another node's parameters; "
                             "gradients from both add up in them.")
            form.addRow(label, self.tie_editor)
        layout.addLayout(form)
        if any(p.live for p in spec.params):
            layout.addWidget(self._wrapped(f"<span style='color:#9aa3ae'>{LIVE_MARK} live: "
                                           "editable while training runs</span>"))
        layout.addStretch(1)
        self.setWidget(page)
        self.set_run_mode(self.running)

    def _show_placeholder(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self._wrapped("<span style='color:#9aa3ae'>Select a node to edit "
                                       "its parameters.</span>"))
        layout.addStretch(1)
        self.setWidget(page)

    @staticmethod
    def _wrapped(html: str) -> QLabel:
        label = QLabel(html)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        return label

    # -- run mode ----------------------------------------------------------------------------
    def set_run_mode(self, running: bool) -> None:
        """Lock every non-live parameter while a run goes; live ones stay editable."""
        self.running = running
        unused = self._unused()
        for name, editor in self.editors.items():
            editor.set_enabled((editor.spec.live or not running) and name not in unused)
        for name, note in self.unused_notes.items():
            reason = unused.get(name)
            note.setText(f"{name}: {reason}." if reason else "")
            note.setVisible(reason is not None)
            self.editors[name].widget.setToolTip(f"Not used: {reason}." if reason else
                                                 self.editors[name].spec.doc)
        if self.title_field is not None:
            self.title_field.setEnabled(not running)
        if self.tie_editor is not None:
            self.tie_editor.setEnabled(not running)

    def _unused(self) -> dict[str, str]:
        """Parameters that do nothing under the node's current values, with the reason."""
        if not self.unused_notes or self.node_id not in self.graph.nodes:
            return {}
        node = self.graph.nodes[self.node_id]
        spec = self.registry.spec(node.type_id)
        values = {**spec.defaults(), **node.params}
        found = {}
        for param in spec.params:
            reason = param.unused_because(values)
            if reason:
                found[param.name] = reason
        return found

    # -- edits -------------------------------------------------------------------------------
    def _commit(self, name: str, value) -> None:
        if self.graph is None or self.node_id is None:
            return
        editor = self.editors[name]
        node = self.graph.nodes[self.node_id]
        spec = self.registry.spec(node.type_id)
        try:
            value = spec.resolve_value(name, value)
        except ParamError as exc:
            editor.show_error("; ".join(f"{n} {reason}" for n, reason in exc.problems))
            return
        editor.show_error(None)
        current = node.params.get(name, editor.spec.default)
        if current != value and not self.undo.push(commands.SetParam(self.node_id, name, value)):
            editor.set_value(current)  # refused (the message is in the status bar)

    def _commit_title(self) -> None:
        if self.graph is None or self.node_id is None or self.title_field is None:
            return
        title = self.title_field.text().strip()
        if title != self.graph.nodes[self.node_id].title:
            self.undo.push(commands.SetTitle(self.node_id, title))

    def _on_changed(self, event) -> None:
        """Keep the form in step with undo/redo and edits made elsewhere."""
        if self.node_id is not None and getattr(event, "node_id", None) == self.node_id:
            dispatch(self._handlers, event)

    def _node_removed(self, _event: NodeRemoved) -> None:
        self.show_node(None)

    def _param_set(self, event: ParamSet) -> None:
        editor = self.editors.get(event.name)
        if editor is not None:
            editor.set_value(editor.spec.default if event.new is MISSING else event.new)
        if self.unused_notes:
            self.set_run_mode(self.running)  # another choice may make parameters (not) apply

    def _tie_set(self, _event: TieSet) -> None:
        if self.tie_editor is not None:
            self.tie_editor.refresh()

    def _retitled(self, _event: NodeRetitled) -> None:
        if self.title_field is not None:
            self.title_field.setText(self.graph.nodes[self.node_id].title)
