"""Problem: one thing wrong with a graph, said so a user can fix it, and its Severity.

The lowest layer of the checks (validate, shapes, gradient_flow, optimizer_needs all build
Problems), so none of them needs to import another to report one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from graph.model import Edge


class Severity(str, enum.Enum):
    """ERROR blocks a run; WARNING does not; NOTE is information for the node's card (a data
    node served as one full batch), written 'Label: sentence'. A str enum ('error')."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    def __str__(self):
        return self.value


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a graph, said so a user can fix it."""

    message: str
    node_id: str | None = None
    edge: Edge | None = None
    severity: Severity = Severity.ERROR

    def __post_init__(self):
        object.__setattr__(self, "severity", Severity(self.severity))  # "warning" works too

    def __str__(self):
        where = f"[{self.node_id}] " if self.node_id else (f"[{self.edge}] " if self.edge else "")
        return f"{self.severity}: {where}{self.message}"
