"""The built-in node pack: data, layers, activations, losses, optimizers, delay."""

MODULES = ["data", "dense", "activations", "noise", "combine", "losses", "optimizers", "rprop",
           "delay", "training", "export_rules", "experiments"]
