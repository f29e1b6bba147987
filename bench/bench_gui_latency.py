"""GUI responsiveness while training with every plot live (not run by CI).

Trains examples/digits_mlp.dgraph (early stopping removed so every run does the same work)
in the real MainWindow and measures:
  * event-loop latency: every 20 ms a zero-delay QTimer.singleShot is posted and the time
    until it fires is recorded (p50 / p99 / max; target p99 < 50 ms);
  * the longest single drain of session events (the GUI thread's work per tick);
  * training throughput in samples/s with plots live vs the same Session headless as
    `main.py run` runs it (worker thread, run record written, no window), interleaved so
    machine noise hits both alike.

    .venv/bin/python bench/bench_gui_latency.py [--epochs 600] [--repeats 3]
Runs offscreen unless DISPLAY is set (use xvfb-run -a for a real X server).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

EXAMPLE = ROOT / "examples" / "digits_mlp.dgraph"
PROBE_INTERVAL_MS = 20


def load_workload(registry):
    from graph.fileio import load_graph
    graph = load_graph(EXAMPLE, registry)
    if "stop" in graph.nodes:
        graph.remove_node("stop")  # a fixed number of epochs, the same in both modes
    return graph


def samples_per_second(session, seconds: float) -> float:
    n_train = session.program.feeds[0].n_train
    return len(session.history) * n_train / seconds


def headless_run(graph, registry, epochs: int) -> float:
    """The headless command's path (engines/headless.py): a Session that writes its run
    record (metrics, TensorBoard events), as `main.py run` and the window both do."""
    from engines.compiler import compile_graph
    from engines.records import RunRecorder
    from engines.session import Session
    program = compile_graph(graph, registry, seed=0)
    recorder = RunRecorder("runs", graph, EXAMPLE)
    session = Session(program, epochs, observers=[recorder.observe])
    began = time.perf_counter()
    session.start()
    session.join()
    seconds = time.perf_counter() - began
    recorder.finish(program, engine="numpy", seed=0, epochs=epochs, history=session.history)
    assert session.state == "finished", session.state
    return samples_per_second(session, seconds)


def gui_run(app, window, epochs: int) -> dict:
    """Train from the run bar with all docks live; returns throughput and latencies."""
    from PySide6.QtCore import QEventLoop, QTimer
    controller = window.run_controller
    controller.run_bar.epochs_spin.setValue(epochs)
    latencies: list[float] = []
    drains: list[float] = []

    def probe():
        posted = time.perf_counter()
        QTimer.singleShot(0, lambda: latencies.append(time.perf_counter() - posted))

    original_drain = controller.drain

    def timed_drain():
        began = time.perf_counter()
        original_drain()
        drains.append(time.perf_counter() - began)

    controller.timer.timeout.disconnect()
    controller.timer.timeout.connect(timed_drain)
    ticker = QTimer()
    ticker.setInterval(PROBE_INTERVAL_MS)
    ticker.timeout.connect(probe)
    ticker.start()
    loop = QEventLoop()
    controller.run_ended.connect(loop.quit)
    began, cpu_began = time.perf_counter(), time.thread_time()
    assert controller.start(), window.statusBar().currentMessage()
    session = controller.session
    loop.exec()  # the event loop as the app runs it: waiting in the OS between events
    seconds = time.perf_counter() - began
    gui_cpu = time.thread_time() - cpu_began
    controller.run_ended.disconnect(loop.quit)
    while controller.timer.isActive():
        app.processEvents()
    ticker.stop()
    controller.timer.timeout.disconnect()
    controller.timer.timeout.connect(original_drain)
    assert controller.last_finish is not None, controller.last_failure
    return {"samples_per_s": samples_per_second(session, seconds), "latencies": latencies,
            "gui_cpu_share": gui_cpu / seconds,
            "drains": drains, "curve_points": len(
                controller.plots.dock("Error history").curves.series["train/loss"])}


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    os.chdir(tempfile.mkdtemp(prefix="dendrite-bench-"))  # run records go here
    os.environ.setdefault("DENDRITE_SETTINGS", str(Path.cwd() / "settings.ini"))
    os.environ.setdefault("DENDRITE_DATA_DIR", str(Path.cwd() / "data"))
    from gui.main_window import MainWindow
    from plugins import default_registry
    registry = default_registry()
    window = MainWindow(registry)
    window.set_graph(load_workload(registry), None)
    window.resize(1400, 900)
    window.show()
    for _ in range(20):
        app.processEvents()

    headless, gui, latencies, drains = [], [], [], []
    for repeat in range(args.repeats):
        # back-to-back pairs, alternating which goes first, so load from other processes on a
        # shared machine hits both sides of each pair alike
        if repeat % 2:
            result = gui_run(app, window, args.epochs)
            headless.append(headless_run(load_workload(registry), registry, args.epochs))
        else:
            headless.append(headless_run(load_workload(registry), registry, args.epochs))
            result = gui_run(app, window, args.epochs)
        gui.append(result["samples_per_s"])
        latencies += result["latencies"]
        drains += result["drains"]
        print(f"pair {repeat + 1}: headless {headless[-1]:,.0f} samples/s, "
              f"GUI {gui[-1]:,.0f} samples/s, {result['curve_points']} loss points, GUI thread "
              f"busy {100 * result['gui_cpu_share']:.1f}% of the run")
    ms = [1000 * v for v in latencies]
    drain_ms = [1000 * v for v in drains]
    ratios = sorted(g / h for g, h in zip(gui, headless))
    print(f"\nworkload: {EXAMPLE.name} without early stopping, {args.epochs} epochs x "
          f"{args.repeats}, platform {app.platformName()}")
    print(f"event-loop latency over {len(ms)} probes: p50 {percentile(ms, 50):.2f} ms, "
          f"p99 {percentile(ms, 99):.2f} ms, max {max(ms):.2f} ms (target p99 < 50 ms)")
    print(f"drain per tick: p50 {percentile(drain_ms, 50):.2f} ms, "
          f"p99 {percentile(drain_ms, 99):.2f} ms, max {max(drain_ms):.2f} ms")
    print(f"throughput (median): headless {statistics.median(headless):,.0f} samples/s, "
          f"GUI with plots {statistics.median(gui):,.0f} samples/s")
    print(f"GUI / headless per pair: median {statistics.median(ratios):.3f} "
          f"(range {ratios[0]:.3f} .. {ratios[-1]:.3f}; target >= 0.95)")
    window.undo_stack.set_clean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
