"""ArrayFeed's batches: the compiled gather against NumPy's own indexing."""

import numpy as np
import pytest

from engines.backend import select_backend
from engines.datafeed import ArrayFeed
from engines.program import Buffer


def _feed(x, y, batch, dtype=np.float32, compiled=True, val=None):
    backend, _ = select_backend("numpy")
    out_x = Buffer("x", np.zeros((batch, *x.shape[1:]), dtype), batched=True)
    out_y = Buffer("y", np.zeros((batch, *y.shape[1:]), dtype), batched=True)
    x_val, y_val = val if val is not None else (x[:0], y[:0])
    feed = ArrayFeed(backend, x, y, x_val, y_val, batch, seed=3, out_x=out_x, out_y=out_y,
                     dtype=dtype)
    if not compiled:
        feed._gather = None
    return feed, out_x, out_y


@pytest.mark.parametrize("x_shape, y_shape, dtype", [
    ((50, 7), (50, 3), np.float32),          # rows and one-hot targets
    ((45, 1, 4, 5), (45,), np.float32),      # images and labels
    ((33, 6), (33, 2), np.float64),          # a float64 run
])
def test_every_batch_holds_the_permuted_rows(x_shape, y_shape, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape)
    y = rng.standard_normal(y_shape)
    feed, out_x, out_y = _feed(x, y, batch=8, dtype=dtype)
    assert feed._gather is not None  # numba is a dependency: the compiled path is tested
    for epoch in range(2):
        feed.begin_epoch(epoch)
        order = feed.order["train"]
        for batch in range(feed.batches("train")):
            rows = feed.load("train", batch)
            index = order[batch * 8: batch * 8 + 8]
            assert rows == len(index)  # the last batch is short
            np.testing.assert_array_equal(out_x.storage[:rows], x[index].astype(dtype))
            np.testing.assert_array_equal(out_y.storage[:rows], y[index].astype(dtype))


def test_compiled_and_numpy_gathers_agree_on_validation_batches():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((20, 9)), rng.standard_normal((20, 4))
    val = (rng.standard_normal((11, 9)), rng.standard_normal((11, 4)))
    compiled, cx, cy = _feed(x, y, 4, val=val)
    plain, px, py = _feed(x, y, 4, val=val, compiled=False)
    for batch in range(compiled.batches("val")):
        assert compiled.load("val", batch) == plain.load("val", batch)
        np.testing.assert_array_equal(cx.storage, px.storage)
        np.testing.assert_array_equal(cy.storage, py.storage)
    np.testing.assert_array_equal(cx.storage[:3], val[0][8:].astype(np.float32))


def test_a_non_contiguous_output_falls_back_to_numpy():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((12, 5)), rng.standard_normal((12, 2))
    feed, out_x, out_y = _feed(x, y, 4)
    out_x.storage = np.zeros((4, 10), np.float32)[:, ::2]  # a strided view
    feed.begin_epoch(0)
    feed.load("train", 0)
    np.testing.assert_array_equal(out_x.storage, x[feed.order["train"][:4]].astype(np.float32))
