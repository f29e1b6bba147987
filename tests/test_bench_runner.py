"""bench/run_all.py's table and bench_mlp's interleaved side (the figures themselves are never
asserted: benchmarks are not tests)."""

from __future__ import annotations

from bench import bench_mlp, run_all


def _row(workload: str, bound_runs: list, interleaved: dict | None) -> dict:
    row = {"benchmark": "mlp", "workload": workload, "unit": "samples/s",
           "dendrite": 100.0, "torch": 50.0, "bound": 150.0, "ratio": 2.0,
           "bound_share": 100 / 150, "floor_share": 0.8, "ratio_range": [1.5, 2.5],
           "runs": {"dendrite": [100.0] * len(bound_runs), "torch": [50.0] * len(bound_runs),
                    "bound": bound_runs, "floor": [120.0] * len(bound_runs)}}
    if interleaved is not None:
        row["interleaved"] = interleaved
    return row


def test_markdown_shows_the_one_process_shares_and_flags_a_noisy_bound():
    document = {"time": "2026-12-01 10:00:00", "engine": "numpy", "cpus": 2, "load": [0.5],
                "numpy": "2.4", "torch": "2.13", "quick": False,
                "rows": [_row("quiet one", [150.0, 151.0, 149.0],
                              {"bound_share": 0.731, "floor_share": 0.764}),
                         _row("noisy one", [150.0, 100.0, 149.0], None)]}
    lines = run_all.markdown(document).splitlines()
    header = next(line for line in lines if line.startswith("| workload"))
    assert header.endswith("| one process: share / floor share |")
    quiet = next(line for line in lines if line.startswith("| quiet one"))
    noisy = next(line for line in lines if line.startswith("| noisy one"))
    assert quiet.endswith("| 73% / 76% |")
    assert noisy.endswith("| - |")  # an older file without the interleaved side
    assert quiet.count("|") == header.count("|") == noisy.count("|")
    assert lines[-1] == "Noisy (the bound's rounds differ by more than 1.25x): noisy one (1.50x)."


def test_the_interleaved_side_alternates_the_engine_with_the_bound_and_floor(monkeypatch, tmp_path):
    monkeypatch.setattr(bench_mlp, "BLOCK_SECONDS", 0.005)
    tiny = bench_mlp.Workload("tiny", [12, 8, 3], 8, "random", 8 * 6)
    calls = {"bound": 0, "floor": 0}
    for name, make in (("bound", bench_mlp._bound_step), ("floor", bench_mlp._floor_step)):
        def counted(*args, name=name, make=make):
            step = make(*args)

            def step_counted(index):
                calls[name] += 1
                step(index)
            return step_counted
        monkeypatch.setattr(bench_mlp, f"_{name}_step", counted)
    result = bench_mlp.side_interleaved(tiny, "numpy", 3, tmp_path)
    assert result["blocks"] == 12
    assert set(result["rates"]) == {"dendrite", "bound", "floor"}
    low, high = result["bound_share_range"]
    assert 0 < low <= result["bound_share"] <= high
    assert result["per_s"] == result["bound_share"]
    assert 0 < result["floor_share"]
    # every block runs each loop for as many steps as the engine's epochs took (6 batches
    # each), after one warm-up loop
    steps = 6 * result["block_epochs"]
    assert calls == {"bound": 13 * steps, "floor": 13 * steps}
