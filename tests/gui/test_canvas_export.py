"""The canvas exports the whole graph to PNG and SVG."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from gui.canvas_export import export_scene
from tests.gui.conftest import xor_graph


def test_canvas_exports_the_whole_graph_as_png_and_svg(window, tmp_path):
    window.set_graph(xor_graph(), None)
    window.canvas.zoom_by(3.0)  # only part of the graph is on screen; the export has all
    png = export_scene(window.scene, tmp_path / "graph.png")
    image = QImage(str(png))
    bounds = window.scene.itemsBoundingRect()
    assert image.width() >= 2 * bounds.width() and image.height() >= 2 * bounds.height()
    colours = {image.pixel(x, image.height() // 2) for x in range(0, image.width(), 7)}
    assert len(colours) > 5  # nodes and wires drawn, not a blank picture
    svg = export_scene(window.scene, tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "sigmoid" in svg.lower()  # node titles are text in the drawing
    with pytest.raises(ValueError, match="png or .svg"):
        export_scene(window.scene, tmp_path / "graph.bmp")


def test_the_file_menu_exports_the_canvas(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog
    window.set_graph(xor_graph(), None)
    target = tmp_path / "menu.svg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(target), "SVG drawing (*.svg)"))
    action = next(a for a in window.menus["File"].actions() if "Canvas" in a.text())
    action.trigger()
    assert "<svg" in target.read_text(encoding="utf-8")
