"""The model of a graph: specs, registry, nodes, edges, validation, shapes, files, commands.

Imports neither Qt nor numpy."""
