"""Views a node type offers, declared as data in its spec (no Qt here).

A node's monitors emit events (`Scalar`, `Image`, `Trace`, `Points`, `Raster`, `Text`) whose
tags the node's views select. The GUI builds one dock per declared view of the nodes in the
running graph and shows a dock only once data for it arrives, so a new model family gets its
plots by declaring them, without touching the GUI.

Tag patterns: `{node}` is replaced by the node's id; a trailing `*` matches any suffix
("overlap/{node}/*" matches "overlap/hop/0", "overlap/hop/1", ...).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ViewKind(enum.Enum):
    """What a dock draws. Each kind reads one family of events."""

    CURVES = "curves"  # Scalar events as lines over step; one View = one shared y axis
    IMAGE = "image"  # Image: one picture (state, weights, reconstruction)
    IMAGE_GRID = "image_grid"  # Image already tiled (feature maps, prototypes, kernels)
    HEATMAP = "heatmap"  # Image with a colour bar (hidden state over time, confusion matrix)
    TRACES = "traces"  # Trace events: signals against time (membrane potential, gates)
    RASTER = "raster"  # Raster events: spike times by neuron
    SCATTER = "scatter"  # Points events: 2-D points, coloured by label (latent space, embedding)
    LATTICE = "lattice"  # Points events with edges: a SOM grid drawn over its data
    DECISION_REGIONS = "decision_regions"  # Image of class regions plus Points of the data
    HISTOGRAM = "histogram"  # Points events read as samples per label (distance histograms)
    TEXT = "text"  # Text events (generated samples)


@dataclass(frozen=True)
class Axis:
    """One axis of a view: a label, a unit, an optional fixed range, log scale or not."""

    label: str = ""
    unit: str = ""
    range: tuple[float, float] | None = None
    log: bool = False


@dataclass(frozen=True)
class View:
    """One dock a node type offers: its kind, title and the event tags it shows."""

    kind: ViewKind
    title: str
    tags: tuple[str, ...]
    y: Axis = Axis()
    x: Axis = Axis(label="step")
    doc: str = ""
    # names of the label values 0, 1, ... that colour Points (gates, prediction / target):
    # the dock shows them as a legend
    classes: tuple[str, ...] = ()

    def tags_for(self, node_id: str) -> tuple[str, ...]:
        """The tag patterns with `{node}` filled in for one node of the graph."""
        return tuple(tag.replace("{node}", node_id) for tag in self.tags)


def tag_matches(pattern: str, tag: str) -> bool:
    """True when tag is selected by pattern (exact, or prefix when pattern ends with '*')."""
    if pattern.endswith("*"):
        return tag.startswith(pattern[:-1])
    return tag == pattern
