"""Run a checked SweepPlan as Ray Tune trials, locally or on a Ray cluster.

The job is staged once: the graph, copies of the data files it names and the user's single-file
plugin packs go into a folder that Ray ships to every worker as its working directory
(`runtime_env`), and the project's own packages travel as `py_modules`, so a remote worker
needs only Dendrite's dependencies. Trials are generated (and ranges drawn, seeded) by the plan,
and Tune's Tuner runs them as a grid over those points, with Tune's ASHA scheduler as an option.
Workers build their registry with `registry_factory`, passed in by the caller (engines/ never
imports plugins/).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engines.sweep.plan import Mode, SweepPlan, Trial
from graph.fileio import save_graph
from graph.model import Graph
from graph.registry import Registry
from graph.spec import ParamType

PROJECT_PACKAGES = ("graph", "engines", "plugins")
STAGED_GRAPH = "graph.dgraph"
FAILED_MARK, RECORD_MARK = "DENDRITE_TRIAL_FAILED: ", " DENDRITE_RECORD: "
MAX_REPORTS_PER_TRIAL = 200  # per-epoch metrics reach Tune at most this often (ASHA's clock)


class RayMissing(RuntimeError):
    """Ray (with Tune) is not installed."""


def import_tune():
    """ray and ray.tune, or RayMissing saying which extra to install."""
    try:
        import ray
        from ray import tune
    except ImportError:
        raise RayMissing("Sweeps need Ray Tune: install the 'sweep' extra "
                         "(.venv/bin/pip install '.[sweep]').") from None
    return ray, tune


@dataclass
class TrialOutcome:
    """One trial as the sweep summary lists it."""

    trial: Trial
    status: str  # "ok" | "failed" | "stopped early" | "not run"
    final: dict = field(default_factory=dict)
    seconds: float | None = None
    record: str = ""
    message: str = ""


def stage_job(graph: Graph, graph_path: Path, registry: Registry, folder: Path) -> Path:
    """Write the graph and the files it needs into folder; returns the staged graph path."""
    data = folder / "data"
    for node in graph.nodes.values():
        for spec in registry.spec(node.type_id).params:
            value = node.params.get(spec.name)
            if spec.type is not ParamType.PATH or not value:
                continue
            source = Path(value)
            if not source.is_absolute():
                source = (graph_path.parent / source).resolve()
            if not source.is_file():
                raise FileNotFoundError(f"{graph_path.name}: node '{node.id}' names "
                                        f"{spec.name} '{value}', which is not a file.")
            data.mkdir(exist_ok=True)
            target = data / f"{node.id}-{spec.name}-{source.name}"
            shutil.copyfile(source, target)
            node.params[spec.name] = f"data/{target.name}"
    weights = graph_path.with_suffix(".npz")
    if weights.is_file():  # initial weights shipped beside the graph
        shutil.copyfile(weights, folder / Path(STAGED_GRAPH).with_suffix(".npz"))
    packs = folder / "packs"
    packs.mkdir()
    from_env = os.environ.get("DENDRITE_PLUGIN_PATH")
    dirs = from_env.split(os.pathsep) if from_env else [str(Path.home() / ".dendrite/plugins")]
    for directory in filter(None, dirs):
        for pack in sorted(Path(directory).glob("*.py")):
            shutil.copyfile(pack, packs / pack.name)
    target = folder / STAGED_GRAPH
    save_graph(graph, target)
    return target


def _trainable(config: dict, *, registry_factory: Callable[[], Registry], runs_dir: str,
               epochs: int | None) -> None:
    """A Tune function trainable: one trial, metrics reported every few epochs."""
    from ray import tune

    from engines.sweep.trial import TrialFailed, run_trial

    stage = Path(os.getcwd())  # the job's working dir (trial chdir is switched off)
    os.environ["DENDRITE_PLUGIN_PATH"] = str(stage / "packs")
    point = config["trial"]
    planned = epochs or 0
    stride = max(1, math.ceil(planned / MAX_REPORTS_PER_TRIAL)) if planned else 1

    def report(metrics: dict) -> None:
        # the last epoch goes out once, with the trial's record, after training ends: ASHA
        # stops a trial that reaches max_t, and that must not cut off the final report
        epoch = int(metrics.get("epoch", 0))
        if epoch % stride == 0 and epoch < planned:
            tune.report(_tune_keys(metrics))

    try:
        result = run_trial(stage / STAGED_GRAPH, point["values"], point["seed"],
                           registry_factory(), runs_dir, epochs=epochs, report=report)
    except TrialFailed as exc:
        raise RuntimeError(f"{FAILED_MARK}{exc}{RECORD_MARK}{exc.record}\n") from None
    final = _tune_keys(result.final)
    final.update({"dendrite_seconds": result.seconds, "dendrite_record": result.record,
                  "dendrite_reason": result.reason, "dendrite_done": 1})
    tune.report(final)


def _tune_keys(metrics: dict) -> dict:
    """Tune flattens nested results on '/': our 'val/loss' becomes 'val__loss' for Tune."""
    return {key.replace("/", "__"): value for key, value in metrics.items()}


def _our_keys(metrics: dict) -> dict:
    return {key.replace("__", "/"): value for key, value in metrics.items()
            if "__" in key or key == "epoch"}


def run_sweep(plan: SweepPlan, trials: list[Trial], graph: Graph, graph_path: Path,
              registry: Registry, registry_factory: Callable[[], Registry], sweep_dir: Path, *,
              epochs: int | None = None, workers: int | None = None,
              address: str | None = None, scheduler: str | None = None,
              echo: Callable[[str], None] = print) -> list[TrialOutcome]:
    """Run trials (drawn from plan) on Ray Tune; returns one outcome per trial, finished or not."""
    ray, tune = import_tune()
    from ray.tune.schedulers import ASHAScheduler

    sweep_dir.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    os.environ["RAY_CHDIR_TO_TRIAL_DIR"] = "0"
    with tempfile.TemporaryDirectory(prefix="dendrite-sweep-") as tmp:
        stage = Path(tmp)
        stage_job(graph.copy(), graph_path, registry, stage)
        root = Path(__file__).resolve().parents[2]
        runtime_env = {
            "working_dir": str(stage),
            "py_modules": [str(root / name) for name in PROJECT_PACKAGES],
            "env_vars": {"RAY_CHDIR_TO_TRIAL_DIR": "0", "OMP_NUM_THREADS": "1",
                         "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
        }
        init = {"runtime_env": runtime_env, "log_to_driver": False,
                "include_dashboard": False, "configure_logging": False}
        if address:
            ray.init(address=address, **init)
        else:
            # "local": always a fresh cluster of our own, never one found running on the machine
            ray.init(address="local", num_cpus=workers, **init)
        try:
            outcomes = _fit(tune, ASHAScheduler, plan, trials, registry_factory, sweep_dir,
                            epochs, workers, scheduler, echo)
        finally:
            ray.shutdown()
    return outcomes


def _fit(tune, asha, plan, trials, registry_factory, sweep_dir, epochs, workers, scheduler,
         echo) -> list[TrialOutcome]:
    metric = plan.metric.replace("/", "__")
    trainable = tune.with_resources(
        tune.with_parameters(_trainable, registry_factory=registry_factory,
                             runs_dir=str(sweep_dir.resolve()), epochs=epochs),
        {"cpu": 1})
    points = [{"index": t.index, "values": t.values, "seed": t.seed} for t in trials]
    tune_scheduler = None
    if scheduler == "asha":
        tune_scheduler = asha(time_attr="epoch", metric=metric, mode=plan.mode.value,
                              max_t=max(1, epochs or 100), grace_period=1)
    tuner = tune.Tuner(
        trainable,
        param_space={"trial": tune.grid_search(points)},
        tune_config=tune.TuneConfig(scheduler=tune_scheduler, max_concurrent_trials=workers,
                                    trial_name_creator=lambda t: f"trial{_index(t)}",
                                    trial_dirname_creator=lambda t: f"trial{_index(t)}"),
        run_config=tune.RunConfig(name="tune", storage_path=str((sweep_dir).resolve()),
                                  verbose=0, callbacks=[_Echo(tune, trials, echo)],
                                  failure_config=tune.FailureConfig(max_failures=0)),
    )
    grid = tuner.fit()
    by_index = {}
    for result in grid:
        point = (result.config or {}).get("trial")
        if point is None:
            continue
        trial = trials[point["index"]]
        metrics = result.metrics or {}
        if result.error is not None:
            message, record = _error_text(result.error)
            by_index[trial.index] = TrialOutcome(trial, "failed", _our_keys(metrics),
                                                 record=record, message=message)
        elif metrics.get("dendrite_done"):
            by_index[trial.index] = TrialOutcome(
                trial, "ok", _our_keys(metrics), metrics.get("dendrite_seconds"),
                metrics.get("dendrite_record", ""), _unusual(metrics.get("dendrite_reason")))
        elif metrics:
            by_index[trial.index] = TrialOutcome(trial, "stopped early", _our_keys(metrics),
                                                 message="stopped by the ASHA scheduler")
    return [by_index.get(t.index, TrialOutcome(t, "not run")) for t in trials]


def _unusual(reason) -> str:
    """A finished trial's reason worth showing ('early_stopped'), or '' when it completed."""
    return "" if reason in (None, "", "completed") else str(reason).replace("_", " ")


def _index(tune_trial) -> int:
    return tune_trial.config["trial"]["index"]


def _error_text(error) -> tuple[str, str]:
    """(message, record folder) of a failed trial, from the error Tune hands back."""
    text = str(error)
    if FAILED_MARK in text:  # the last one: earlier ones are source lines of the traceback
        line = text.rsplit(FAILED_MARK, 1)[1].splitlines()[0]
        message, _, record = line.partition(RECORD_MARK)
        return message.strip(), record.strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return (lines[-1].strip() if lines else type(error).__name__), ""


def _Echo(tune, points: list[Trial], echo):
    """A Tune callback printing one line as each trial ends."""

    class Echo(tune.Callback):
        def __init__(self):
            self.began = time.perf_counter()

        def on_trial_complete(self, iteration, trials, trial, **info):
            result = trial.last_result or {}
            reason = result.get("dendrite_reason", "")
            echo(f"  done    {points[_index(trial)].name}  {reason}")

        def on_trial_error(self, iteration, trials, trial, **info):
            echo(f"  failed  {points[_index(trial)].name}")

    return Echo()


def better(plan: SweepPlan, value) -> float:
    """Sort key: the best trial first, trials without the metric last."""
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return math.inf
    return value if plan.mode is Mode.MIN else -value
