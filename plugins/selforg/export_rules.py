"""The self-organising pack's models have no feedforward inference form to export; each says
why (engines.export)."""

from __future__ import annotations

from engines.export.ir import Unexportable

EXPORT_RULES = {
    "selforg.som": Unexportable("a Kohonen map answers with its best-matching unit, found by "
                                "a search over its lattice; the exporter has no rule for it."),
    "selforg.bam": Unexportable("a BAM recalls by iterating between its two layers until they "
                                "settle; it has no feedforward inference graph."),
    "selforg.art1": Unexportable("ART1 searches, and creates, categories while it runs; it "
                                 "has no fixed feedforward inference graph."),
}
