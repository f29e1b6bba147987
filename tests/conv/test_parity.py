"""Conv2D, transposed conv and subsampling equal PyTorch's functional ops, values and grads."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from plugins.conv.kernels import Conv2D, ConvTranspose2D, Pool2D
from plugins.conv.layers import lenet5_c3_table

RNG = np.random.default_rng(0)


def torch_grads(fn, arrays, grad_out):
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    out.backward(torch.tensor(grad_out))
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-4)])
@pytest.mark.parametrize("padding, stride, kernel", [
    ("valid", (1, 1), (3, 2)), ("valid", (2, 3), (3, 2)), ("same", (1, 1), (3, 3)),
    ("same", (1, 1), (2, 4)), ("valid", (1, 1), (5, 5))])
def test_conv2d_matches_torch(padding, stride, kernel, dtype, tol):
    x = RNG.normal(size=(3, 2, 9, 7)).astype(dtype)
    W = RNG.normal(size=(4, 2, *kernel)).astype(dtype)
    b = RNG.normal(size=4).astype(dtype)
    conv = Conv2D(np, dtype, 5, (2, 9, 7), 4, kernel, stride, padding)
    y = np.zeros((3, 4, *conv.out), dtype)
    conv.forward(x, W, b, y)
    grad_y = RNG.normal(size=y.shape).astype(dtype)
    expected, (gx, gW, gb) = torch_grads(
        lambda x, W, b: F.conv2d(x, W, b, stride=stride,
                                 padding=0 if padding == "valid" else "same"),
        (x, W, b), grad_y)
    assert y.shape == expected.shape
    assert np.abs(y).max() > 0.1
    np.testing.assert_allclose(y, expected, atol=tol, rtol=tol)
    grad_W, grad_b, grad_x = np.zeros_like(W), np.zeros_like(b), np.zeros_like(x)
    conv.backward(grad_y, W, grad_W, grad_b, grad_x)
    for ours, theirs in ((grad_x, gx), (grad_W, gW), (grad_b, gb)):
        np.testing.assert_allclose(ours, theirs, atol=tol * 10, rtol=tol)


def test_connection_table_equals_masked_torch_weights():
    x = RNG.normal(size=(2, 6, 7, 7))
    W = RNG.normal(size=(16, 6, 3, 3))
    table = lenet5_c3_table()
    conv = Conv2D(np, np.float64, 2, (6, 7, 7), 16, (3, 3), (1, 1), "valid", table)
    y = np.zeros((2, 16, 5, 5))
    conv.forward(x, W, None, y)
    grad_y = RNG.normal(size=y.shape)
    mask = torch.tensor(table[:, :, None, None], dtype=torch.float64)
    expected, (gx, gW) = torch_grads(lambda x, W: F.conv2d(x, W * mask), (x, W), grad_y)
    np.testing.assert_allclose(y, expected, atol=1e-12)
    grad_W, grad_x = np.zeros_like(W), np.zeros_like(x)
    conv.backward(grad_y, W, grad_W, None, grad_x)
    np.testing.assert_allclose(grad_W, gW, atol=1e-12)
    np.testing.assert_allclose(grad_x, gx, atol=1e-12)
    assert np.all(grad_W[table == 0] == 0)


def test_lenet5_c3_table_has_the_papers_60_connections():
    table = lenet5_c3_table()
    assert table.shape == (16, 6)
    assert table.sum() == 60  # 6*3 + 6*4 + 3*4 + 6
    assert list(table.sum(axis=1)) == [3] * 6 + [4] * 9 + [6]
    assert list(table[:, 0].nonzero()[0]) == [0, 4, 5, 6, 9, 10, 11, 12, 14, 15]


@pytest.mark.parametrize("stride, kernel", [((2, 2), (3, 2)), ((1, 1), (2, 2)), ((2, 3), (4, 3))])
def test_conv_transpose_matches_torch(stride, kernel):
    x = RNG.normal(size=(3, 2, 5, 4))
    W = RNG.normal(size=(2, 3, *kernel))
    b = RNG.normal(size=3)
    conv = ConvTranspose2D(np, np.float64, 3, (2, 5, 4), 3, kernel, stride, "valid")
    y = np.zeros((3, 3, *conv.out))
    conv.forward(x, W, b, y)
    grad_y = RNG.normal(size=y.shape)
    expected, (gx, gW, gb) = torch_grads(
        lambda x, W, b: F.conv_transpose2d(x, W, b, stride=stride), (x, W, b), grad_y)
    np.testing.assert_allclose(y, expected, atol=1e-12)
    grad_W, grad_b, grad_x = np.zeros_like(W), np.zeros_like(b), np.zeros_like(x)
    conv.backward(grad_y, W, grad_W, grad_b, grad_x)
    for ours, theirs in ((grad_x, gx), (grad_W, gW), (grad_b, gb)):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("mode, torch_fn", [("average", F.avg_pool2d), ("max", F.max_pool2d)])
@pytest.mark.parametrize("size", [(2, 2), (2, 3), (3, 1)])
def test_subsampling_matches_torch(mode, torch_fn, size):
    x = RNG.normal(size=(3, 2, 9, 7))
    pool = Pool2D(np, np.float64, 4, (2, 9, 7), size, mode)
    y = np.zeros((3, 2, *pool.out))
    pool.forward(x, y)
    grad_y = RNG.normal(size=y.shape)
    expected, (gx,) = torch_grads(lambda x: torch_fn(x, size), (x,), grad_y)
    np.testing.assert_allclose(y, expected, atol=1e-12)
    grad_x = np.zeros_like(x)
    pool.backward(grad_y, grad_x)
    np.testing.assert_allclose(grad_x, gx, atol=1e-12)
