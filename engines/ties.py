"""Weight ties compiled: one parameter buffer read by several nodes, gradients summed into it.

The node that owns a parameter (the tie's root) gets the real Buffer; every node tied to it
gets a TiedBuffer whose `value` is the owner's (transposed for a transposed tie) and whose
`grad` is its own. Builders stay unchanged: each overwrites its own grad as usual, and one
reduction step after the whole backward pass adds every tied grad into the owner's. Reading
the owner's arrays at call time keeps this right after optimizers re-point them at their
flat buffers.
"""

from __future__ import annotations

from engines.program import Buffer


class TiedBuffer(Buffer):
    """A view of another node's parameter: shared value, private gradient."""

    __slots__ = ("source", "transpose")

    def __init__(self, name: str, source: Buffer, transpose: bool, node_id: str, xp):
        self.source = source
        self.transpose = transpose
        self.name = name
        self.node_id = node_id
        self.batched = False
        self.grad_storage = xp.zeros(self.value.shape, dtype=source.value.dtype)
        self.grad = self.grad_storage
        self.requires_grad = True

    @property
    def value(self):
        return self.source.value.T if self.transpose else self.source.value

    @value.setter
    def value(self, _array):
        raise AttributeError(f"{self.name} is a tied view; set the weights of "
                             f"{self.source.name}.")

    @property
    def storage(self):
        return self.value

    def set_rows(self, n: int) -> None:  # never batched
        pass

    def add_grad_to_source(self) -> None:
        self.source.grad += self.grad.T if self.transpose else self.grad
