"""Sweeps: plans checked against the specs before anything starts; trials are normal seeded
headless runs; on a local Ray (and a two-node local cluster) a 2x2 grid writes four run
records and a summary, and a diverging trial is reported without stopping the others."""

import csv
import json
import math
import textwrap
from pathlib import Path

import pytest

from engines.records import list_runs, load_run
from engines.sweep.plan import Mode, SweepError, default_mode, make_plan
from engines.sweep.trial import TrialFailed, run_trial
from graph.fileio import load_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
XOR = EXAMPLES / "xor_mlp.dgraph"

# A user's single-file pack: y = x * exp(log_gain). A large log_gain overflows float32, so the
# run diverges: the sweep's failing trial, and a pack that must travel with the job.
GAIN_PACK = textwrap.dedent('''
    import math

    from engines.program import Step
    from graph.spec import NodeSpec, ParamSpec, ParamType, PortSpec, no_params_same_shape

    def build(ctx):
        xp, x, y = ctx.xp, ctx.input("x"), ctx.output("y")
        log_gain = ctx.params["log_gain"]
        gain = math.inf if log_gain > 88 else math.exp(log_gain)  # float32 overflows above 88

        def forward():
            xp.multiply(x.value, gain, out=y.value)

        def backward():
            if x.grad is not None:
                x.grad += y.grad * gain

        return Step(forward, backward)

    NODES = [(NodeSpec("gainpack.gain", "Gain", "Layers", "y = x exp(log_gain)",
                       inputs=(PortSpec("x"),), outputs=(PortSpec("y"),),
                       params=(ParamSpec("log_gain", ParamType.FLOAT, 0.0, "",
                                         range=(-1000.0, 1000.0)),),
                       infer_shapes=no_params_same_shape), build)]
''')


@pytest.fixture
def gain_graph(tmp_path, monkeypatch):
    """The XOR example with a user-pack Gain node before the output layer; its registry."""
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "gainpack.py").write_text(GAIN_PACK)
    monkeypatch.setenv("DENDRITE_PLUGIN_PATH", str(packs))
    from plugins.loader import load_all
    registry = load_all()
    document = json.loads(XOR.read_text())
    document["nodes"].append({"id": "gain", "type": "gainpack.gain", "title": "Gain",
                              "params": {}, "position": [560.0, 100.0]})
    document["edges"] = [e for e in document["edges"] if e["to"] != "output.x"]
    document["edges"] += [{"from": "hidden_act.y", "to": "gain.x"},
                          {"from": "gain.y", "to": "output.x"}]
    path = tmp_path / "xor_gain.dgraph"
    path.write_text(json.dumps(document))
    return path, registry


# -- plans ---------------------------------------------------------------------------------
def test_grid_times_seeds_gives_every_trial_once(registry):
    graph = load_graph(XOR, registry)
    plan = make_plan(graph, registry, ["opt.lr=0.5,2", "hidden.units=2,4,8"], [], seeds=2)
    trials = plan.trials()
    assert len(trials) == 12
    points = {(t.values["opt.lr"], t.values["hidden.units"], t.seed) for t in trials}
    assert len(points) == 12
    assert {t.seed for t in trials} == {0, 1}  # from the graph's own seed
    assert all(isinstance(t.values["hidden.units"], int) for t in trials)
    assert plan.metric == "train/loss" and plan.mode is Mode.MIN


def test_random_ranges_are_drawn_in_range_and_reproducibly(registry):
    graph = load_graph(XOR, registry)
    plan = make_plan(graph, registry, [], ["opt.lr=0.001:1:log", "hidden.units=2:16"],
                     samples=20)
    first, again = plan.trials(sample_seed=3), plan.trials(sample_seed=3)
    assert [t.values for t in first] == [t.values for t in again]
    lrs = [t.values["opt.lr"] for t in first]
    assert all(0.001 <= v <= 1 for v in lrs) and len(set(lrs)) == 20
    assert min(lrs) < 0.03  # log-uniform: a fair share of the draws in the lowest decade
    assert all(isinstance(t.values["hidden.units"], int) and 2 <= t.values["hidden.units"] <= 16
               for t in first)


