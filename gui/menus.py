"""The main window's menus: File, Edit, View, Run (filled by the run side), Examples, Help."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from gui.canvas_export import export_canvas_dialog
from gui.export_dialog import export_current_graph
from gui.group_actions import add_arrange_actions, add_group_actions
from gui.help import show_node_reference

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"


def _action(menu, text, slot, shortcut=None, tip=""):
    action = QAction(text, menu)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    menu.addAction(action)
    return action


def build_menus(window) -> dict:
    """Create every menu on window.menuBar(); returns {'File': QMenu, ...}."""
    bar = window.menuBar()
    menus = {name: bar.addMenu(f"&{name}")
             for name in ("File", "Edit", "View", "Run", "Examples", "Help")}
    window.actions_by_name = {}
    _file_menu(window, menus["File"])
    _edit_menu(window, menus["Edit"])
    _view_menu(window, menus["View"])
    _examples_menu(window, menus["Examples"])
    _help_menu(window, menus["Help"])
    return menus


def _file_menu(window, menu) -> None:
    files, named = window.files, window.actions_by_name
    named["new"] = _action(menu, "&New", files.new, QKeySequence.StandardKey.New)
    named["open"] = _action(menu, "&Open…", files.open_dialog, QKeySequence.StandardKey.Open)
    recent = menu.addMenu("Open &Recent")

    def fill_recent():
        recent.clear()
        for path in files.recent_files():
            _action(recent, path, lambda p=path: files.open(p))
        recent.setEnabled(bool(files.recent_files()))

    files.recent_changed.connect(fill_recent)
    fill_recent()
    menu.addSeparator()
    named["save"] = _action(menu, "&Save", files.save, QKeySequence.StandardKey.Save)
    named["save_as"] = _action(menu, "Save &As…", files.save_as, "Ctrl+Shift+S")
    named["export"] = _action(menu, "&Export…", lambda: export_current_graph(window), "Ctrl+E",
                              "Export the inference graph as ONNX, NumPy or PyTorch code")
    named["export_canvas"] = _action(menu, "Export &Canvas…", lambda: export_canvas_dialog(window),
                                     tip="Save the whole graph as a PNG or SVG picture")
    menu.addSeparator()
    named["quit"] = _action(menu, "&Quit", window.close, QKeySequence.StandardKey.Quit)


def _edit_menu(window, menu) -> None:
    canvas, scene, named = window.canvas, window.scene, window.actions_by_name
    undo, redo = window.undo_stack.create_actions(menu)
    menu.addAction(undo)
    menu.addAction(redo)
    named["undo"], named["redo"] = undo, redo
    menu.addSeparator()
    named["cut"] = _action(menu, "Cu&t", canvas.cut_selection, QKeySequence.StandardKey.Cut)
    named["copy"] = _action(menu, "&Copy", canvas.copy_selection, QKeySequence.StandardKey.Copy)
    named["paste"] = _action(menu, "&Paste", canvas.paste, QKeySequence.StandardKey.Paste)
    named["duplicate"] = _action(menu, "D&uplicate", canvas.duplicate, "Ctrl+D",
                                 "Copy the selection beside it (the clipboard is kept)")
    named["delete"] = _action(menu, "&Delete", scene.delete_selected, "Delete")
    named["delete"].setShortcuts([QKeySequence("Delete"), QKeySequence("Backspace")])
    named["select_all"] = _action(menu, "Select &All", scene.select_all,
                                  QKeySequence.StandardKey.SelectAll)
    menu.addSeparator()
    add_group_actions(window, menu, _action)
    add_arrange_actions(window, menu, _action)
    menu.addSeparator()
    named["add_node"] = _action(menu, "Add &Node…", lambda: canvas.open_search(
        canvas.viewport().rect().center()), "Shift+A", "Search node types to add (or Tab)")


def _view_menu(window, menu) -> None:
    canvas, named = window.canvas, window.actions_by_name
    named["fit"] = _action(menu, "&Fit to View", canvas.fit_to_view, "F")
    named["zoom_in"] = _action(menu, "Zoom &In", lambda: canvas.zoom_by(1.25),
                               QKeySequence.StandardKey.ZoomIn)
    named["zoom_out"] = _action(menu, "Zoom &Out", lambda: canvas.zoom_by(0.8),
                                QKeySequence.StandardKey.ZoomOut)
    named["formulas"] = _action(menu, "Show F&ormulas", lambda: window.scene.set_show_formulas(
        named["formulas"].isChecked()), "Ctrl+Shift+F", "Show what each node computes on its card")
    named["formulas"].setCheckable(True)
    named["minimap"] = _action(menu, "&Minimap", lambda: _toggle_minimap(window), tip=(
        "A small picture of the whole graph in the corner (graphs of 25 nodes or more)"))
    named["minimap"].setCheckable(True)
    named["minimap"].setChecked(True)
    menu.addSeparator()
    menu.addAction(window.palette_dock.toggleViewAction())
    menu.addAction(window.inspector_dock.toggleViewAction())


def _toggle_minimap(window) -> None:
    window.canvas.minimap.enabled = window.actions_by_name["minimap"].isChecked()
    window.canvas.minimap.place()


def example_description(path: Path, limit: int = 72) -> str:
    """One line for the Examples menu: the file's "description" field when it has one, else a
    sketch of its nodes in file order ("digits: Hidden (128) → ReLU → … → Adam")."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        text = document.get("description")
        if not text:
            text = _sketch(document.get("nodes", []))
    except (OSError, ValueError, AttributeError, TypeError):
        text = ""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _sketch(nodes: list) -> str:
    names, dataset = [], ""
    for node in nodes:
        params = node.get("params") or {}
        if "dataset" in params and not dataset:
            dataset = str(params["dataset"])
            continue
        names.append(node.get("title") or node.get("type", "?").rsplit(".", 1)[-1])
    chain = " → ".join(names)
    return f"{dataset}: {chain}" if dataset else chain


def _examples_menu(window, menu) -> None:
    paths = sorted(EXAMPLES_DIR.glob("*.dgraph")) if EXAMPLES_DIR.is_dir() else []
    for path in paths:
        description = example_description(path)
        label = f"{path.stem} — {description}" if description else path.stem
        action = _action(menu, label,
                         lambda p=path: window.files.open(str(p)))
        action.setStatusTip(str(path))
    if not paths:
        menu.addAction("(no examples found)").setEnabled(False)


def _help_menu(window, menu) -> None:
    _action(menu, "&Node Reference", lambda: show_node_reference(window, window.registry), "F1")
    _action(menu, "&About Dendrite", lambda: QMessageBox.about(
        window, "About Dendrite",
        "<b>Dendrite</b><br>A workbench for neural-network experiments: wire nodes on the "
        "canvas, train live on NumPy or CuPy, watch the curves."))
