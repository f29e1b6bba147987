"""ViewDock: the base of every dock built from a declared View, and the kind -> class registry.

A dock stores what arrives (cheap, on the event path) and draws in refresh() when the pacer
allows. It stays hidden until its first data; export() writes PNG, SVG (pyqtgraph's exporters)
or CSV (the data itself).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFileDialog, QWidget

from graph.views import ViewKind

EXPORT_FILTER = "PNG image (*.png);;SVG drawing (*.svg);;CSV data (*.csv)"


def render_svg(widget, path: Path) -> None:
    """Draw widget into an SVG file with Qt's own generator."""
    from PySide6.QtCore import QPoint, QRect, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator
    size = widget.size() if widget.width() > 1 else QSize(640, 400)
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QRect(0, 0, size.width(), size.height()))
    painter = QPainter(generator)
    try:
        QWidget.render(widget, painter, QPoint(0, 0))  # not QGraphicsView.render
    finally:
        painter.end()


class DockKinds:
    """ViewKind -> dock class. A pack's new kind of plot registers its class here once."""

    def __init__(self):
        self._classes: dict[ViewKind, type] = {}

    def register(self, *kinds: ViewKind, override: bool = False):
        """Class decorator: `@DOCK_KINDS.register(ViewKind.CURVES)`."""
        def decorate(cls):
            for kind in kinds:
                if kind in self._classes and not override:
                    raise KeyError(f"View kind '{kind.value}' already has the dock class "
                                   f"{self._classes[kind].__name__}.")
                self._classes[kind] = cls
            return cls
        return decorate

    def get(self, kind: ViewKind) -> type | None:
        return self._classes.get(kind)

    def kinds_for(self, event_type: type) -> frozenset:
        """The view kinds whose docks read events of event_type."""
        return frozenset(kind for kind, cls in self._classes.items()
                         if event_type in cls.EVENTS)


DOCK_KINDS = DockKinds()


def object_name(key: tuple) -> str:
    """A stable objectName for a view's dock (saved window layouts refer to it)."""
    kind, title = key
    return f"view_{kind.value}_" + "".join(c if c.isalnum() else "_" for c in title)


class ViewDock(QDockWidget):
    """One declared view. Subclasses set EVENTS and implement the add_* they read."""

    EVENTS: tuple = ()

    def __init__(self, planned, parent=None):
        super().__init__(planned.view.title, parent)
        self.planned = planned
        self.view = planned.view
        self.setObjectName(object_name(planned.key))
        if self.view.doc:
            self.setToolTip(self.view.doc)
        self.has_data = False
        self.placed = False  # shown and put in the window's layout by ViewDocks
        self._dirty = False
        export = QAction("Export plot...", self)
        export.triggered.connect(self.export_dialog)
        self.addAction(export)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    # -- data (event path: store only) ---------------------------------------------------
    def mark(self) -> None:
        self.has_data = True
        self._dirty = True

    @property
    def pending(self) -> bool:
        return self._dirty

    def refresh(self) -> None:
        """Draw what arrived since the last refresh."""
        if self._dirty:
            self._dirty = False
            self.draw()

    def draw(self) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        """Forget all data (a new run or another graph)."""
        self.has_data = False
        self._dirty = False

    def set_step(self, step: int) -> None:
        """The run's current step (curve views keep their x axis up with it)."""

    # -- export ------------------------------------------------------------------------------
    def graphics_item(self):
        """The pyqtgraph item PNG and SVG exports draw (a PlotItem or a layout)."""
        raise NotImplementedError

    def write_csv(self, path: Path) -> None:
        raise NotImplementedError

    def export(self, path: str | Path) -> Path:
        """Write the view to path: .png and .svg through pyqtgraph, .csv as data."""
        import pyqtgraph.exporters as exporters
        path = Path(path)
        suffix = path.suffix.lower()
        self.refresh()
        if suffix == ".csv":
            self.write_csv(path)
        elif suffix in (".png", ".svg"):
            cls = exporters.ImageExporter if suffix == ".png" else exporters.SVGExporter
            exporter = cls(self.graphics_item())
            if suffix == ".png":
                width = int(exporter.params["width"])
                if width < 2:  # a never-shown dock has no size: export at a readable one
                    exporter.params["width"] = 640
            try:
                exporter.export(str(path))
            except ValueError:  # pyqtgraph's SVG writer cannot parse some items' paths
                render_svg(self.widget(), path)
        else:
            raise ValueError(f"Cannot export '{path.name}': use .png, .svg or .csv.")
        return path

    def export_dialog(self) -> None:
        name = "".join(c if c.isalnum() else "_" for c in self.view.title).strip("_").lower()
        path, _filter = QFileDialog.getSaveFileName(self, f"Export {self.view.title}",
                                                    f"{name}.png", EXPORT_FILTER)
        if path:
            try:
                self.export(path)
            except (OSError, ValueError) as exc:
                window = self.window()
                if hasattr(window, "show_message"):
                    window.show_message(f"Export failed: {exc}")
