"""Shared check for the live learning-rate tests: once lr 0 reaches the optimizer, the XOR
loss curve stops changing."""

from __future__ import annotations

import numpy as np

WAIT_MS = 30_000


def assert_loss_freezes_after_lr_zero(qtbot, controller) -> None:
    """Wait for lr 0 to arrive, then check every later epoch's loss is the same."""
    curve = controller.plots.curve
    live = controller.session.program.live["opt"].values
    qtbot.waitUntil(lambda: live["lr"] == 0.0, timeout=WAIT_MS)
    # every epoch that ends a full epoch after this step was trained with lr 0
    frozen_from = controller.session.program.phase.step + 1
    qtbot.waitUntil(lambda: curve("train/loss").getData()[0][-1] > frozen_from + 20,
                    timeout=WAIT_MS)
    steps, losses = curve("train/loss").getData()
    # one epoch is one full batch of XOR: with lr 0 every later epoch has the same loss
    frozen = losses[steps > frozen_from]
    assert np.ptp(frozen) <= 1e-6 * frozen.max()  # equal up to summation order
