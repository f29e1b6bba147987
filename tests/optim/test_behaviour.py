"""quickProp against the notes' formula, Newton, Levenberg-Marquardt on singular systems,
full-batch programs, the validation notes and warnings, and the per-optimizer scalars."""

import numpy as np
import pytest

from engines.compiler import CompileError, compile_graph
from engines.events import Scalar
from engines.session import Session
from graph.problems import Severity
from graph.validate import validate
from graph.views import tag_matches
from plugins.optim.bfgs import uses_limited_memory
from tests.engines.graphs import build
from tests.optim.nets import Objective, compile64, run_steps, sine_mlp
from tests.optim.objectives import FUNCTIONS, objective_graph, with_objective


def quickprop_reference(weights, grads, eta0, mu_max, rho):
    """The notes' quickProp, written out per weight with np.where: the changes dW(t), and
    how often the gradient term was off and mu was capped."""
    changes, previous_slope, previous_change = [], None, np.zeros_like(weights[0])
    switched_off = capped = 0
    for w, g in zip(weights, grads):
        slope = g + rho * w
        if previous_slope is None:
            mu = np.zeros_like(w)
        else:
            denominator = previous_slope - slope
            with np.errstate(divide="ignore", invalid="ignore"):
                beta = slope / denominator
            gamma = slope * (-previous_change) * beta
            cap = (denominator == 0) | (beta > mu_max) | (gamma < 0)
            mu = np.where(cap, mu_max, beta)
            capped += int(cap.sum())
        eta = np.where((previous_change == 0) | (-previous_change * slope > 0), eta0, 0.0)
        switched_off += int((eta == 0).sum())
        change = -eta * slope + mu * previous_change
        changes.append(change)
        previous_slope, previous_change = slope, change
    return changes, switched_off, capped


def test_quickprop_steps_match_the_notes_formula(registry):
    program = compile64(sine_mlp("optim.quickprop", lr=0.3, mu_max=1.75, weight_decay=0.01),
                        registry)
    objective = Objective(program)
    weights, grads, changes = [], [], []
    for _ in range(8):
        before = objective.weights()
        program.train_step(0)
        program.read_metrics()
        weights.append(before)
        grads.append(np.concatenate([np.array(p.grad).ravel() for p in objective.params]))
        changes.append(objective.weights() - before)
    expected, switched_off, capped = quickprop_reference(weights, grads, 0.3, 1.75, 0.01)
    assert switched_off > 0 and capped > 0  # both rules of the notes were exercised
    for step, (got, want) in enumerate(zip(changes, expected)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=f"step {step}")


def test_newton_solves_a_quadratic_in_one_step_and_rosenbrock(registry):
    extended = with_objective(registry)
    f, _ = FUNCTIONS["quadratic"]
    program = compile64(objective_graph("quadratic", [0.0] * 4, "optim.newton"), extended)
    program.train_step(0)
    w = np.array(program.params[("f", "w")].value)
    from tests.optim.objectives import QUADRATIC_A, QUADRATIC_B
    np.testing.assert_allclose(w, np.linalg.solve(QUADRATIC_A, QUADRATIC_B), rtol=1e-6)
    f, _ = FUNCTIONS["rosenbrock"]
    program = compile64(objective_graph("rosenbrock", [-1.2, 1.0], "optim.newton"), extended)
    run_steps(program, 30)
    assert f(np.array(program.params[("f", "w")].value)) < 1e-10


def linear_net(init: str, **lm):
    return build("linear", [
        ("data", "core.dataset", {"dataset": "sine", "samples": 20, "batch_size": 4}),
        ("d1", "core.dense", {"units": 3, "bias": False, "init": init}),
        ("d2", "core.dense", {"units": 1, "bias": False, "init": init}),
        ("loss", "core.mse", {}),
        ("opt", "optim.levenberg_marquardt", lm),
    ], ["data.x -> d1.x", "d1.y -> d2.x", "d2.y -> loss.pred", "data.y -> loss.target",
        "loss.loss -> opt.loss"])


def _mu_events(program, steps):
    monitor = next(m for m in program.monitors if m.node_id == "opt")
    values = []
    for _ in range(steps):
        program.train_step(0)
        program.read_metrics()
        values += [e.value for e in monitor.run(program.phase) if e.tag == "optim/opt/mu"]
    return values


