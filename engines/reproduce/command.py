"""`main.py reproduce`: run the declared experiments and write docs/EXPERIMENTS.md.

Every row of the file is produced here from a run, never typed by hand; rows that need MNIST
are listed as not run unless `--mnist DIR` names a folder of its IDX files.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from engines.reproduce.experiment import Context, Experiment, Outcome, Verdict

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "EXPERIMENTS.md"


def run_experiments(experiments: list[Experiment], context: Context,
                    echo=print) -> list[tuple[Experiment, Outcome, float]]:
    """Run each experiment; a failure becomes a NOT_RUN row with its reason, never a crash."""
    rows = []
    for experiment in experiments:
        began = time.perf_counter()
        if experiment.needs_mnist and context.mnist is None:
            outcome = Outcome("-", Verdict.NOT_RUN, "needs MNIST: pass --mnist DIR (IDX files)")
        else:
            try:
                outcome = experiment.run(context)
            except Exception as exc:  # one broken row must not lose the others
                last = traceback.extract_tb(exc.__traceback__)[-1]
                outcome = Outcome("-", Verdict.NOT_RUN,
                                  f"failed: {type(exc).__name__}: {exc} "
                                  f"({Path(last.filename).name}:{last.lineno})")
        seconds = time.perf_counter() - began
        echo(f"  {experiment.name:<24} {outcome.verdict.value:<15} {outcome.figure} "
             f"({seconds:.1f} s)")
        rows.append((experiment, outcome, seconds))
    return rows


def markdown(rows, quick: bool, mnist: Path | None) -> str:
    """The EXPERIMENTS.md text: how it was made, the table, then each row's reasons."""
    mode = "quick (small sizes)" if quick else "full (the notes' sizes)"
    lines = [
        "# The notes' experiments, rerun by Dendrite",
        "",
        f"Written by `main.py reproduce{' --quick' if quick else ''}` on "
        f"{time.strftime('%Y-%m-%d')} in {mode} mode"
        f"{'' if mnist is None else ', with MNIST'}; every row below comes from that run. "
        "Rerun it to check; `--only NAME` reruns one row (with `--out FILE` for its table).",
        "",
        "| experiment | source | the notes | Dendrite | example | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for experiment, outcome, _seconds in rows:
        example = f"`{experiment.example}`" if experiment.example else "-"
        lines.append(f"| {experiment.title} | {experiment.source} | {experiment.notes_figure} | "
                     f"{outcome.figure} | {example} | {outcome.verdict.value} |")
    lines += ["", "## Tolerances and reasons", ""]
    for experiment, outcome, seconds in rows:
        lines.append(f"- **{experiment.title}** ({experiment.name}, {seconds:.1f} s): agrees "
                     f"means {experiment.tolerance}."
                     + (f" {outcome.why}" if outcome.why else ""))
    return "\n".join(lines) + "\n"


def reproduce_command(registry, *, quick: bool = False, only: list[str] | None = None,
                      mnist: str | None = None, out: str | None = None) -> int:
    """Run the experiments (all, or --only), print a line each, write the markdown table."""
    experiments = list(registry.experiments)
    if only:
        names = {e.name for e in experiments}
        unknown = [n for n in only if n not in names]
        if unknown:
            raise ValueError(f"No experiment called {', '.join(unknown)}; the experiments are: "
                             f"{', '.join(sorted(names))}.")
        experiments = [e for e in experiments if e.name in only]
    mnist_dir = Path(mnist) if mnist else None
    if mnist_dir is not None and not mnist_dir.is_dir():
        raise ValueError(f"--mnist {mnist}: not a folder.")
    print(f"Reproducing {len(experiments)} experiment{'s' * (len(experiments) != 1)} "
          f"({'quick' if quick else 'full'} mode) ...", flush=True)
    context = Context(quick, registry, mnist_dir)
    rows = run_experiments(experiments, context, echo=lambda t: print(t, flush=True))
    differs = sum(o.verdict is Verdict.DIFFERS for _e, o, _s in rows)
    summary = f"{len(rows)} rows, {differs} differ from the notes"
    if out is None and (quick or only):
        # the committed table is a full run of every row: a check must not overwrite it
        print(f"{summary}. {DEFAULT_OUT.name} is left as it is: only a full run of every "
              "experiment writes it; --out FILE writes this run's table.")
        return 0
    path = Path(out) if out else DEFAULT_OUT
    path.write_text(markdown(rows, quick, mnist_dir), encoding="utf-8")
    print(f"Wrote {path} ({summary}).")
    return 0
