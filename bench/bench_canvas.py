"""Canvas frame times: a 300-node, 400-wire graph, panned and zoomed in the real editor window.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_canvas.py [--frames 200]
        [--nodes 500] [--open-nodes 2000]

--nodes sizes the graph (15 nodes and 20 wires a row; 500 gives 510 nodes and 680 wires).
--open-nodes also times opening a saved graph of that many nodes in the window (read the
file, build the scene, first validation), as File > Open does.

Each frame scrolls (or scales) the view, then repaints the viewport synchronously
(`viewport().repaint()`), so the time is what one frame of pan or zoom costs the GUI thread.
Also times one parameter edit end to end (command, shape inference, validation, card refresh).
Prints p50 / p99 in milliseconds."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROW = ["core.dense", "core.add", "core.dense", "core.add", "core.dense", "core.add",
       "core.dense", "core.add", "core.dense", "core.add", "core.dense", "core.relu",
       "core.dense", "core.mse"]


def big_graph(rows: int = 20):
    """rows x 15 nodes: dataset, a chain with 5 skip connections into Add nodes, an MSE loss
    on the dataset's targets. 20 rows give 300 nodes and 400 wires."""
    from graph.model import Edge, Graph, Node
    graph = Graph("bench")
    for row in range(rows):
        y = row * 190.0
        data = f"data{row}"
        graph.add_node(Node(data, "core.dataset", {}, (0.0, y)))
        chain = [data]
        for column, type_id in enumerate(ROW, start=1):
            node_id = f"n{row}_{column}"
            params = {"units": 1} if column == len(ROW) - 1 else {}
            graph.add_node(Node(node_id, type_id, params, (column * 230.0, y)))
            previous = chain[-1]
            if type_id == "core.add":
                graph.connect(Edge(previous, "y", node_id, "a"))
                skip = chain[-2] if chain[-2] != data else previous  # same width as 'a'
                graph.connect(Edge(skip, "y", node_id, "b"))
            elif type_id == "core.mse":
                graph.connect(Edge(previous, "y", node_id, "pred"))
                graph.connect(Edge(data, "y", node_id, "target"))
            else:
                graph.connect(Edge(previous, "x" if previous == data else "y", node_id, "x"))
            chain.append(node_id)
    return graph


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return statistics.median(ordered), p99


def time_frames(app, view, frames: int, step) -> list[float]:
    times = []
    for index in range(frames):
        start = time.perf_counter()
        step(index)
        view.viewport().repaint()
        app.processEvents()
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def time_opening(app, window, registry, nodes: int) -> None:
    """Save a graph of about `nodes` nodes, then open it in the window as File > Open does:
    read and check the file, build every card and wire, validate; three tries."""
    import tempfile

    from graph.fileio import save_graph
    graph = big_graph(max(1, -(-nodes // (len(ROW) + 1))))
    path = Path(tempfile.mkdtemp()) / "open_bench.dgraph"
    save_graph(graph, path)
    times = []
    for _ in range(3):
        window.set_graph(big_graph(1), None)
        app.processEvents()
        start = time.perf_counter()
        assert window.files.open(str(path), ask=False)  # builds, validates and lays out
        app.processEvents()
        times.append(time.perf_counter() - start)
    print(f"open a {len(graph.nodes)}-node, {len(graph.edges)}-wire graph: "
          f"{min(times):.2f} s best, {max(times):.2f} s worst of 3")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=300)
    parser.add_argument("--open-nodes", type=int, default=0)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    import tempfile
    os.environ.setdefault("DENDRITE_SETTINGS", str(Path(tempfile.mkdtemp()) / "bench.ini"))
    from gui.main_window import MainWindow
    from plugins import default_registry

    registry = default_registry()
    window = MainWindow(registry)
    graph = big_graph(max(1, -(-args.nodes // (len(ROW) + 1))))
    start = time.perf_counter()
    window.set_graph(graph, None)
    load_ms = (time.perf_counter() - start) * 1000.0
    from PySide6.QtWidgets import QDockWidget
    for dock in window.findChildren(QDockWidget):
        dock.hide()  # measure the canvas at the size of the window, not squeezed by docks
    window.resize(1400, 900)
    window.show()
    for _ in range(5):
        app.processEvents()
    view = window.canvas
    window.scene.flush()
    assert not window.scene.problems, window.scene.problems[:3]
    print(f"graph: {len(graph.nodes)} nodes, {len(graph.edges)} wires (valid); "
          f"viewport {view.viewport().width()}x{view.viewport().height()}; "
          f"build scene {load_ms:.0f} ms")

    def pan(index):
        direction = 1 if (index // 25) % 2 == 0 else -1
        view.pan_by(12 * direction, 7 * direction)

    def zoom(index):
        view.zoom_by(1.1 if (index // 10) % 2 == 0 else 1 / 1.1)

    results = {}
    view.fit_to_view()
    results["pan, whole graph in view"] = time_frames(app, view, args.frames, pan)
    results["zoom in/out, whole graph"] = time_frames(app, view, args.frames, zoom)
    view.resetTransform()
    middle = graph.nodes[f"n{len(graph.nodes) // (len(ROW) + 1) // 2}_7"].position
    view.centerOn(middle[0], middle[1])
    results["pan, zoom 1.0 (~25 cards)"] = time_frames(app, view, args.frames, pan)
    results["zoom in/out around 1.0"] = time_frames(app, view, args.frames, zoom)

    from graph import commands
    edit_times = []
    for index in range(20):
        start = time.perf_counter()
        window.undo_stack.push(commands.SetParam("n10_1", "units", 8 + index))
        window.scene.flush()
        edit_times.append((time.perf_counter() - start) * 1000.0)
    results["edit param + re-validate"] = edit_times

    print(f"{'frame kind':<30} {'p50 ms':>8} {'p99 ms':>8}")
    for name, samples in results.items():
        p50, p99 = percentiles(samples)
        print(f"{name:<30} {p50:8.2f} {p99:8.2f}")
    if args.open_nodes:
        time_opening(app, window, registry, args.open_nodes)
    window.undo_stack.set_clean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