def test_levenberg_marquardt_zero_jacobian_grows_mu_without_crashing(registry):
    # all weights 0 in a linear net: J = 0, so J'J + mu D is singular for every mu
    program = compile_graph(linear_net("zeros", mu=1e-3, max_tries=5, gtol=0.0), registry,
                            dtype=np.float64)
    before = program.objective()
    mus = _mu_events(program, 2)
    assert mus == pytest.approx([1e-3 * 10 ** 5, 1e-3 * 10 ** 10])
    assert all(np.all(np.array(p.value) == 0) for p in program.trainable)
    assert program.objective() >= before and np.isfinite(program.objective())
    events = Session(program, epochs=10).run()  # mu reaches its cap: the run ends, no crash
    assert str(events[-1].reason) == "converged" and program.phase.step < 10


def test_levenberg_marquardt_rank_deficient_jacobian(registry):
    # d1 d2 without a nonlinearity: scaling W1 up and W2 down changes nothing, so J'J is
    # singular; with D = I and a tiny mu every step must still be finite and never raise
    # the loss (a wild solve is rejected and mu grows; here the solves stay tame)
    program = compile_graph(linear_net("glorot_uniform", mu=1e-12, scaling="levenberg"),
                            registry, dtype=np.float64)
    program.train_step(0)
    program.read_metrics()
    start = program.objective()
    mus = _mu_events(program, 10)
    assert len(mus) == 10 and all(np.isfinite(mus))
    assert program.objective() <= start
    assert all(np.all(np.isfinite(np.array(p.value))) for p in program.trainable)


def test_levenberg_marquardt_refuses_a_loss_that_is_not_a_sum_of_squares(registry):
    graph = build("ce", [
        ("data", "core.dataset", {"dataset": "blobs", "samples": 30}),
        ("d1", "core.dense", {"units": 3}),
        ("loss", "core.softmax_cross_entropy", {}),
        ("opt", "optim.levenberg_marquardt", {}),
    ], ["data.x -> d1.x", "d1.y -> loss.pred", "data.y -> loss.target", "loss.loss -> opt.loss"])
    with pytest.raises(CompileError) as caught:
        compile_graph(graph, registry)
    assert caught.value.node_id == "opt"
    assert "sum of squares" in str(caught.value) and "Softmax cross-entropy" in str(caught.value)


@pytest.mark.parametrize("optimizer", ["optim.quickprop", "optim.conjugate_gradient",
                                       "optim.bfgs", "optim.levenberg_marquardt"])
def test_full_batch_optimizers_get_the_whole_split_in_one_step(optimizer, registry):
    program = compile_graph(sine_mlp(optimizer, samples=40), registry)
    assert program.feeds[0].batches("train") == 1
    assert program.steps_per_epoch() == 1
    assert program.load("train", 0) == 40
    notes = [p for p in validate(sine_mlp(optimizer), registry) if p.node_id == "data"]
    assert len(notes) == 1 and "whole training split" in notes[0].message
    assert notes[0].severity is Severity.NOTE  # told on the card, not a problem


def test_minibatch_optimizer_keeps_the_batch_size(registry):
    program = compile_graph(sine_mlp("core.adam", samples=40), registry)
    assert program.steps_per_epoch() == 5
    assert not [p for p in validate(sine_mlp("core.adam"), registry) if p.node_id == "data"]


def noisy_mlp(optimizer, noise_type):
    return build("noisy", [
        ("data", "core.dataset", {"dataset": "sine", "samples": 20}),
        ("d1", "core.dense", {"units": 4}),
        ("noise", noise_type, {}),
        ("d2", "core.dense", {"units": 1}),
        ("loss", "core.mse", {}),
        ("opt", optimizer, {}),
    ], ["data.x -> d1.x", "d1.y -> noise.x", "noise.y -> d2.x", "d2.y -> loss.pred",
        "data.y -> loss.target", "loss.loss -> opt.loss"])


@pytest.mark.parametrize("noise_type", ["core.dropout", "core.gaussian_noise"])
def test_line_search_on_a_stochastic_loss_warns_on_the_optimizer(noise_type, registry):
    for optimizer in ["optim.conjugate_gradient", "optim.bfgs", "optim.levenberg_marquardt"]:
        problems = [p for p in validate(noisy_mlp(optimizer, noise_type), registry)
                    if p.node_id == "opt"]
        assert len(problems) == 1 and problems[0].severity == "warning"
        assert "deterministic" in problems[0].message and "'noise'" in problems[0].message
    for optimizer in ["core.sgd", "optim.quickprop"]:
        assert not [p for p in validate(noisy_mlp(optimizer, noise_type), registry)
                    if p.node_id == "opt"]


