"""Parameter sweeps: a plan of trials checked against the specs, run on Ray Tune.

`plan` parses and checks what to sweep (no Ray), `trial` runs one trial as a normal headless
program and writes a normal run record (no Ray), `tune` hands the trials to Ray Tune and
`summary` writes the sweep's CSV/JSON and ranked table.
"""
