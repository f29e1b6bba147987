"""The graph's wire list, indexed by node and by input port so lookups cost O(1) or O(degree).

`EdgeList` is a `list` (order is part of a graph: files, snapshots and undo keep it) that keeps
three dictionaries in step with every way a list can change, so code that appends to
`graph.edges` directly (tests that build a broken graph on purpose, gradcheck) cannot leave
the index stale. Membership, "the wire into this input" and "the wires at this node" are
dictionary lookups; only positional edits (insert at an index, delete by value) cost O(E), as
they do for any list.
"""

from __future__ import annotations

from collections.abc import Iterable


def _bump(table: dict, key, edge, step: int) -> None:
    """Count edge under table[key] up or down, dropping empty entries."""
    bucket = table.setdefault(key, {})
    count = bucket.get(edge, 0) + step
    if count > 0:
        bucket[edge] = count
    else:
        bucket.pop(edge, None)
        if not bucket:
            del table[key]


class EdgeList(list):
    """Wires in order plus indexes: by (dst, dst_port), by dst node and by src node.

    Per-node lists come back in the order the wires were added to the index (a wire restored
    by undo counts as added last) and name a duplicate wire once; only code that bypasses
    Graph.connect can make one.
    """

    def __init__(self, edges: Iterable = ()):
        super().__init__(edges)
        self._reindex()

    def _reindex(self) -> None:
        self._count: dict = {}
        self._into: dict = {}
        self._from: dict = {}
        self._at_input: dict = {}
        for edge in self:
            self._index(edge, 1)

    def _index(self, edge, step: int) -> None:
        count = self._count.get(edge, 0) + step
        if count > 0:
            self._count[edge] = count
        else:
            self._count.pop(edge, None)
        _bump(self._into, edge.dst, edge, step)
        _bump(self._from, edge.src, edge, step)
        _bump(self._at_input, (edge.dst, edge.dst_port), edge, step)

    # -- queries --------------------------------------------------------------------------
    def __contains__(self, edge) -> bool:
        try:
            return edge in self._count
        except TypeError:  # an unhashable probe is in no edge list
            return False

    def into(self, node_id: str) -> list:
        """Wires whose destination is node_id."""
        return list(self._into.get(node_id, ()))

    def out_of(self, node_id: str) -> list:
        """Wires whose source is node_id."""
        return list(self._from.get(node_id, ()))

    def at_input(self, node_id: str, port: str):
        """The (first) wire into input port of node_id, or None."""
        bucket = self._at_input.get((node_id, port))
        return next(iter(bucket)) if bucket else None

    # -- every list mutation keeps the index ----------------------------------------------
    def append(self, edge) -> None:
        super().append(edge)
        self._index(edge, 1)

    def insert(self, index, edge) -> None:
        super().insert(index, edge)
        self._index(edge, 1)

    def extend(self, edges: Iterable) -> None:
        for edge in edges:
            self.append(edge)

    def __iadd__(self, edges: Iterable):
        self.extend(edges)
        return self

    def __imul__(self, factor):
        raise TypeError("An edge list cannot be repeated.")

    def remove(self, edge) -> None:
        super().remove(edge)
        self._index(edge, -1)

    def pop(self, index=-1):
        edge = super().pop(index)
        self._index(edge, -1)
        return edge

    def clear(self) -> None:
        super().clear()
        self._reindex()

    def __delitem__(self, index) -> None:
        removed = self[index] if isinstance(index, slice) else [self[index]]
        super().__delitem__(index)
        for edge in removed:
            self._index(edge, -1)

    def __setitem__(self, index, value) -> None:
        old = self[index] if isinstance(index, slice) else [self[index]]
        new = list(value) if isinstance(index, slice) else [value]
        super().__setitem__(index, new if isinstance(index, slice) else value)
        for edge in old:
            self._index(edge, -1)
        for edge in new:
            self._index(edge, 1)

    def __reduce__(self):
        return (EdgeList, (list(self),))
