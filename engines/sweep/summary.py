"""The sweep's summary: CSV and JSON beside the trials' run records, and a ranked table."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from engines.sweep.plan import SweepPlan
from engines.sweep.ray_tune import TrialOutcome, better

SUMMARY_JSON = "sweep.json"
SUMMARY_CSV = "sweep.csv"


def ranked(plan: SweepPlan, outcomes: list[TrialOutcome]) -> list[TrialOutcome]:
    """Best trial first by the plan's metric; failed and unfinished trials last."""
    return sorted(outcomes, key=lambda o: (o.status != "ok",
                                           better(plan, o.final.get(plan.metric)),
                                           o.trial.index))


def write_summary(plan: SweepPlan, outcomes: list[TrialOutcome], folder: Path,
                  graph_path: Path) -> tuple[Path, Path]:
    """Write sweep.json and sweep.csv (one row per trial, ranked); returns both paths."""
    rows = ranked(plan, outcomes)
    keys = [axis.target.key for axis in plan.grid + plan.ranges]
    metrics = sorted({k for o in rows for k in o.final if k != "epoch"})
    document = {
        "graph": str(graph_path), "metric": plan.metric, "mode": plan.mode.value,
        "trials": [{"trial": o.trial.index, "params": o.trial.values, "seed": o.trial.seed,
                    "status": o.status, "final": _plain(o.final), "seconds": o.seconds,
                    "record": o.record, "message": o.message} for o in rows],
    }
    json_path = folder / SUMMARY_JSON
    json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    csv_path = folder / SUMMARY_CSV
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rank", "trial", *keys, "seed", "status", *metrics, "epochs",
                         "seconds", "record", "message"])
        for rank, o in enumerate(rows, 1):
            writer.writerow([rank, o.trial.index, *(o.trial.values.get(k) for k in keys),
                             o.trial.seed, o.status, *(o.final.get(m, "") for m in metrics),
                             o.final.get("epoch", ""),
                             "" if o.seconds is None else f"{o.seconds:.3f}", o.record,
                             o.message])
    return json_path, csv_path


def table(plan: SweepPlan, outcomes: list[TrialOutcome]) -> str:
    """The ranked trials as aligned text: rank, parameters, seed, metric, seconds, status."""
    keys = [axis.target.key for axis in plan.grid + plan.ranges]
    header = ["#", *keys, "seed", plan.metric, "seconds", "status"]
    lines = [header]
    for rank, o in enumerate(ranked(plan, outcomes), 1):
        status = o.status if not o.message else f"{o.status}: {o.message}"
        lines.append([str(rank), *(_fmt(o.trial.values.get(k)) for k in keys),
                      str(o.trial.seed), _fmt(o.final.get(plan.metric)),
                      "" if o.seconds is None else f"{o.seconds:.2f}", status])
    widths = [max(len(row[i]) for row in lines) for i in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1]
                     for row in lines)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return str(value)


def _plain(metrics: dict) -> dict:
    return {k: (v if not isinstance(v, float) or math.isfinite(v) else None)
            for k, v in metrics.items()}
