"""The views of gradient training, shared by the core nodes that offer them (and by any pack
whose nodes train by gradient: a layer of another pack may declare WEIGHTS or reuse these)."""

from __future__ import annotations

from graph.views import Axis, View, ViewKind

ERROR_HISTORY = View(
    ViewKind.CURVES, "Error history", ("train/loss", "val/loss"),
    y=Axis("loss"),
    doc="Training loss (solid) and validation loss (dashed), one point per epoch.")

ACCURACY = View(
    ViewKind.CURVES, "Accuracy", ("train/accuracy", "val/accuracy"),
    y=Axis("accuracy", range=(0.0, 1.0)),
    doc="Share of samples the loss node counts as right, per epoch.")

GRADIENT_NORMS = View(
    ViewKind.CURVES, "Gradient norms", ("grad_norm/*",),
    y=Axis("|gradient|", log=True),
    doc="L2 norm of each layer's parameter gradient (a vanishing gradient shows as a "
        "curve decades below the others).")

WEIGHT_PENALTIES = View(
    ViewKind.CURVES, "Weight penalties", ("train/penalty", "val/penalty"),
    y=Axis("penalty"),
    doc="A layer's L1/L2 weight-decay term l1 sum|W| + (l2/2) sum W^2, per epoch (one curve "
        "per regularised layer), beside the data loss in the error history.")

WEIGHTS = View(
    ViewKind.IMAGE, "Weights", ("weights/{node}",),
    doc="The first layer's weights, one tile per unit when the input is an image.")

CONFUSION = View(
    ViewKind.HEATMAP, "Confusion matrix", ("confusion/{node}",),
    y=Axis("true class"), x=Axis("predicted class"),
    doc="Validation samples (training samples when there is no validation split) by true "
        "and predicted class, at the end of each epoch.")

CLASS_SCORES = View(
    ViewKind.HEATMAP, "Precision, recall, F1", ("class_scores/{node}",),
    y=Axis("class"), x=Axis("precision | recall | F1"),
    doc="Per-class precision, recall and F1 from the confusion matrix.")

DECISION_REGIONS = View(
    ViewKind.DECISION_REGIONS, "Decision regions", ("regions/{node}", "points/{node}"),
    y=Axis("x2"), x=Axis("x1"),
    doc="The network's output over the plane of 2-D inputs, with the training data on top.")
