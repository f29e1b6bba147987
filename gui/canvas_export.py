"""The canvas as a picture: the whole graph (not just the visible part) to PNG or SVG."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog

MARGIN = 30.0
PNG_SCALE = 2.0  # twice the screen size, so text stays sharp when the picture is zoomed


def export_scene(scene, path: str | Path) -> Path:
    """Write every item of scene to path (.png or .svg) on the scene's background colour."""
    path = Path(path)
    suffix = path.suffix.lower()
    source = scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    if source.isEmpty():
        source = QRectF(0, 0, 400, 300)
    background = scene.backgroundBrush().color() if scene.backgroundBrush().style() else \
        QColor("#202124")
    selected = scene.selectedItems()
    for item in selected:  # selection outlines are not part of the graph
        item.setSelected(False)
    try:
        if suffix == ".png":
            size = QSize(int(source.width() * PNG_SCALE), int(source.height() * PNG_SCALE))
            image = QImage(size, QImage.Format.Format_ARGB32)
            image.fill(background)
            _render(scene, image, source, QRectF(0, 0, size.width(), size.height()))
            if not image.save(str(path)):
                raise OSError(f"Could not write '{path}'.")
        elif suffix == ".svg":
            generator = QSvgGenerator()
            generator.setFileName(str(path))
            generator.setSize(source.size().toSize())
            generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
            generator.setTitle(getattr(getattr(scene, "graph", None), "name", "graph"))
            _render(scene, generator, source, QRectF(0, 0, source.width(), source.height()),
                    background)
        else:
            raise ValueError(f"Cannot export the canvas to '{path.name}': use .png or .svg.")
    finally:
        for item in selected:
            item.setSelected(True)
    return path


def _render(scene, device, source: QRectF, target: QRectF, background=None) -> None:
    painter = QPainter(device)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        if background is not None:
            painter.fillRect(target, background)
        scene.render(painter, target, source)
    finally:
        painter.end()


def export_canvas_dialog(window) -> Path | None:
    """Ask for a file and export window's canvas there; a failure goes to the status bar."""
    stem = Path(window.graph_path).stem if getattr(window, "graph_path", None) else "graph"
    path, _filter = QFileDialog.getSaveFileName(
        window, "Export canvas", f"{stem}.png", "PNG image (*.png);;SVG drawing (*.svg)")
    if not path:
        return None
    try:
        return export_scene(window.scene, path)
    except (OSError, ValueError) as exc:
        window.show_message(f"Canvas export failed: {exc}")
        return None