@pytest.mark.parametrize("params, ranges, needle", [
    (["nope.lr=1"], [], "no node 'nope'"),
    (["opt.speed=1"], [], "has no parameter 'speed'"),
    (["opt.lr=-1"], [], "must lie in"),
    (["opt.lr=fast"], [], "'fast' is not a valid float"),
    (["hidden.units=2.5"], [], "not a valid int"),
    (["opt.lr"], [], "NODE.PARAM=V1,V2"),
    ([], ["opt.lr=0:1:log"], "log range needs LO > 0"),
    ([], ["opt.lr=1:0.5"], "LO must be below HI"),
    ([], ["data.dataset=a:b"], "take a range"),
    (["opt.lr=0.1"], ["opt.lr=0.1:1"], "swept twice"),
    ([], [], "Nothing to sweep"),
])
def test_bad_plans_are_refused_with_one_sentence(registry, params, ranges, needle):
    graph = load_graph(XOR, registry)
    with pytest.raises(SweepError, match=needle):
        make_plan(graph, registry, params, ranges)


def test_file_parameters_cannot_be_swept(registry, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,b\n0,1\n1,0\n")
    document = json.loads(XOR.read_text())
    document["nodes"][0] = {"id": "data", "type": "core.csv_file",
                            "params": {"path": "d.csv"}, "position": [0.0, 0.0]}
    path = tmp_path / "g.dgraph"
    path.write_text(json.dumps(document))
    graph = load_graph(path, registry)
    with pytest.raises(SweepError, match="cannot be swept: it is a file path"):
        make_plan(graph, registry, [f"data.path={data}"], [])


def test_the_job_carries_the_graph_its_data_files_and_the_users_packs(gain_graph, tmp_path):
    from engines.sweep.ray_tune import stage_job

    path, registry = gain_graph
    (tmp_path / "d.csv").write_text("a,b,c\n0,1,1\n1,0,1\n")
    document = json.loads(path.read_text())
    document["nodes"][0] = {"id": "data", "type": "core.csv_file",
                            "params": {"path": "d.csv"}, "position": [0.0, 0.0]}
    path.write_text(json.dumps(document))
    stage = tmp_path / "stage"
    stage.mkdir()
    staged = stage_job(load_graph(path, registry), path, registry, stage)
    copied = load_graph(staged, registry).nodes["data"].params["path"]
    assert (stage / copied).read_text() == (tmp_path / "d.csv").read_text()
    assert (stage / "packs" / "gainpack.py").exists()


def test_mode_follows_the_metric_name():
    assert default_mode("val/loss") is Mode.MIN and default_mode("train/mse") is Mode.MIN
    assert default_mode("val/accuracy") is Mode.MAX and default_mode("val/f1") is Mode.MAX


# -- one trial, without Ray ------------------------------------------------------------------
def test_a_trial_is_a_seeded_headless_run_that_repeats_exactly(registry, tmp_path):
    reports = []
    first = run_trial(XOR, {"opt.lr": 1.0, "hidden.units": 3}, 5, registry, tmp_path / "a",
                      epochs=20, report=reports.append)
    again = run_trial(XOR, {"opt.lr": 1.0, "hidden.units": 3}, 5, registry, tmp_path / "b",
                      epochs=20)
    assert first.final == again.final and first.reason == "completed"
    assert [r["epoch"] for r in reports] == list(range(1, 21))
    record = load_run(first.record)
    assert record.summary["seed"] == 5 and record.summary["epochs"] == 20
    graph = load_graph(Path(first.record) / "graph.dgraph", registry)
    assert graph.nodes["opt"].params["lr"] == 1.0 and graph.nodes["hidden"].params["units"] == 3
    other = run_trial(XOR, {"opt.lr": 1.0, "hidden.units": 3}, 6, registry, tmp_path / "c",
                      epochs=20)
    assert other.final["train/loss"] != first.final["train/loss"]  # the seed matters


def test_a_diverging_trial_fails_with_the_runs_message(gain_graph, tmp_path):
    path, registry = gain_graph
    with pytest.raises(TrialFailed, match="diverged"):
        run_trial(path, {"gain.log_gain": 500.0}, 0, registry, tmp_path / "r", epochs=5)
    (folder,) = list_runs(tmp_path / "r")
    assert load_run(folder).summary["reason"] == "failed"


# -- on Ray ----------------------------------------------------------------------------------
def _sweep(path, registry, tmp_path, capsys, **options):
    from engines.sweep.command import sweep_command
    from plugins.loader import load_all

    code = sweep_command(path, load_all, params=["opt.lr=0.5,2", "gain.log_gain=0,500"],
                         ranges=[], epochs=15, runs_dir=str(tmp_path / "runs"), **options)
    out = capsys.readouterr().out
    (folder,) = [p for p in (tmp_path / "runs").iterdir() if p.name.endswith("-sweep")]
    return code, out, folder


def _check_two_by_two(code, out, folder, registry):
    assert code == 0
    rows = list(csv.DictReader(open(folder / "sweep.csv")))
    assert len(rows) == 4
    by_status = {}
    for row in rows:
        by_status.setdefault(row["status"], []).append(row)
    assert len(by_status["ok"]) == 2 and len(by_status["failed"]) == 2
    assert all(float(r["gain.log_gain"]) == 500.0 and "diverged" in r["message"]
               for r in by_status["failed"])
    assert [r["rank"] for r in by_status["ok"]] == ["1", "2"]  # finished trials rank first
    losses = [float(r["train/loss"]) for r in by_status["ok"]]
    assert losses == sorted(losses) and all(math.isfinite(v) for v in losses)
    records = [p for p in folder.iterdir() if (p / "summary.json").exists()]
    assert len(records) == 4
    assert all(Path(r["record"]) in records for r in rows)
    summary = json.loads((folder / "sweep.json").read_text())
    assert summary["metric"] == "train/loss" and len(summary["trials"]) == 4
    assert "4 trials" in out and "2 of 4 trials finished" in out
    best = summary["trials"][0]
    again = run_trial(Path(best["record"]) / "graph.dgraph", {}, best["seed"], registry,
                      folder.parent / "again", epochs=15)
    assert again.final["train/loss"] == pytest.approx(best["final"]["train/loss"], rel=1e-6)


@pytest.mark.slow
def test_two_by_two_grid_on_a_local_ray(gain_graph, tmp_path, capsys):
    path, registry = gain_graph
    code, out, folder = _sweep(path, registry, tmp_path, capsys, workers=2)
    _check_two_by_two(code, out, folder, registry)


@pytest.mark.slow
def test_two_by_two_grid_on_a_two_node_cluster(gain_graph, tmp_path, capsys):
    from ray.cluster_utils import Cluster

    path, registry = gain_graph
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)
        address = cluster.address
        code, out, folder = _sweep(path, registry, tmp_path, capsys, address=address)
    finally:
        cluster.shutdown()
    assert f"the Ray cluster at {address}" in out
    _check_two_by_two(code, out, folder, registry)


def test_the_runs_list_includes_a_sweeps_trials(registry, tmp_path):
    sweep = tmp_path / "20261130-120000-xor_mlp-sweep"
    run_trial(XOR, {"opt.lr": 1.0}, 0, registry, sweep, epochs=2)
    run_trial(XOR, {}, 0, registry, tmp_path, epochs=2)
    folders = list_runs(tmp_path)
    assert len(folders) == 2 and sum(f.parent == sweep for f in folders) == 1
