"""Help: the node reference, generated from the registry's specs (nothing written twice)."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QDialog, QTextBrowser, QVBoxLayout

from graph.registry import Registry


def node_reference_html(registry: Registry) -> str:
    """Every node type: title, id, doc, ports and parameters, grouped by category."""
    parts = ["<h2>Node reference</h2>"]
    for category, specs in registry.categories().items():
        parts.append(f"<h3>{html.escape(category)}</h3>")
        for spec in specs:
            parts.append(f"<p><b>{html.escape(spec.title)}</b> <code>{spec.type_id}</code><br>"
                         f"{html.escape(spec.doc)}</p><ul>")
            for port in spec.inputs:
                parts.append(f"<li>in <b>{port.name}</b> ({port.kind.value}) "
                             f"{html.escape(port.doc)}</li>")
            for port in spec.outputs:
                parts.append(f"<li>out <b>{port.name}</b> ({port.kind.value}) "
                             f"{html.escape(port.doc)}</li>")
            for param in spec.params:
                live = " <i>live</i>" if param.live else ""
                parts.append(f"<li>param <b>{param.name}</b> = {html.escape(repr(param.default))}"
                             f"{live}: {html.escape(param.doc)}</li>")
            parts.append("</ul>")
    return "".join(parts)


def show_node_reference(parent, registry: Registry) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle("Node reference")
    browser = QTextBrowser(dialog)
    browser.setHtml(node_reference_html(registry))
    layout = QVBoxLayout(dialog)
    layout.addWidget(browser)
    dialog.resize(640, 720)
    dialog.show()
    return dialog
