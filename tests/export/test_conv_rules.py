"""The conv pack's export rules: convolutions (strides, 'same' padding with even kernels,
connection tables), transposed convolutions, average and max subsampling, against the engine."""

from __future__ import annotations

import pytest

from tests.engines.graphs import build
from tests.export.helpers import TOLERANCE, export_differences

CASES = {
    "conv_stride2_same_even_kernel": [
        ("conv", "conv.conv2d", {"channels": 3, "kernel": [4, 2], "stride": [2, 1],
                                 "padding": "same"}),
        ("act", "core.relu", {}),
        ("pool", "conv.subsample", {"size": [2, 3], "mode": "max"})],
    "conv_valid_no_bias_average": [
        ("conv", "conv.conv2d", {"channels": 6, "kernel": [3, 3], "bias": False}),
        ("act", "core.tanh", {}),
        ("pool", "conv.subsample", {"size": [2, 2], "mode": "average"})],
    "connection_table_and_decoder": [
        ("conv", "conv.conv2d", {"channels": 4, "kernel": [3, 3], "padding": "same",
                                 "connections": "custom", "table": [1, 0, 0, 1, 1, 1, 1, 0]}),
        ("act", "core.sigmoid", {}),
        ("pool", "conv.conv_transpose2d", {"channels": 2, "kernel": [3, 3], "stride": [2, 2],
                                           "padding": "same"})],
    "transposed_valid": [
        ("conv", "conv.conv2d", {"channels": 2, "kernel": [2, 2], "stride": [2, 2]}),
        ("act", "core.elu", {}),
        ("pool", "conv.conv_transpose2d", {"channels": 1, "kernel": [3, 2], "stride": [2, 1]})],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_conv_rules_match_the_engine(name, registry, tmp_path):
    image = [2, 4, 8] if name == "connection_table_and_decoder" else [1, 8, 8]
    graph = build(name, [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": 16}),
        ("image", "conv.reshape", {"shape": image}),
        *CASES[name],
        ("flat", "conv.flatten", {}),
        ("dense", "core.dense", {"units": 10}),
        ("loss", "core.softmax_cross_entropy", {}),
    ], ["data.x -> image.x", "image.y -> conv.x", "conv.y -> act.x", "act.y -> pool.x",
        "pool.y -> flat.x", "flat.y -> dense.x", "dense.y -> loss.pred",
        "data.y -> loss.target"])
    for fmt, difference in export_differences(graph, registry, tmp_path).items():
        assert difference <= TOLERANCE, f"{name} {fmt.value}: {difference:.3g}"
