"""Convolutional networks: Conv2D (with connection tables), transposed convolution,
subsampling, Flatten and Reshape, on image tensors (batch, channels, height, width)."""

MODULES = ["layers", "shape"]
