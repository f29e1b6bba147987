"""The lecture notes' experiments, rerun by the engine: packs declare them (`EXPERIMENTS`),
`main.py reproduce` runs them and writes docs/EXPERIMENTS.md, one row per experiment."""

from engines.reproduce.experiment import Context, Experiment, Outcome, Verdict

__all__ = ["Context", "Experiment", "Outcome", "Verdict"]
