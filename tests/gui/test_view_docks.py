"""View docks built from spec declarations: plan, routing, labels, axes, images, export, and
every example's events landing in its declared docks (and nowhere else)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMainWindow

from engines.compiler import compile_graph
from engines.events import Image, Points, Scalar, Text, Trace
from engines.session import Session
from graph.fileio import load_graph
from graph.model import Graph, Node
from graph.registry import Registry
from graph.spec import NodeSpec
from graph.views import Axis, View, ViewKind
from gui.plots.plan import ViewPlan
from gui.plots.view_docks import ViewDocks

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _registry_with(*specs) -> Registry:
    registry = Registry()
    for spec in specs:
        registry.register(spec)
    return registry


CURVES = View(ViewKind.CURVES, "Signals", ("sig/{node}",), y=Axis("volts", "V", range=(-1, 1)))
PAIR = View(ViewKind.CURVES, "Loss", ("train/loss", "val/loss"), y=Axis("loss", log=True))
PICTURE = View(ViewKind.IMAGE, "Picture", ("pic/{node}",))
SPEC = NodeSpec("t.node", "Node", "Test", "doc", views=(CURVES, PAIR, PICTURE))


def _graph(*ids_titles) -> Graph:
    graph = Graph("g")
    for node_id, title in ids_titles:
        graph.add_node(Node(node_id, "t.node", {}, (0, 0), title))
    return graph


def test_views_of_several_nodes_share_one_dock_and_label_curves_by_title():
    plan = ViewPlan.of(_graph(("n1", "hidden"), ("n2", "output")), _registry_with(SPEC))
    assert [v.view.title for v in plan.views] == ["Signals", "Loss", "Picture"]
    assert [(p.view.title, label) for p, label in plan.route("sig/n2")] == [("Signals",
                                                                            "output")]
    assert [label for _p, label in plan.route("train/loss")] == ["train"]
    assert [label for _p, label in plan.route("val/loss")] == ["val"]
    # a tag no view declares goes to the one generic dock, with node ids shown as titles
    assert [(p.view.title, label) for p, label in plan.route("extra/n1")] == [
        ("Other values", "extra/hidden")]
    # images never fall back to a curve dock
    assert plan.route("extra/n1", frozenset({ViewKind.IMAGE})) == []


def test_a_second_loss_nodes_metrics_join_the_first_ones_view_named_by_title():
    # the program keys the first node's 'loss' plainly and the second's as 'n2.loss'
    keys = {("n1", "loss"): "loss", ("n2", "loss"): "n2.loss"}
    plan = ViewPlan.of(_graph(("n1", "hidden"), ("n2", "output")), _registry_with(SPEC), keys)
    routed = {tag: [(p.view.title, label) for p, label in plan.route(tag)]
              for tag in ("train/loss", "val/loss", "train/n2.loss", "val/n2.loss")}
    assert routed == {"train/loss": [("Loss", "hidden train")],
                      "val/loss": [("Loss", "hidden val")],
                      "train/n2.loss": [("Loss", "output train")],
                      "val/n2.loss": [("Loss", "output val")]}
    # a recorded run has only the tags: '<node>.<name>' names its node, the plain one goes
    # to the first node declaring it
    guessed = ViewPlan.of(_graph(("n1", "hidden"), ("n2", "output")), _registry_with(SPEC))
    assert guessed.guess_metric_keys(["train/loss", "val/n2.loss", "energy"]) == keys
    # a tag with a dot that names no node is no per-node metric
    assert [label for _p, label in plan.route("train/x.loss")] == ["train/x.loss"]


def test_each_loss_node_keeps_one_colour_for_train_and_val(docks):
    docks.plan.set_metric_keys({("n1", "loss"): "loss", ("n2", "loss"): "n2.loss"})
    docks.scalar_batch({tag: ([1, 2], [1.0, 0.5]) for tag in
                        ("train/loss", "val/loss", "train/n2.loss", "val/n2.loss")})
    docks.refresh()
    dock = docks.dock("Loss")
    pens = {tag: dock.curve(tag).opts["pen"] for tag in dock.curves.curves}
    colour = {tag: pen.color().name() for tag, pen in pens.items()}
    assert colour["train/loss"] == colour["val/loss"] != colour["train/n2.loss"]
    assert colour["train/n2.loss"] == colour["val/n2.loss"]
    assert pens["val/n2.loss"].style() != pens["train/n2.loss"].style()  # val dashed
    assert dock.legend_entries() == ["hidden train", "hidden val", "output train",
                                     "output val"]
    assert docks.dock("Other values") is None or not docks.dock("Other values").has_data


@pytest.fixture
def main_window(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def docks(main_window):
    docks = ViewDocks(main_window)
    docks.add_to(main_window)
    docks.prepare(_graph(("n1", "hidden"), ("n2", "output")), _registry_with(SPEC))
    return docks


def test_a_dock_is_shown_only_once_its_data_arrives(docks, qtbot):
    signals, loss = docks.dock("Signals"), docks.dock("Loss")
    assert signals.isHidden() and loss.isHidden() and docks.dock("Other values").isHidden()
    docks.scalar_batch({"sig/n1": ([1, 2], [0.1, 0.2]), "sig/n2": ([1, 2], [0.5, -0.5])})
    docks.refresh()
    assert not signals.isHidden() and loss.isHidden()
    assert signals.legend_entries() == ["hidden", "output"]
    legend = signals.legend.text()
    assert "hidden" in legend and "output" in legend and "#" in legend  # colour swatches
    assert list(signals.curve("sig/n2").getData()[1]) == [0.5, -0.5]
    # the declared range and unit: fixed axis, label "volts (V)", no SI rescaling
    view_range = signals.plot.getPlotItem().viewRange()[1]
    assert view_range[0] == pytest.approx(-1.04, abs=0.02)
    assert view_range[1] == pytest.approx(1.04, abs=0.02)
    axis = signals.plot.getAxis("left")
    assert axis.labelText == "volts (V)" and not axis.autoSIPrefix
    assert docks.dock("Loss").plot.getPlotItem().ctrl.logYCheck.isChecked()
    assert [d.view.title for d in docks.shown()] == ["Signals"]


def test_the_step_axis_keeps_up_with_the_run(docks):
    docks.scalar("train/loss", 10, 1.0)
    docks.scalar("train/loss", 20, 0.5)
    docks.progress(400)
    docks.refresh()
    low, high = docks.dock("Loss").plot.getPlotItem().viewRange()[0]
    assert high >= 400 and low <= 10


def test_a_one_by_one_image_shows_its_value_and_a_colour_bar(docks):
    docks.image("pic/n1", np.array([[-2.5]]))
    docks.refresh()
    dock = docks.dock("Picture")
    panel = dock.panels["pic/n1"]
    assert panel.bar is not None and panel.bar.levels() == pytest.approx((-3.0, -2.0))
    assert [t.toPlainText() for t in panel.texts if t.isVisible()] == ["-2.5"]
    assert panel.plot.titleLabel.text == "hidden"


def test_unclaimed_scalars_show_in_the_generic_dock(docks):
    docks.scalar("mystery", 1, 3.0)
    docks.refresh()
    other = docks.dock("Other values")
    assert not other.isHidden() and other.legend_entries() == ["mystery"]


@pytest.mark.parametrize("suffix", [".png", ".svg", ".csv"])
def test_any_plot_exports(docks, tmp_path, suffix):
    docks.scalar_batch({"sig/n1": ([1, 2, 3], [0.1, 0.2, 0.3])})
    docks.image("pic/n2", np.arange(12.0).reshape(3, 4))
    docks.refresh()
    for title in ("Signals", "Picture"):
        path = docks.dock(title).export(tmp_path / f"{title}{suffix}")
        data = path.read_bytes()
        assert len(data) > 40
        if suffix == ".png":
            assert data[:4] == b"\x89PNG"
        elif suffix == ".svg":
            assert b"<svg" in data
        elif title == "Signals":
            assert b"hidden,sig/n1,3.0,0.3" in data.replace(b"\r", b"")
        else:
            assert b"0,1,2,3" in data


def test_another_graph_removes_docks_it_does_not_declare(docks, main_window):
    other = NodeSpec("t.other", "Other", "Test", "doc", views=(PICTURE,))
    graph = Graph("h")
    graph.add_node(Node("p", "t.other", {}, (0, 0), "pic"))
    docks.prepare(graph, _registry_with(other))
    assert {d.view.title for d in docks.all} == {"Picture", "Other values"}


def _run_events(path: Path, registry, epochs: int) -> list:
    graph = load_graph(path, registry)
    program = compile_graph(graph, registry, seed=0)
    return Session(program, epochs).run(), graph


def _feed(docks, events) -> None:
    for event in events:
        if isinstance(event, Scalar):
            docks.scalar(event.tag, event.step, event.value)
        elif isinstance(event, Image):
            docks.image(event.tag, event.array, event.extent)
        elif isinstance(event, Trace):
            docks.trace(event)
        elif isinstance(event, Points):
            docks.points(event)
        elif isinstance(event, Text):
            docks.text(event)


EXPECTED = {  # example -> docks that must receive data in a short headless run
    "xor_mlp": {"Error history", "Accuracy", "Gradient norms", "Weights",
                "Decision regions"},
    "digits_mlp": {"Error history", "Accuracy", "Gradient norms", "Weights",
                   "Confusion matrix", "Precision, recall, F1"},
    "hopfield_letters": {"Recall", "Energy", "Overlaps", "Recalled", "Stored patterns",
                         "Hopfield weights"},
    "rbm_digits": {"Reconstruction error", "Free energy", "RBM weights",
                   "Input | reconstruction", "Gibbs samples", "Hidden probabilities"},
    "boltzmann_encoder": {"Completion", "Correlation gap", "Boltzmann weights", "Completions"},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_fills_exactly_its_declared_docks(name, registry, main_window):
    events, graph = _run_events(EXAMPLES / f"{name}.dgraph", registry, epochs=2)
    docks = ViewDocks(main_window)
    docks.add_to(main_window)
    docks.prepare(graph, registry)
    declared = {v.view.title for v in docks.plan.views}
    _feed(docks, events)
    docks.refresh()
    shown = {d.view.title for d in docks.shown()}
    assert shown == EXPECTED[name]
    assert shown <= declared  # nothing fell through to the generic dock
    for dock in docks.shown():
        assert not dock.isHidden()


def test_the_dock_menu_exports_through_a_file_dialog(docks, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog
    docks.scalar_batch({"sig/n1": ([1, 2], [0.1, 0.2])})
    docks.refresh()
    dock = docks.dock("Signals")
    target = tmp_path / "signals.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(target), "CSV data (*.csv)"))
    action = next(a for a in dock.actions() if a.text().startswith("Export"))
    action.trigger()
    assert target.read_text(encoding="utf-8").splitlines()[0] == "curve,tag,step,volts"


def test_a_one_by_one_layer_shows_its_real_weight(registry, main_window):
    graph = load_graph(EXAMPLES / "vanishing_gradient_chain.dgraph", registry)
    program = compile_graph(graph, registry, seed=0)
    events = Session(program, 1).run()
    image = [e for e in events if isinstance(e, Image) and e.tag == "weights/w1"][-1]
    weight = float(program.peek("w1", "W")[0, 0])
    assert image.array.shape == (1, 1) and image.array[0, 0] == pytest.approx(weight)
    docks = ViewDocks(main_window)
    docks.add_to(main_window)
    docks.prepare(graph, registry)
    docks.image(image.tag, image.array)
    docks.refresh()
    panel = docks.dock("Weights").panels["weights/w1"]
    shown = [t.toPlainText() for t in panel.texts if t.isVisible()]
    assert shown == [f"{weight:.3g}"] and panel.bar is not None


def test_a_long_legend_wraps_instead_of_widening_or_clipping(docks):
    many = NodeSpec("t.many", "Many", "Test", "doc", views=(
        View(ViewKind.CURVES, "Overlaps", ("overlap/*",), y=Axis("m", range=(-1, 1))),))
    graph = Graph("m")
    graph.add_node(Node("hop", "t.many", {}, (0, 0), "memory"))
    docks.prepare(graph, _registry_with(many))
    docks.scalar_batch({f"overlap/{k}": ([1], [0.5]) for k in range(32)})
    docks.refresh()
    dock = docks.dock("Overlaps")
    assert dock.legend_entries() == [f"#{k}" for k in range(32)]
    assert dock.legend.wordWrap() and dock.minimumSizeHint().width() < 400
    assert dock.legend.text().count("&#9473;") == 2 * 32  # a swatch per curve


def test_points_of_a_view_naming_its_classes_get_a_legend(docks):
    from engines.events import Points
    gates = NodeSpec("t.gates", "Gates", "Test", "doc", views=(
        View(ViewKind.LATTICE, "Gate activations", ("gates/{node}",),
             classes=("input", "forget", "cell", "output")),
        View(ViewKind.SCATTER, "Plain", ("plain/{node}",))))
    graph = Graph("g")
    graph.add_node(Node("lstm", "t.gates", {}, (0, 0), "LSTM (32)"))
    docks.prepare(graph, _registry_with(gates))
    xy = np.array([[0, 0.5], [0, 0.2], [0, 0.7], [0, 0.4]])
    docks.points(Points("gates/lstm", 1, xy, labels=np.arange(4)))
    docks.points(Points("plain/lstm", 1, xy))
    docks.refresh()
    dock = docks.dock("Gate activations")
    assert dock.legend.isVisibleTo(dock)
    assert dock.legend_entries() == ["input", "forget", "cell", "output"]
    assert dock.legend.text().count("&#9473;") == 2 * 4  # a swatch per class
    plain = docks.dock("Plain")
    assert not plain.legend.isVisibleTo(plain) and plain.legend_entries() == []


def test_points_of_several_nodes_are_named_by_title_in_the_colour_of_each(docks):
    from engines.scan import curves
    from gui.plots.curves import PALETTE
    spec = NodeSpec("t.cell", "Cell", "Test", "doc", views=(
        View(ViewKind.LATTICE, "Gradient per step", ("grad_time/{node}",)),))
    graph = Graph("g")
    graph.add_node(Node("lstm", "t.cell", {}, (0, 0), "LSTM (32)"))
    graph.add_node(Node("rnn", "t.cell", {}, (0, 0), "SimpleRNN (32)"))
    docks.prepare(graph, _registry_with(spec))
    docks.points(curves("grad_time/lstm", 1, [0, 1, 2], [-1, -2, -3], first_label=0))
    docks.points(curves("grad_time/rnn", 1, [0, 1, 2], [-1, -4, -9], first_label=1))
    docks.refresh()
    dock = docks.dock("Gradient per step")
    assert dock.legend_entries() == ["LSTM (32)", "SimpleRNN (32)"]
    text = dock.legend.text()
    assert text.index(PALETTE[0]) < text.index("LSTM") < text.index(PALETTE[1]) < \
        text.index("SimpleRNN")


def test_a_long_strip_of_an_image_fills_its_panel_and_a_square_keeps_square_pixels(docks):
    docks.image("pic/n1", np.random.default_rng(0).random((2, 128)))
    docks.image("pic/n2", np.random.default_rng(0).random((8, 8)))
    docks.refresh()
    panels = docks.dock("Picture").panels
    assert not panels["pic/n1"].plot.getViewBox().state["aspectLocked"]
    assert panels["pic/n2"].plot.getViewBox().state["aspectLocked"]


def test_a_scatter_coloured_by_unnamed_classes_names_them_by_number(docks):
    from engines.events import Points
    spec = NodeSpec("t.scatter", "Scatter", "Test", "doc", views=(
        View(ViewKind.SCATTER, "Latent means", ("scatter/{node}",)),))
    graph = Graph("g")
    graph.add_node(Node("view", "t.scatter", {}, (0, 0), "Latent means by digit"))
    docks.prepare(graph, _registry_with(spec))
    docks.points(Points("scatter/view", 1, np.zeros((4, 2)), labels=np.array([3, 0, 3, 7])))
    docks.refresh()
    dock = docks.dock("Latent means")
    from gui.plots.curves import PALETTE
    text = dock.legend.text()
    assert dock.legend.isVisibleTo(dock) and "class 0" in text and "class 7" in text
    assert text.index(PALETTE[3]) < text.index("class 3")


def test_a_heatmap_centres_cell_k_on_tick_k(main_window):
    from graph.views import Axis
    spec = NodeSpec("t.cm", "CM", "Test", "doc", views=(
        View(ViewKind.HEATMAP, "Confusion", ("cm/{node}",), y=Axis("true class"),
             x=Axis("predicted class")),))
    graph = Graph("g")
    graph.add_node(Node("loss", "t.cm", {}, (0, 0), "Softmax cross-entropy"))
    docks = ViewDocks(main_window)
    docks.add_to(main_window)
    docks.prepare(graph, _registry_with(spec))
    docks.image("cm/loss", np.eye(10, dtype=np.float32))
    docks.refresh()
    rect = docks.dock("Confusion").panels["cm/loss"].image.mapRectToParent(
        docks.dock("Confusion").panels["cm/loss"].image.boundingRect())
    assert (rect.left(), rect.top(), rect.right(), rect.bottom()) == (-0.5, -0.5, 9.5, 9.5)


def test_an_lstm_and_a_gru_in_one_graph_get_a_gate_dock_and_legend_each(docks, registry):
    graph = Graph("mixed")
    graph.add_node(Node("lstm", "recurrent.lstm", {}, (0, 0), "LSTM (8)"))
    graph.add_node(Node("gru", "recurrent.gru", {}, (0, 0), "GRU (8)"))
    docks.prepare(graph, registry)
    xy = np.array([[0, 0.5], [0, 0.2], [0, 0.7], [0, 0.4]])
    docks.points(Points("gates/lstm", 1, xy, labels=np.arange(4)))
    docks.points(Points("gates/gru", 1, xy[:3], labels=np.arange(3)))
    docks.refresh()
    assert docks.dock("LSTM gate activations").legend_entries() == ["input", "forget", "cell",
                                                                    "output"]
    assert docks.dock("GRU gate activations").legend_entries() == ["reset", "update", "new"]
