"""The recurrent pack: sequence data, recurrent cells, attention window, sequence losses."""

MODULES = ["data", "layers", "sequence", "attention", "loop", "export_rules", "experiments"]
