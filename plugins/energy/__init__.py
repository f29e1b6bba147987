"""Energy-based models: Hopfield nets, Boltzmann machines, RBMs and deep belief nets.

They learn by their own rules (Hebbian storage, clamped/free correlations, contrastive
divergence) through the same Program/Session interface as backprop models.
"""

MODULES = ["patterns", "letters_data", "hopfield", "boltzmann", "rbm", "dbn", "export_rules",
           "experiments", "letters_experiment"]
