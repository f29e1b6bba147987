"""Weight ties: a node that uses the parameters of another node of the same type.

A tie is part of the graph (saved in the file, edited through an undoable command, drawn on
the canvas). The engine compiles it so both nodes read one parameter buffer and the gradients
of every user add up in it (siamese twins, tied autoencoders). With `transpose`, the 2-D
weights are shared transposed (a decoder reading its encoder's W as W^T) and every other
parameter (biases) stays the node's own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tie:
    """Node `node` uses the parameters of node `source` (2-D ones transposed if `transpose`)."""

    node: str
    source: str
    transpose: bool = False

    def __str__(self):
        return f"{self.node} ~ {self.source}{' (transposed)' if self.transpose else ''}"


def tie_root(ties: dict, node_id: str) -> str:
    """The node that finally owns node_id's parameters (following chains of ties)."""
    seen = {node_id}
    while node_id in ties:
        node_id = ties[node_id].source
        if node_id in seen:  # a loop: the model refuses it, a hand-edited file may not
            break
        seen.add(node_id)
    return node_id


def tie_loop(ties: dict, tie: Tie) -> bool:
    """True when adding tie would make a node share, through a chain, its own parameters."""
    node_id = tie.source
    seen = set()
    while node_id not in seen:
        if node_id == tie.node:
            return True
        seen.add(node_id)
        if node_id not in ties:
            return False
        node_id = ties[node_id].source
    return True


def shared_shape(tie: Tie, shape: tuple) -> tuple | None:
    """The shape the source must have for a parameter of `shape` on the tied node, or None
    when the parameter is not shared (1-D parameters of a transposed tie)."""
    if not tie.transpose:
        return tuple(shape)
    if len(shape) != 2:
        return None
    return (shape[1], shape[0])


def tie_problems(graph, registry, param_shapes: dict) -> list:
    """(message, node_id) for each bad tie: missing nodes, different types, shapes that do not
    match. param_shapes maps node_id -> {name: shape} for nodes whose shapes are known.
    """
    problems = []
    for tie in graph.ties.values():
        node, source = graph.nodes.get(tie.node), graph.nodes.get(tie.source)
        if node is None or source is None:
            missing = tie.node if node is None else tie.source
            problems.append((f"The weight tie {tie} refers to a node '{missing}' that does not "
                             "exist.", tie.node if node else tie.source))
            continue
        if node.type_id != source.type_id:
            problems.append((
                f"'{node.label}' ({node.type_id}) cannot share the weights of "
                f"'{source.label}' ({source.type_id}): a weight tie joins nodes of the same "
                "type.", tie.node))
            continue
        problem = shape_mismatch(tie, param_shapes.get(tie.node), param_shapes.get(tie.source),
                                 node.label, source.label)
        if problem:
            problems.append((problem, tie.node))
    return problems


def shape_mismatch(tie: Tie, own: dict | None, source: dict | None, label: str,
                   source_label: str) -> str | None:
    """A sentence when the tied node's parameters cannot be the source's, else None."""
    if not own or not source:
        return None
    shared = 0
    for name, shape in own.items():
        wanted = shared_shape(tie, shape)
        if wanted is None:
            continue
        have = source.get(name)
        if have is None or tuple(have) != wanted:
            how = "transposed " if tie.transpose else ""
            return (f"'{label}' shares the {how}weights of '{source_label}', but its '{name}' "
                    f"needs {tuple(shape)} and '{source_label}' has "
                    f"{None if have is None else tuple(have)}; make the layer sizes match.")
        shared += 1
    if shared == 0:
        return f"'{label}' has no 2-D weights to share transposed with '{source_label}'."
    return None


def chain(ties: dict, node_id: str) -> tuple[str, bool, bool]:
    """(root, transposed overall, any tie on the way transposed) for node_id's ties."""
    root = tie_root(ties, node_id)
    transposed = crossed = False
    current = node_id
    while current != root:
        tie = ties[current]
        transposed ^= tie.transpose
        crossed |= tie.transpose
        current = tie.source
    return root, transposed, crossed


def shared_names(ties: dict, node_id: str, param_shapes: dict) -> set:
    """Names of node_id's parameters that live in another node (its tie root): all of them
    along an untransposed chain, only the 2-D weights when a tie on the way is transposed."""
    if node_id not in ties:
        return set()
    _, _, crossed = chain(ties, node_id)
    return {name for name, shape in param_shapes.items() if not crossed or len(shape) == 2}
