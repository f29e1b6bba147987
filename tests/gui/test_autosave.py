"""Autosave shortly after each edit, in the background; a killed editor loses at most the last
few seconds of work (a real subprocess killed with SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from graph import commands
from graph.fileio import load_graph
from tests.gui.conftest import xor_graph

ROOT = Path(__file__).resolve().parents[2]


def test_an_edit_is_written_after_a_short_quiet_time(window, qtbot, registry):
    window.set_graph(xor_graph(), None)
    saver = window.files.autosaver
    saver.delay_ms = 150
    path = window.files.recovery_path
    window.undo_stack.push(commands.SetParam("hidden", "units", 9))
    assert saver.is_scheduled() and not path.exists()  # not at once: edits come in bursts
    with qtbot.waitSignal(saver.written, timeout=5000):
        pass
    saver.wait()
    assert load_graph(path, registry).nodes["hidden"].params["units"] == 9


def test_continuous_edits_cannot_postpone_the_write(window, qtbot, registry):
    window.set_graph(xor_graph(), None)
    saver = window.files.autosaver
    saver.delay_ms, saver.max_wait_ms = 300, 600
    path = window.files.recovery_path
    start = time.monotonic()
    step = 0
    while not path.exists() and time.monotonic() - start < 5:
        step += 1  # one edit every 50 ms, never 300 ms quiet
        window.undo_stack.push(commands.MoveNode("hidden", (float(step), 0.0)))
        qtbot.wait(50)
    assert path.exists() and time.monotonic() - start < 2.0


def test_saving_or_a_clean_stack_writes_nothing_later(window, qtbot, tmp_path, monkeypatch):
    window.set_graph(xor_graph(), None)
    saver = window.files.autosaver
    saver.delay_ms = 100
    window.undo_stack.push(commands.SetParam("hidden", "units", 9))
    assert saver.is_scheduled()
    from PySide6.QtWidgets import QFileDialog
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "saved.dgraph"), ""))
    window.actions_by_name["save"].trigger()  # saving drops the pending autosave
    assert not saver.is_scheduled()
    qtbot.wait(300)
    assert not window.files.recovery_path.exists()


CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from graph import commands
    from gui.main_window import MainWindow
    from plugins import default_registry
    from tests.gui.conftest import xor_graph
    window = MainWindow(default_registry())
    window.set_graph(xor_graph(), None)
    count = 0

    def edit():
        global count
        count += 1
        window.undo_stack.push(commands.MoveNode("hidden", (float(count), 0.0)))
        print(count, time.time(), flush=True)

    timer = QTimer()
    timer.timeout.connect(edit)
    timer.start(100)
    app.exec()
""")


@pytest.mark.slow
def test_sigkill_loses_at_most_five_seconds_of_edits(tmp_path, registry):
    """An editor moving a node every 0.1 s is killed with SIGKILL after ~7 s of edits; the
    recovery file holds every edit made more than 5 s before the kill."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               DENDRITE_DATA_DIR=str(tmp_path / "data"),
               DENDRITE_SETTINGS=str(tmp_path / "settings.ini"))
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=str(ROOT))], env=env,
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    made = {}
    try:
        for line in child.stdout:
            count, stamp = line.split()
            made[int(count)] = float(stamp)
            if int(count) >= 70:
                break
    finally:
        killed_at = time.time()
        child.send_signal(signal.SIGKILL)
        rest, errors = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, errors
    for line in rest.splitlines():
        count, stamp = line.split()
        made[int(count)] = float(stamp)
    assert len(made) >= 70, errors
    recovered = load_graph(tmp_path / "data" / "recovery.dgraph", registry)
    saved = int(recovered.nodes["hidden"].position[0])
    assert saved >= 1
    first_lost = made.get(saved + 1)
    lost_seconds = killed_at - first_lost if first_lost is not None else 0.0
    print(f"\nkilled after {len(made)} edits; the recovery file holds {saved}; "
          f"{lost_seconds:.1f} s of edits lost")
    assert lost_seconds <= 5.0, (saved, len(made), lost_seconds)
