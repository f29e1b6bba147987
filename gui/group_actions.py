"""Edit-menu actions for groups: Group (Ctrl+G), Ungroup (Ctrl+Shift+G), Rename Group and
Save Group to Library (the palette lists the library again after a save); and the Arrange
submenu (align, distribute)."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog

from graph.group_commands import SetGroup
from graph.groups import Group
from graph.library import save_group
from graph.model import GraphError


def add_group_actions(window, menu, make_action) -> None:
    """Add the group actions to menu; make_action(menu, text, slot, shortcut, tip)."""
    named = window.actions_by_name
    named["group"] = make_action(menu, "&Group", lambda: window.scene.group_selected(),
                                 "Ctrl+G", "Collapse the selected nodes into one group")
    named["ungroup"] = make_action(menu, "&Ungroup", window.scene.ungroup_selected,
                                   "Ctrl+Shift+G", "Put the selected group's nodes back")
    named["rename_group"] = make_action(menu, "Rena&me Group…", lambda: rename_group(window),
                                        tip="Give the selected group a title")
    named["frame"] = make_action(menu, "&Frame Selection", lambda: window.scene.frame_selected(),
                                 "Ctrl+J", "Put a titled backdrop behind the selected nodes")
    named["rename_port"] = make_action(menu, "Rename Group &Port…",
                                       lambda: rename_group_port(window),
                                       tip="Name one of the selected group's ports")
    named["save_group"] = make_action(menu, "Save Group to &Library…",
                                      lambda: save_selected_group(window),
                                      tip="Keep the selected group in the palette's Library")


def _selected_group(window) -> str | None:
    scene = window.scene
    groups = [i for i in scene.selected_node_ids() if i in scene.graph.groups]
    if len(groups) != 1:
        window.show_message("Select one group first.")
        return None
    return groups[0]


def rename_group(window) -> None:
    group_id = _selected_group(window)
    if group_id is None:
        return
    group = window.scene.graph.groups[group_id]
    title, ok = QInputDialog.getText(window, "Rename Group", "Title:", text=group.label)
    if ok and title.strip() and title != group.title:
        renamed = Group(group.id, title.strip(), group.members, group.position,
                        group.port_names)
        window.undo_stack.push(SetGroup(group.id, renamed))
        window.scene.rebuild_if_due()


def rename_group_port(window) -> None:
    """Give a port of the selected group a name of its own (kept in the file)."""
    from graph.groups import boundary_ports
    group_id = _selected_group(window)
    if group_id is None:
        return
    graph = window.scene.graph
    ports = boundary_ports(graph, group_id)
    if not ports:
        window.show_message("This group has no ports: no wire crosses its edge.")
        return
    labels = [p.name for p in ports]
    chosen, ok = QInputDialog.getItem(window, "Rename Group Port", "Port:", labels, 0, False)
    if not ok:
        return
    port = ports[labels.index(chosen)]
    name, ok = QInputDialog.getText(window, "Rename Group Port", "Name:", text=port.name)
    name = name.strip()
    if not ok or not name or name == port.name:
        return
    if name in [p.name for p in ports if p.is_input == port.is_input]:
        window.show_message(f"The group already has a port called '{name}'.")
        return
    group = graph.groups[group_id]
    names = dict(group.port_names)
    names[f"{port.node}.{port.port}"] = name
    renamed = Group(group.id, group.title, group.members, group.position,
                    tuple(sorted(names.items())))
    window.undo_stack.push(SetGroup(group.id, renamed))
    window.scene.rebuild_if_due()


def save_selected_group(window) -> None:
    """Save the selected group under a title the user confirms; the graph keeps its own copy."""
    group_id = _selected_group(window)
    if group_id is None:
        return
    graph = window.scene.graph
    title, ok = QInputDialog.getText(window, "Save Group to Library", "Name in the palette:",
                                     text=graph.groups[group_id].label)
    if not ok or not title.strip():
        return
    try:
        path = save_group(graph, group_id, title.strip())
    except (OSError, GraphError, ValueError) as exc:
        window.show_message(f"Cannot save the group: {exc}")
        return
    window.palette.rebuild()
    window.show_message(f"Saved '{title.strip()}' to {path}; it is in the palette's Library.")


def add_arrange_actions(window, menu, make_action) -> None:
    """An Arrange submenu: align left / top, distribute horizontally / vertically."""
    from graph.layout_commands import Arrange
    sub = menu.addMenu("A&rrange")
    named, scene = window.actions_by_name, window.scene
    for key, text, shortcut, how in (
            ("align_left", "Align &Left", "Alt+Shift+L", Arrange.ALIGN_LEFT),
            ("align_top", "Align &Top", "Alt+Shift+T", Arrange.ALIGN_TOP),
            ("distribute_x", "Distribute &Horizontally", "Alt+Shift+H", Arrange.DISTRIBUTE_X),
            ("distribute_y", "Distribute &Vertically", "Alt+Shift+V", Arrange.DISTRIBUTE_Y)):
        named[key] = make_action(sub, text, lambda h=how: scene.arrange_selected(h), shortcut)
