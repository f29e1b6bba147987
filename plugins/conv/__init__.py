"""Convolutional networks: Conv2D (with connection tables), transposed convolution,
subsampling, Flatten and Reshape, on image tensors (batch, channels, height, width); siamese
networks (digit pairs, contrastive loss) whose twins share weights through graph ties."""

MODULES = ["layers", "shape", "siamese", "export_rules"]