def test_bfgs_switches_to_limited_memory_above_auto_limit(registry):
    assert not uses_limited_memory({"variant": "auto", "auto_limit": 2000}, 2000)
    assert uses_limited_memory({"variant": "auto", "auto_limit": 2000}, 2001)
    assert uses_limited_memory({"variant": "limited", "auto_limit": 2000}, 5)
    graph = sine_mlp("optim.bfgs", hidden=6, auto_limit=10)
    notes = [p for p in validate(graph, registry) if p.node_id == "opt"]
    assert len(notes) == 1 and "L-BFGS" in notes[0].message and "19 parameters" in notes[0].message
    assert notes[0].severity is Severity.NOTE
    program = compile64(graph, registry)
    losses = run_steps(program, 30)
    assert losses[-1] < 0.2 * losses[0]


@pytest.mark.parametrize("optimizer,params", [
    ("optim.quickprop", {}), ("optim.conjugate_gradient", {"beta": "fletcher_reeves"}),
    ("optim.bfgs", {}), ("optim.newton", {}), ("optim.levenberg_marquardt", {})])
def test_per_optimizer_scalars_are_emitted_and_declared(optimizer, params, registry):
    graph = sine_mlp(optimizer, hidden=4, samples=30, **params)
    program = compile_graph(graph, registry)
    for monitor in program.monitors:
        monitor.min_interval_s = 0.0
    session = Session(program, epochs=6, monitor_budget=1.0)
    events = session.run()
    tags = {e.tag for e in events if isinstance(e, Scalar) and e.tag.startswith("optim/")}
    views = registry.spec(optimizer).views
    patterns = [t for view in views for t in view.tags_for("opt") if t.startswith("optim/")]
    assert any("grad_norm/*" in view.tags for view in views)  # and the gradient norms dock
    assert len(tags) >= 2
    assert all(any(tag_matches(p, tag) for p in patterns) for tag in tags)
    assert all(any(tag_matches(p, tag) for tag in tags) for p in patterns)
    from gui.plots.plan import FALLBACK_VIEW, ViewPlan  # pure Python: the GUI's dock routing
    plan = ViewPlan.of(graph, registry)
    for tag in tags:
        routes = plan.route(tag)
        assert routes and all(planned.view is not FALLBACK_VIEW for planned, _ in routes)
    history = [h["train/loss"] for h in session.history]
    assert history[-1] < history[0]


def test_a_converged_line_search_ends_the_run_as_converged(registry):
    extended = with_objective(registry)
    graph = objective_graph("quadratic", [0.0] * 4, "optim.bfgs", gtol=1e-5)
    program = compile_graph(graph, extended, dtype=np.float64)
    events = Session(program, epochs=100).run()
    finished = events[-1]
    assert str(finished.reason) == "converged"
    assert len(program.stop_rules) == 1 and program.phase.step < 20


def test_levenberg_marquardt_refuses_a_layer_without_per_sample_gradients(registry):
    from engines.program import Step
    from graph.spec import NodeSpec, PortSpec, no_params_same_shape

    spec = NodeSpec(type_id="test.scale", title="Scale", category="Layers", doc="y = a x",
                    inputs=(PortSpec("x"),), outputs=(PortSpec("y"),),
                    infer_shapes=lambda params, shapes: (no_params_same_shape(params, shapes)[0],
                                                         {"a": (1,)}))

    def build_scale(ctx):  # a trainable layer that offers no Step.sample_grads
        x, y = ctx.input("x"), ctx.output("y")
        a = ctx.param("a", (1,), init="ones")

        def forward():
            y.value[...] = x.value * a.value

        def backward():
            a.grad[...] = (x.value * y.grad).sum()
            if x.grad is not None:
                x.grad += y.grad * a.value
        return Step(forward, backward)

    extended = with_objective(registry)
    extended.register(spec, build_scale, pack="test")
    graph = build("scaled", [
        ("data", "core.dataset", {"dataset": "sine", "samples": 20}),
        ("d1", "core.dense", {"units": 1}),
        ("scale", "test.scale", {}),
        ("loss", "core.mse", {}),
        ("opt", "optim.levenberg_marquardt", {}),
    ], ["data.x -> d1.x", "d1.y -> scale.x", "scale.y -> loss.pred", "data.y -> loss.target",
        "loss.loss -> opt.loss"])
    with pytest.raises(CompileError) as caught:
        compile_graph(graph, extended)
    assert caught.value.node_id == "opt"
    assert "per-sample gradients" in str(caught.value) and "Scale 'scale'" in str(caught.value)
    graph.nodes["opt"].type_id = "optim.bfgs"  # the same graph trains with BFGS
    losses = run_steps(compile_graph(graph, extended, dtype=np.float64), 5)
    assert losses[-1] < losses[0]


def test_newton_refuses_a_net_above_max_params(registry):
    with pytest.raises(CompileError) as caught:
        compile_graph(sine_mlp("optim.newton", hidden=6, max_params=10), registry)
    assert caught.value.node_id == "opt"
    assert "19 parameters" in str(caught.value) and "BFGS" in str(caught.value)
