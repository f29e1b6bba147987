"""The run's speed control: a steps-per-second cap, off by default, changed while running."""

from __future__ import annotations

import time

from engines.compiler import compile_graph
from engines.session import Session
from tests.engines.graphs import xor_mlp

TIMEOUT = 30.0


def _steps_in(program, seconds: float) -> int:
    began = program.phase.step
    time.sleep(seconds)
    return program.phase.step - began


def test_a_capped_run_keeps_to_its_rate_and_the_cap_can_be_lifted(registry):
    program = compile_graph(xor_mlp(), registry)
    session = Session(program, epochs=10**6)
    assert session.max_steps_per_s == 0  # off by default
    session.set_speed(20)
    session.start()
    time.sleep(0.2)
    capped = _steps_in(program, 1.0)
    assert 12 <= capped <= 22  # 20 a second, less if the shared CPU is slow to wake
    session.set_speed(0)
    free = _steps_in(program, 0.5)
    assert free > 10 * capped
    session.stop()
    assert session.join(TIMEOUT) and session.state == "stopped"


def test_pause_and_stop_answer_at_once_while_paced(registry):
    program = compile_graph(xor_mlp(), registry)
    session = Session(program, epochs=10**6)
    session.set_speed(0.5)  # one step every two seconds
    session.start()
    time.sleep(0.1)
    began = time.perf_counter()
    session.pause()
    assert session.wait_idle(TIMEOUT) and time.perf_counter() - began < 0.5
    session.stop()
    assert session.join(TIMEOUT) and time.perf_counter() - began < 1.0
