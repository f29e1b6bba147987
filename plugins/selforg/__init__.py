"""Self-organising and associative networks: Kohonen SOM, Kosko BAM and ART1.

They learn by their own rules (competitive learning, Hebbian outer products, resonance) as
simulations on the same Program/Session interface as the energy pack, and show lattices,
U-matrices, prototypes and energy traces through the views their specs declare.
"""

MODULES = ["samples", "som", "bam", "art1", "export_rules"]
