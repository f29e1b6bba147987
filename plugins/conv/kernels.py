"""Convolution and subsampling kernels on (batch, channels, height, width) arrays, for any `xp`.

A convolution gathers every receptive field into one preallocated column array through a
strided view (im2col) and runs one (batched) BLAS matmul; its input gradient scatters the
column gradient back with one strided add per kernel offset (a loop over kh*kw, never over
samples).
Sizes follow PyTorch: 'valid' keeps only whole windows, 'same' pads (extra on the bottom/right
like TensorFlow) so the output is ceil(size / stride).
"""

from __future__ import annotations

import math


def conv_padding(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(pad_before, pad_after, output size) along one axis; output < 1 means no output."""
    if padding == "same":
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return total // 2, total - total // 2, out
    return 0, 0, (size - kernel) // stride + 1 if size >= kernel else 0


def windows(xp, padded, kernel: tuple, stride: tuple, out: tuple):
    """A (n, c, oh, ow, kh, kw) strided view of padded (n, c, h, w): no copy."""
    n, c = padded.shape[:2]
    sn, sc, sh, sw = padded.strides
    shape = (n, c, out[0], out[1], kernel[0], kernel[1])
    strides = (sn, sc, sh * stride[0], sw * stride[1], sh, sw)
    return xp.lib.stride_tricks.as_strided(padded, shape=shape, strides=strides)


def scatter_windows(padded_grad, cols6, kernel: tuple, stride: tuple, out: tuple) -> None:
    """padded_grad[n, c, i*s+a, j*s+b] += cols6[n, c, i, j, a, b] (col2im): one add per offset."""
    oh, ow = out
    for a in range(kernel[0]):
        rows = slice(a, a + stride[0] * (oh - 1) + 1, stride[0])
        for b in range(kernel[1]):
            cols = slice(b, b + stride[1] * (ow - 1) + 1, stride[1])
            padded_grad[:, :, rows, cols] += cols6[:, :, :, :, a, b]


class Conv2D:
    """y = conv2d(x, W * mask) + b with W (out, in, kh, kw).

    Columns are laid out (batch, in*kh*kw, oh*ow), so the forward pass is one batched matmul
    W (out, in*kh*kw) @ columns written straight into y (batch, out, oh*ow), with no transposed
    copy of the result. Buffers are sized for `batch` rows; every call works on the first n.
    """

    def __init__(self, xp, dtype, batch: int, in_shape: tuple, channels: int, kernel: tuple,
                 stride: tuple, padding: str, mask=None):
        self.xp = xp
        c, h, w = in_shape
        self.kernel, self.stride = tuple(kernel), tuple(stride)
        top, bottom, oh = conv_padding(h, kernel[0], stride[0], padding)
        left, right, ow = conv_padding(w, kernel[1], stride[1], padding)
        self.pad = (top, left)
        self.out = (oh, ow)
        self.in_shape = (c, h, w)
        self.channels = channels
        depth = c * kernel[0] * kernel[1]
        self.padded = xp.zeros((batch, c, h + top + bottom, w + left + right), dtype=dtype)
        self.padded_grad = xp.zeros_like(self.padded)
        self.cols = xp.zeros((batch, depth, oh * ow), dtype=dtype)
        self.cols_grad = xp.zeros_like(self.cols)
        self.weight_grads = xp.zeros((batch, channels, depth), dtype=dtype)  # per sample
        self.mask = None if mask is None else xp.asarray(mask, dtype=dtype)[:, :, None, None]
        self.masked = None if mask is None else xp.zeros((channels, c, *kernel), dtype=dtype)

    def _interior(self, array, n):
        top, left = self.pad
        _, h, w = self.in_shape
        return array[:n, :, top:top + h, left:left + w]

    def effective_weights(self, weights):
        if self.mask is None:
            return weights
        self.xp.multiply(weights, self.mask, out=self.masked)
        return self.masked

    def _cols6(self, array, n):
        """(n, in, oh, ow, kh, kw) view of a (batch, in*kh*kw, oh*ow) column array."""
        c = self.in_shape[0]
        return array[:n].reshape(n, c, *self.kernel, *self.out).transpose(0, 1, 4, 5, 2, 3)

    def forward(self, x, weights, bias, y) -> None:
        xp, n = self.xp, x.shape[0]
        if self.pad != (0, 0) or self.padded.shape[2:] != x.shape[2:]:
            self._interior(self.padded, n)[...] = x
            source = self.padded[:n]
        else:
            source = x
        view = windows(xp, source, self.kernel, self.stride, self.out)
        self._cols6(self.cols, n)[...] = view
        kernel_matrix = self.effective_weights(weights).reshape(self.channels, -1)
        xp.matmul(kernel_matrix, self.cols[:n], out=y.reshape(n, self.channels, -1))
        if bias is not None:
            y += bias[:, None, None]

    def backward(self, grad_y, weights, grad_weights, grad_bias, grad_x) -> None:
        """Overwrite grad_weights and grad_bias (when not None); add into grad_x (when not None).

        Reads the columns the last forward left behind.
        """
        xp, n = self.xp, grad_y.shape[0]
        grad_rows = grad_y.reshape(n, self.channels, -1)
        if grad_weights is not None:
            per_sample = self.weight_grads[:n]
            xp.matmul(grad_rows, self.cols[:n].transpose(0, 2, 1), out=per_sample)
            xp.sum(per_sample, axis=0, out=grad_weights.reshape(self.channels, -1))
            if self.mask is not None:
                grad_weights *= self.mask
        if grad_bias is not None:
            xp.sum(grad_y, axis=(0, 2, 3), out=grad_bias)
        if grad_x is None:
            return
        kernel_matrix = self.effective_weights(weights).reshape(self.channels, -1)
        xp.matmul(kernel_matrix.T, grad_rows, out=self.cols_grad[:n])
        padded_grad = self.padded_grad[:n]
        padded_grad.fill(0)
        scatter_windows(padded_grad, self._cols6(self.cols_grad, n), self.kernel, self.stride,
                        self.out)
        grad_x += self._interior(padded_grad, n)


class ConvTranspose2D:
    """The adjoint of a convolution: y = conv_transpose2d(x, W) + b, W (in, out, kh, kw).

    'valid' gives (h - 1) * stride + k rows; 'same' crops that to h * stride (the shape a
    decoder needs to undo a 'same' convolution of the same stride).
    """

    def __init__(self, xp, dtype, batch: int, in_shape: tuple, channels: int, kernel: tuple,
                 stride: tuple, padding: str):
        self.xp = xp
        c, h, w = in_shape
        self.in_shape, self.channels = (c, h, w), channels
        self.kernel, self.stride = tuple(kernel), tuple(stride)
        full = ((h - 1) * stride[0] + kernel[0], (w - 1) * stride[1] + kernel[1])
        if padding == "same":
            self.out = (h * stride[0], w * stride[1])
        else:
            self.out = full
        crop_h, crop_w = max(full[0] - self.out[0], 0), max(full[1] - self.out[1], 0)
        self.crop = (crop_h // 2, crop_w // 2)
        self.full = xp.zeros((batch, channels, *full), dtype=dtype)
        self.inputs = xp.zeros((batch * h * w, c), dtype=dtype)  # rows (n, i, j)
        self.cols = xp.zeros((batch * h * w, channels * kernel[0] * kernel[1]), dtype=dtype)
        self.inputs_grad = xp.zeros_like(self.inputs)

    def _visible(self, array, n):
        top, left = self.crop
        return array[:n, :, top:top + self.out[0], left:left + self.out[1]]

    def forward(self, x, weights, bias, y) -> None:
        xp, n = self.xp, x.shape[0]
        c, h, w = self.in_shape
        rows = n * h * w
        inputs = self.inputs[:rows]
        inputs.reshape(n, h, w, c)[...] = x.transpose(0, 2, 3, 1)
        cols = self.cols[:rows]
        xp.matmul(inputs, weights.reshape(c, -1), out=cols)
        full = self.full[:n]
        full.fill(0)
        cols6 = cols.reshape(n, h, w, self.channels, *self.kernel).transpose(0, 3, 1, 2, 4, 5)
        scatter_windows(full, cols6, self.kernel, self.stride, (h, w))
        y[...] = self._visible(self.full, n)
        if bias is not None:
            y += bias[:, None, None]

    def backward(self, grad_y, weights, grad_weights, grad_bias, grad_x) -> None:
        xp, n = self.xp, grad_y.shape[0]
        c, h, w = self.in_shape
        rows = n * h * w
        full = self.full[:n]
        full.fill(0)
        self._visible(self.full, n)[...] = grad_y
        view = windows(xp, full, self.kernel, self.stride, (h, w))
        cols = self.cols[:rows]
        cols.reshape(n, h, w, self.channels, *self.kernel)[...] = view.transpose(0, 2, 3, 1, 4, 5)
        if grad_weights is not None:
            xp.matmul(self.inputs[:rows].T, cols, out=grad_weights.reshape(c, -1))
        if grad_bias is not None:
            xp.sum(grad_y, axis=(0, 2, 3), out=grad_bias)
        if grad_x is not None:
            inputs_grad = self.inputs_grad[:rows]
            xp.matmul(cols, weights.reshape(c, -1).T, out=inputs_grad)
            grad_x += inputs_grad.reshape(n, h, w, c).transpose(0, 3, 1, 2)


class Pool2D:
    """Non-overlapping subsampling by (ph, pw) windows, average or max (rows/columns that do not
    fill a whole window are dropped, as in PyTorch)."""

    def __init__(self, xp, dtype, batch: int, in_shape: tuple, size: tuple, mode: str):
        self.xp = xp
        c, h, w = in_shape
        self.size, self.mode = tuple(size), mode
        self.out = (h // size[0], w // size[1])
        self.in_shape = in_shape
        area = size[0] * size[1]
        self.offsets_2d = [(a, b) for a in range(size[0]) for b in range(size[1])]
        if mode == "average":
            self.scaled = xp.zeros((batch, c, *self.out), dtype=dtype)
        if mode == "max":
            self.windows = xp.zeros((batch, c, *self.out, area), dtype=dtype)
            self.argmax = xp.zeros((batch, c, *self.out), dtype=xp.intp)
            self.offsets = xp.arange(area)
            self.hits = xp.zeros((batch, c, *self.out, area), dtype=bool)
            self.spread = xp.zeros((batch, c, *self.out, area), dtype=dtype)

    def _blocks(self, array):
        """(n, c, oh, ph, ow, pw) view of the part of array the windows cover."""
        oh, ow = self.out
        ph, pw = self.size
        n, c = array.shape[:2]
        return array[:, :, :oh * ph, :ow * pw].reshape(n, c, oh, ph, ow, pw)

    def forward(self, x, y) -> None:
        xp, n = self.xp, x.shape[0]
        blocks = self._blocks(x)
        if self.mode == "average":  # one strided add per window offset: ~10x xp.mean's speed
            (a, b), *rest = self.offsets_2d
            xp.copyto(y, blocks[:, :, :, a, :, b])
            for a, b in rest:
                y += blocks[:, :, :, a, :, b]
            y *= 1.0 / len(self.offsets_2d)
            return
        ph, pw = self.size
        win = self.windows[:n]
        win.reshape(*win.shape[:4], ph, pw)[...] = blocks.transpose(0, 1, 2, 4, 3, 5)
        xp.argmax(win, axis=-1, out=self.argmax[:n])
        xp.max(win, axis=-1, out=y)

    def backward(self, grad_y, grad_x) -> None:
        xp, n = self.xp, grad_y.shape[0]
        blocks = self._blocks(grad_x)
        if self.mode == "average":
            scaled = self.scaled[:n]
            xp.multiply(grad_y, 1.0 / len(self.offsets_2d), out=scaled)
            for a, b in self.offsets_2d:
                blocks[:, :, :, a, :, b] += scaled
            return
        ph, pw = self.size
        hits, spread = self.hits[:n], self.spread[:n]
        xp.equal(self.argmax[:n, ..., None], self.offsets, out=hits)
        xp.multiply(hits, grad_y[..., None], out=spread)
        blocks += spread.reshape(*spread.shape[:4], ph, pw).transpose(0, 1, 2, 4, 3, 5)
