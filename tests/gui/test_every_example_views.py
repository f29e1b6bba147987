"""Every example, opened and run in the real window: it runs, and the docks on screen are
exactly the views its nodes declare that have something to show, each with data, legends
naming node titles; nothing falls through to the generic "Other values" dock.

Each run is one epoch (a few cut to a smaller size) and one window serves every example, as a
user opens one after another (so each also checks that another graph resets the docks); the
MNIST examples read a tiny IDX file written here.
"""

from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui.plots.curve_view import CurveViewDock
from tests.example_runs import EPOCHS, EXAMPLES, NAMES, shrink

WAIT_MS = 60_000

TWO_D = {"xor_mlp", "spirals_mlp", "mcculloch_and", "mcculloch_or", "mcculloch_line"}
EMPTY = {  # example -> declared views that rightly get no data in it, and why
    "mcculloch_line": {"Truth table"},  # points on a line, not a truth table
    "mcculloch_not": {"Separating line"},  # one input: no plane to draw
    "som_ring": {"Prototypes"},  # 2-D data: the lattice shows the prototypes
    "som_uniform": {"Prototypes"},
    "spiking_delays": {"Mean weight (STDP)"},  # fixed weights (no STDP)
    "spiking_network": {"Mean weight (STDP)", "Weights"},  # and 400 x 400 is too large
    "dbn_letters_random_init": {"Pretraining error", "Pretraining layer"},  # no pretraining
    "stacked_pretrained_classifier_random_init": {"Pretraining reconstruction"},
}


def expected_empty(name: str, graph) -> set:
    """Declared views with nothing to show in this example."""
    empty = set(EMPTY.get(name, ()))
    if name not in TWO_D:
        empty.add("Decision regions")  # drawn for 2-D inputs only
    if not any(node.params.get("l1") or node.params.get("l2") for node in graph.nodes.values()):
        empty.add("Weight penalties")  # no regularised layer
    losses = [node for node in graph.nodes.values() if "report_accuracy" in node.params]
    if losses and not any(node.params["report_accuracy"] for node in losses):
        empty.add("Accuracy")  # regression or reconstruction: its losses report none
    return empty


@pytest.fixture(autouse=True)
def collect_garbage_on_the_gui_thread():
    """As conftest's, but one collection for the module (shared_window's end), not two
    full collections per example: cyclic GC stays off, so never on a session's thread."""
    gc.disable()
    yield


@pytest.fixture(scope="module")
def shared_window(qapp, registry, tmp_path_factory):
    """One editor window for the module, with private settings (opening is what is tested)."""
    from gui.main_window import MainWindow
    private = tmp_path_factory.mktemp("settings")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DENDRITE_SETTINGS", str(private / "settings.ini"))
        patch.setenv("DENDRITE_DATA_DIR", str(private / "data"))
        window = MainWindow(registry)
        window.resize(1200, 800)
        window.show()
        gc.disable()
        yield window
        window.undo_stack.set_clean()
        window.close()
        gc.collect()
        gc.enable()


def idle(controller) -> bool:
    return controller.state.value == "idle" and not controller.timer.isActive()


@pytest.mark.parametrize("name", NAMES)
def test_every_example_runs_and_shows_exactly_its_declared_views_with_data(
        qtbot, shared_window, tmp_path, monkeypatch, name):
    window = shared_window
    monkeypatch.chdir(tmp_path)  # runs are recorded under ./runs
    window.undo_stack.set_clean()  # the previous example's smaller settings: no prompt
    assert window.files.open(str(EXAMPLES / f"{name}.dgraph"), ask=False)
    graph = window.graph
    shrink(name, graph, tmp_path)
    controller = window.run_controller
    controller.run_bar.epochs_spin.setValue(EPOCHS.get(name, 1))
    QTest.mouseClick(controller.run_bar.button(controller.run_bar.start_action),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(controller), timeout=WAIT_MS)
    assert controller.last_failure is None and controller.last_finish is not None, \
        window.statusBar().currentMessage()

    plots = controller.plots
    declared = {planned.view.title for planned in plots.plan.views}
    shown = {dock.view.title for dock in plots.shown()}
    other = plots.dock("Other values")
    assert other is None or not other.has_data, sorted(other.curves.series)
    assert shown == declared - expected_empty(name, graph), name
    for dock in plots.all:
        if dock.has_data:  # on screen (a column or a tab), drawn
            assert not dock.isHidden() and not dock.pending, dock.view.title
        else:  # nothing empty on screen
            assert dock.isHidden(), dock.view.title
    ids = {node_id for node_id, node in graph.nodes.items() if node.label != node_id}
    for dock in plots.shown():  # curves are named by node title, never by id
        if isinstance(dock, CurveViewDock):
            assert not ids & set(dock.legend_entries()), (dock.view.title,
                                                          dock.legend_entries())
