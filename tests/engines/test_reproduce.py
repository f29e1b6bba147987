"""main.py reproduce: packs declare the notes' experiments, the command reruns them and writes
one markdown row each; a row that needs MNIST or fails is listed as not run, never a crash."""

import numpy as np
import pytest

from engines.reproduce import Context, Experiment, Outcome, Verdict
from engines.reproduce.command import markdown, reproduce_command, run_experiments
from graph.registry import Registry, RegistryError
from plugins.energy.experiments import capacity, recall_overlap


def test_packs_declare_their_experiments(registry):
    names = [e.name for e in registry.experiments]
    assert {"chain", "hopfield_capacity", "boltzmann_424"} <= set(names)
    assert len(names) == len(set(names))


def test_the_chain_row_agrees_with_the_notes_to_1e_12(registry, tmp_path, capsys):
    out = tmp_path / "EXPERIMENTS.md"
    assert reproduce_command(registry, quick=True, only=["chain"], out=str(out)) == 0
    text = out.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| Five-sigmoid"))
    assert row.endswith("| agrees |") and "0.576159944190332" in row
    assert "largest relative difference" in row
    assert "1 rows, 0 differ" in capsys.readouterr().out


def test_unknown_experiment_names_the_known_ones(registry):
    with pytest.raises(ValueError, match="No experiment called nope; the experiments are:.*chain"):
        reproduce_command(registry, only=["nope"])


def test_mnist_rows_and_failing_rows_are_listed_not_raised(registry):
    def broken(context):
        raise ZeroDivisionError("boom")

    rows = run_experiments([
        Experiment("needs", "Needs MNIST", "seed 004", "0.0104", "x", broken, needs_mnist=True),
        Experiment("broken", "Broken", "seed 004", "1", "x", broken),
        Experiment("fine", "Fine", "seed 004", "1", "x",
                   lambda context: Outcome("1.0", Verdict.AGREES)),
    ], Context(quick=True, registry=registry), echo=lambda text: None)
    verdicts = [outcome.verdict for _e, outcome, _s in rows]
    assert verdicts == [Verdict.NOT_RUN, Verdict.NOT_RUN, Verdict.AGREES]
    assert "--mnist" in rows[0][1].why and "ZeroDivisionError: boom" in rows[1][1].why
    text = markdown(rows, quick=True, mnist=None)
    assert text.count("| not run |") == 2 and "| Fine | seed 004 | 1 | 1.0 | - | agrees |" in text


def test_a_pack_cannot_declare_an_experiment_twice():
    import types

    from plugins.loader import register_module
    registry = Registry()
    experiment = Experiment("twice", "T", "s", "n", "t", lambda c: None)
    register_module(registry, types.SimpleNamespace(__name__="a", EXPERIMENTS=[experiment]), "a")
    with pytest.raises(RegistryError, match="Experiment 'twice' is declared twice"):
        register_module(registry, types.SimpleNamespace(__name__="b", EXPERIMENTS=[experiment]),
                        "b")


def test_hopfield_recall_holds_at_low_load_and_breaks_above_capacity():
    rng = np.random.default_rng(0)
    assert recall_overlap(200, 10, rng) > 0.99  # p/N = 0.05: every pattern is a fixed point
    assert recall_overlap(200, 60, rng) < 0.6  # p/N = 0.3: far above capacity
    found = capacity(200, np.arange(0.06, 0.26, 0.02), seed=1)
    assert 0.1 < found < 0.2


@pytest.mark.parametrize("name, figure", [
    ("recurrent_factor", "2.94e-39 (w = 0.5)"),
    ("linear_ae_pca", "PCA"),
    pytest.param("hh_onset", "onset 6.", marks=pytest.mark.slow),
])
def test_family_rows_agree_with_the_notes_in_quick_mode(registry, name, figure):
    (experiment,) = [e for e in registry.experiments if e.name == name]
    outcome = experiment.run(Context(quick=True, registry=registry))
    assert outcome.verdict is Verdict.AGREES, outcome
    assert figure in outcome.figure


def test_a_quick_or_partial_run_leaves_the_committed_table_alone(registry, monkeypatch,
                                                                 tmp_path, capsys):
    table = tmp_path / "EXPERIMENTS.md"
    table.write_text("the full run's table\n")
    monkeypatch.setattr("engines.reproduce.command.DEFAULT_OUT", table)
    assert reproduce_command(registry, only=["chain"]) == 0
    assert reproduce_command(registry, quick=True, only=["recurrent_factor"]) == 0
    assert table.read_text() == "the full run's table\n"
    assert "EXPERIMENTS.md is left as it is" in capsys.readouterr().out
