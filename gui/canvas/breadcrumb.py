"""The breadcrumb over the canvas while a group is open: "Graph › Features › C1 + S2", each
part a button that goes back to that level."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

_STYLE = ("QWidget#breadcrumb { background: rgba(20, 24, 30, 210); border-radius: 4px; }"
          "QPushButton { border: none; color: #cfd6de; padding: 2px 6px; }"
          "QPushButton:hover { color: white; text-decoration: underline; }"
          "QLabel { color: #7d8793; }")


class Breadcrumb(QWidget):
    """Shows the open groups of a GraphScene; hidden at the top level."""

    def __init__(self, scene, parent):
        super().__init__(parent)
        self.setObjectName("breadcrumb")
        self.setStyleSheet(_STYLE)
        self.scene = scene
        self.buttons: list[QPushButton] = []
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(6, 2, 6, 2)
        self._layout.setSpacing(0)
        scene.level_changed.connect(self.show_trail)
        self.hide()

    def show_trail(self, trail: list) -> None:
        """Rebuild the buttons for trail [(group id, title)], outermost first."""
        while self._layout.count():
            widget = self._layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.buttons = []
        if not trail:
            self.hide()
            return
        for index, (group_id, title) in enumerate([(None, "Graph"), *trail]):
            if index:
                self._layout.addWidget(QLabel("›"))
            button = QPushButton(title)
            button.setToolTip("Go back to this level" if index < len(trail) else
                              "The group shown (Esc goes up one level)")
            button.clicked.connect(lambda _=False, g=group_id: self.scene.open_level(g))
            self._layout.addWidget(button)
            self.buttons.append(button)
        self.adjustSize()
        self.move(8, 8)
        self.show()
        self.raise_()
