"""Recurrent graphs shared by the recurrent tests (no torch import here)."""

from __future__ import annotations

from tests.engines.graphs import build

B, T, H = 4, 6, 5


def elman(truncate=0, stateful=False, jordan=False, steps=T, samples=8):
    """x_t -> [x_t, z] -> dense(H) -> tanh -> dense(1) -> y_t; z is h_{t-1} (Elman) or
    y_{t-1} (Jordan); loss: sequence MSE against the next sine value."""
    fed_back = "out.y" if jordan else "act.y"
    width = 1 if jordan else H
    return build("elman", [
        ("data", "recurrent.sequence_task", {"task": "sine", "steps": steps,
                                             "samples": samples, "batch_size": B,
                                             "val_split": 0.0, "shuffle": False}),
        ("steps", "recurrent.steps", {}),
        ("cat", "core.concat", {}),
        ("hidden", "core.dense", {"units": H}),
        ("act", "core.tanh", {}),
        ("z", "core.delay", {"shape": [width], "truncate": truncate, "stateful": stateful}),
        ("out", "core.dense", {"units": 1}),
        ("collect", "recurrent.collect", {}),
        ("loss", "recurrent.seq_mse", {}),
    ], ["data.x -> steps.x", "steps.y -> cat.a", "z.y -> cat.b", "cat.y -> hidden.x",
        "hidden.y -> act.x", "act.y -> out.x", f"{fed_back} -> z.x", "out.y -> collect.x",
        "collect.y -> loss.pred", "data.y -> loss.target"])
