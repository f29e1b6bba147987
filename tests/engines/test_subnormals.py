"""Training threads flush subnormal floats to zero (x86-64 Linux), and give the setting back."""

from __future__ import annotations

import numpy as np
import pytest

from engines import subnormals
from engines.compiler import compile_graph
from engines.session import Session
from tests.engines.graphs import xor_mlp

pytestmark = pytest.mark.skipif(not subnormals.supported(),
                                reason="flushing needs x86-64 Linux (the CI machine is one)")

SMALL = np.float32(1e-38)  # half of it is subnormal in float32


def half_of_small() -> float:
    return float((np.full(64, SMALL) * np.float32(0.5))[0])


def test_flushed_zeroes_subnormals_and_restores_the_thread_setting():
    assert half_of_small() == pytest.approx(5e-39, rel=1e-6)
    with subnormals.flushed():
        assert half_of_small() == 0.0
        with subnormals.flushed():  # nested: the inner exit keeps the outer setting
            pass
        assert half_of_small() == 0.0
    assert half_of_small() == pytest.approx(5e-39, rel=1e-6)
    with pytest.raises(RuntimeError), subnormals.flushed():
        raise RuntimeError("a failing step")
    assert half_of_small() != 0.0


def test_a_session_trains_with_subnormals_flushed(registry):
    seen = []
    session = Session(compile_graph(xor_mlp(), registry, seed=0), epochs=2,
                      observers=[lambda event: seen.append(half_of_small())])
    session.run()
    assert seen and set(seen) == {0.0}
    assert half_of_small() != 0.0  # the caller's thread got its setting back
