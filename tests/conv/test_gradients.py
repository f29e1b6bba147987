"""Float64 finite-difference checks of every conv-pack node through the real builders."""

import pytest

from engines.gradcheck import assert_gradients


@pytest.mark.parametrize("params", [
    {"channels": 3, "kernel": [3, 2], "stride": [1, 1], "padding": "valid"},
    {"channels": 2, "kernel": [2, 2], "stride": [2, 1], "padding": "same"},
    {"channels": 3, "kernel": [3], "stride": [2], "padding": "valid", "bias": False},
])
def test_conv2d(registry, params):
    assert_gradients("conv.conv2d", {"x": (2, 2, 6, 5)}, params, registry=registry)


def test_conv2d_with_custom_connection_table(registry):
    table = [1, 0, 1, 1, 0, 1]  # 3 outputs x 2 inputs
    assert_gradients("conv.conv2d", {"x": (2, 2, 5, 5)},
                     {"channels": 3, "kernel": [2, 2], "connections": "custom", "table": table},
                     registry=registry)


@pytest.mark.parametrize("padding, stride",
                         [("valid", [2, 2]), ("same", [2, 2]), ("valid", [1, 2])])
def test_conv_transpose(registry, padding, stride):
    assert_gradients("conv.conv_transpose2d", {"x": (2, 2, 3, 3)},
                     {"channels": 2, "kernel": [3, 3], "stride": stride, "padding": padding},
                     registry=registry)


@pytest.mark.parametrize("mode", ["average", "max"])
def test_subsampling(registry, mode):
    assert_gradients("conv.subsample", {"x": (2, 2, 6, 6)}, {"size": [2, 3], "mode": mode},
                     registry=registry)


def test_flatten_and_reshape(registry):
    assert_gradients("conv.flatten", {"x": (3, 2, 2, 3)}, registry=registry)
    assert_gradients("conv.reshape", {"x": (3, 12)}, {"shape": [3, 2, 2]}, registry=registry)
