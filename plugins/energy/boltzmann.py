"""Boltzmann machine (Ackley, Hinton & Sejnowski 1985): stochastic binary units, symmetric
weights, simulated annealing and the clamped/free-phase learning rule.

E(s) = -sum_{i<j} w_ij s_i s_j + sum_i theta_i s_i over visible and hidden units s in {0, 1};
a unit turns on with P = 1 / (1 + exp(-dE_i / T)), dE_i = sum_j w_ij s_j - theta_i. Each
learning step anneals, as one batch, `chains` runs per data row with the visible units
clamped (noisily: a clamped 1 reads 0 with noise_on_off, a 0 reads 1 with noise_off_on) and
as many free runs, through the schedule (2@20,2@15,2@12,4@10: two sweeps at 20, ...);
co-occurrences collected over `sample_sweeps` more sweeps at the last temperature give
dw_ij = lr sign(<s_i s_j>_clamped - <s_i s_j>_free) (the paper's fixed step; 'gradient' uses
the difference itself) and the same for the thresholds (a unit always on).

Beyond the paper: weight decay (default 0.01). Noisy clamping bounds only the weights the
data constrains; without decay the +-2 steps let the hidden units' weights drift, codes
freeze early and found codes get lost (4-2-4, 1600 steps: 10 of 16 seeds learn; with decay
0.01: 30 of 32). Recall ('completion'): the first half of the visible units is clamped to
each data row, the rest anneals through the schedule and cools on to `recall_temperature`
over `recall_sweeps`, where samples are taken. Measurements: docs/PERFORMANCE.md, "Energy
models".
"""

from __future__ import annotations

import numpy as np

from engines.events import Image, Scalar
from engines.imaging import tile_images
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.energy.kernels import fill_uniform, seed_device_generator, to_host

CONNECTIVITY = ("encoder", "layered", "full")


def connectivity_mask(n_visible: int, n_hidden: int, kind: str) -> np.ndarray:
    """Which pairs are connected. 'full': all pairs. 'encoder': all but the wires between the
    two halves of the visible units (information must pass through the hidden units).
    'layered': visible units wire to hidden units only (hidden units also to each other)."""
    n = n_visible + n_hidden
    mask = np.ones((n, n)) - np.eye(n)
    if kind == "encoder":
        half = n_visible // 2
        mask[:half, half:n_visible] = 0
        mask[half:n_visible, :half] = 0
    elif kind == "layered":
        mask[:n_visible, :n_visible] = 0
    return mask


def temperatures(t_start: float, t_end: float, steps: int) -> np.ndarray:
    """A geometric annealing schedule of `steps` temperatures from t_start to t_end."""
    if steps <= 1:
        return np.array([t_end])
    return np.geomspace(max(t_start, 1e-6), max(t_end, 1e-6), steps)


def parse_schedule(text: str) -> list[float]:
    """'2@20, 2@15, 4@10' -> one temperature per sweep: [20, 20, 15, 15, 10, 10, 10, 10].

    Raises ValueError with a readable message on a malformed entry."""
    sweeps: list[float] = []
    for entry in text.replace(";", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        count, at, temperature = entry.partition("@")
        try:
            count_value, t_value = (int(count), float(temperature)) if at else (1, float(count))
        except ValueError:
            raise ValueError(f"cannot read '{entry}' in the annealing schedule; write "
                             "sweeps@temperature entries such as 2@20, 4@10.") from None
        if count_value < 0 or not t_value > 0:
            raise ValueError(f"'{entry}' in the annealing schedule needs a sweep count >= 0 "
                             "and a temperature > 0.")
        sweeps += [t_value] * count_value
    if not sweeps:
        raise ValueError("the annealing schedule is empty; write e.g. 2@20, 2@15, 4@10.")
    return sweeps


class Annealer:
    """Sequential Gibbs sweeps over many chains at once, on NumPy or CuPy (`xp`).

    States are (units, chains) so one unit's states are a contiguous row. Chains sit in column
    order, and `free_from[i]` is the first column where unit i runs (earlier columns hold it
    clamped); a unit with free_from >= chains never runs. A sweep visits the running units in
    a random order; the logistic noise of a whole sweep is drawn in one call, so a unit update
    is one dot product and one comparison: s_i = [w_i . s > theta_i + T logit(u)].
    """

    def __init__(self, weights, thresholds, rng: np.random.Generator, xp=np):
        self.weights, self.thresholds, self.rng, self.xp = weights, thresholds, rng, xp
        self._work: dict = {}

    def _buffers(self, n: int, chains: int, dtype):
        key = (n, chains, np.dtype(dtype).str)
        if key not in self._work:
            xp = self.xp
            self._work = {key: (xp.empty((n, chains), dtype), xp.empty(chains, dtype),
                                xp.empty((n, n), dtype))}
        return self._work[key]

    def plan(self, states_t, units=None, free_from=None) -> list:
        """Per running unit, the views one update touches: (weights row, states it reads,
        field, noise row, states row it writes). Built once per anneal, used every sweep."""
        n, chains = states_t.shape
        noise, field, _ = self._buffers(n, chains, states_t.dtype)
        steps = []
        for i in (range(n) if units is None else units):
            start = 0 if free_from is None else int(free_from[i])
            if start >= chains:
                continue
            steps.append((self.weights[i], states_t[:, start:], field[start:],
                          noise[i, start:], states_t[i, start:]))
        return steps

    def sweep(self, states_t, temperature: float, units=None, free_from=None,
              plan=None) -> None:
        """One sweep at `temperature` over `units` (default: all) from their free_from column,
        in a random order."""
        xp = self.xp
        n, chains = states_t.shape
        noise, _, _ = self._buffers(n, chains, states_t.dtype)
        fill_uniform(xp, self.rng, noise)
        xp.maximum(noise, 1e-7, out=noise)
        xp.minimum(noise, 1 - 1e-7, out=noise)
        xp.reciprocal(noise, out=noise)         # logit(u) = -log(1/u - 1)
        noise -= 1
        xp.log(noise, out=noise)
        noise *= -temperature
        noise += self.thresholds[:, None]
        steps = plan if plan is not None else self.plan(states_t, units, free_from)
        dot, greater = xp.dot, xp.greater
        for k in self.rng.permutation(len(steps)):
            weights_row, reads, field, noise_row, writes = steps[k]
            dot(weights_row, reads, out=field)
            greater(field, noise_row, out=writes)

    def anneal(self, states_t, units, schedule, sample_sweeps: int, free_from=None,
               groups=None) -> tuple:
        """Sweep through `schedule`, then `sample_sweeps` more at its last temperature.

        Returns (<s s^T>, <s>) over those samples, one pair per column group in `groups`
        (a list of (start, stop) column ranges; default: all columns as one group)."""
        xp = self.xp
        plan = self.plan(states_t, units, free_from)
        for temperature in schedule:
            self.sweep(states_t, float(temperature), plan=plan)
        n, chains = states_t.shape
        groups = groups or [(0, chains)]
        _, _, product = self._buffers(n, chains, states_t.dtype)
        pairs = [xp.zeros((n, n), dtype=states_t.dtype) for _ in groups]
        for _ in range(sample_sweeps):
            self.sweep(states_t, float(schedule[-1]), plan=plan)
            for pair, (start, stop) in zip(pairs, groups):
                block = states_t[:, start:stop]
                xp.matmul(block, block.T, out=product)
                pair += product
        results = []
        for pair, (start, stop) in zip(pairs, groups):
            pair /= max((stop - start) * sample_sweeps, 1)
            results.append((pair, xp.diagonal(pair).copy()))  # s_i s_i = s_i
        return results[0] if len(results) == 1 else tuple(results)


def recall(annealer: Annealer, data, clamp: int, schedule, recall_temperature: float,
           chains: int, samples: int = 10, buffer=None, cooling_sweeps: int = 100):
    """Clamp the first `clamp` visible units of each row of `data` (rows, visible), anneal
    the other units through `schedule`, cool on to `recall_temperature` and sample there.

    Returns device arrays (means (rows, visible) of the completed rows, rate (rows,): the
    share of samples whose unclamped visible units equal the row exactly). `buffer`: an
    optional flat work array of at least units * rows * chains elements."""
    xp = annealer.xp
    rows, n_visible = data.shape
    n = annealer.weights.shape[0]
    width = rows * chains
    if buffer is None or buffer.size < n * width:
        buffer = xp.empty(n * width, dtype=annealer.weights.dtype)
    states_t = buffer[:n * width].reshape(n, width)           # contiguous for the draws
    fill_uniform(xp, annealer.rng, states_t)
    xp.less(states_t, 0.5, out=states_t)
    repeated = xp.repeat(data.T, chains, axis=1)                  # (visible, rows * chains)
    states_t[:clamp] = repeated[:clamp]
    free_from = np.zeros(n, dtype=np.int64)
    free_from[:clamp] = width
    final = float(schedule[-1])
    cooling = list(temperatures(final, recall_temperature, cooling_sweeps + 1)[1:]) \
        if recall_temperature < final and cooling_sweeps > 0 else []
    plan = annealer.plan(states_t, None, free_from)
    for temperature in list(schedule) + cooling:
        annealer.sweep(states_t, float(temperature), plan=plan)
    means = xp.zeros((n_visible, width), dtype=states_t.dtype)
    hits = xp.zeros(width, dtype=states_t.dtype)
    for _ in range(samples):
        annealer.sweep(states_t, float(min(final, recall_temperature)), plan=plan)
        means += states_t[:n_visible]
        wrong = xp.abs(states_t[clamp:n_visible] - repeated[clamp:]).sum(axis=0)
        hits += wrong == 0
    means = means.T.reshape(rows, chains, n_visible).mean(axis=1) / samples
    rate = hits.reshape(rows, chains).mean(axis=1) / samples
    return means, rate


def infer_shapes(params, in_shapes):
    data = in_shapes["data"]
    if len(data) != 2:
        raise ShapeError(f"needs 2-D (rows, visible) data; it receives {data}.")
    try:
        parse_schedule(params["schedule"])
    except ValueError as error:
        raise ShapeError(str(error)) from None
    n = data[1] + params["hidden"]
    return {"completion": data}, {"W": (n, n), "theta": (n,)}


SPEC = NodeSpec(
    type_id="energy.boltzmann", title="Boltzmann machine", category="Energy models",
    formula="P(sᵢ = 1) = σ(Σⱼ wᵢⱼ sⱼ / T);  ΔW = η(⟨s sᵀ⟩₊ − ⟨s sᵀ⟩₋)",
    doc="Stochastic binary units (visible and hidden) with symmetric weights, trained by "
        "simulated annealing and the clamped/free-phase rule of Ackley, Hinton & Sejnowski "
        "(1985): dw = lr sign(<ss>_clamped - <ss>_free), noisy clamping. 'completion' clamps "
        "the first half of each data row and shows the mean of the rest at the recall "
        "temperature.",
    inputs=(PortSpec("data", PortKind.TENSOR, "Binary training rows of the visible units."),),
    outputs=(PortSpec("completion", PortKind.TENSOR,
                      "Per data row: the clamped half and the mean of the completed half."),),
    params=(
        ParamSpec("hidden", ParamType.INT, 2, "Hidden units.", range=(0, 256)),
        ParamSpec("connectivity", ParamType.CHOICE, "encoder",
                  "encoder: every pair but the wires between the two visible halves; "
                  "layered: visible units wire only to hidden units (hidden units also to "
                  "each other); full: every pair.", choices=CONNECTIVITY),
        ParamSpec("rule", ParamType.CHOICE, "sign", "sign: each weight moves by +-lr by the "
                  "sign of the statistics' difference (the paper); gradient: by lr times "
                  "the difference.", choices=("sign", "gradient"), live=True),
        ParamSpec("lr", ParamType.FLOAT, 2.0, "Learning rate (the weight step of the sign "
                  "rule).", range=(0.0, 1000.0), live=True),
        ParamSpec("weight_decay", ParamType.FLOAT, 0.01, "Shrinks every weight by this "
                  "fraction each step: bounds the weights noisy clamping leaves free (those "
                  "of hidden units), so codes stay mobile and found codes stay put.",
                  range=(0.0, 1.0), live=True),
        ParamSpec("schedule", ParamType.STRING, "2@20, 2@15, 2@12, 4@10",
                  "Annealing schedule: sweeps@temperature, hottest first.", live=True),
        ParamSpec("sample_sweeps", ParamType.INT, 10, "Sweeps at the last temperature "
                  "that collect co-occurrence statistics.", range=(1, 1000), live=True),
        ParamSpec("noise_on_off", ParamType.FLOAT, 0.15, "Noisy clamping: chance a clamped "
                  "1 reads 0 (keeps weights finite).", range=(0.0, 0.5), live=True),
        ParamSpec("noise_off_on", ParamType.FLOAT, 0.05, "Noisy clamping: chance a clamped "
                  "0 reads 1.", range=(0.0, 0.5), live=True),
        ParamSpec("recall_temperature", ParamType.FLOAT, 2.0, "Completion cools on from the "
                  "schedule's end to this temperature and samples there.",
                  range=(1e-3, 1e4), live=True),
        ParamSpec("recall_sweeps", ParamType.INT, 100, "Sweeps of that cooling: slower "
                  "cooling finds the right completion more often.", range=(0, 100000),
                  live=True),
        ParamSpec("chains", ParamType.INT, 16, "Annealing runs per data row in each phase.",
                  range=(1, 4096)),
        ParamSpec("steps_per_epoch", ParamType.INT, 10, "Learning steps per epoch.",
                  range=(1, 100000)),
    ),
    infer_shapes=infer_shapes,
    views=(
        View(ViewKind.CURVES, "Completion", ("boltzmann/completion_accuracy",
                                             "boltzmann/worst_recall"),
             y=Axis("share", range=(0, 1)),
             doc="Share of patterns completed right from their clamped half, and the "
                 "lowest per-unit recall rate."),
        View(ViewKind.CURVES, "Correlation gap", ("train/gap",), y=Axis("gap"),
             doc="Mean |<s_i s_j> clamped - <s_i s_j> free|: learning drives it to zero."),
        View(ViewKind.IMAGE, "Boltzmann weights", ("weights/{node}",)),
        View(ViewKind.IMAGE_GRID, "Completions", ("completion/{node}",),
             doc="Each pattern's free half as the annealed network completes it."),
    ),
)


def build(ctx):
    xp, live, backend, dtype = ctx.xp, ctx.params, ctx.backend, ctx.dtype
    data = ctx.input("data")
    max_rows, n_visible = data.storage.shape
    n = n_visible + live["hidden"]
    clamp = n_visible // 2
    chains = live["chains"]
    mask = xp.asarray(connectivity_mask(n_visible, live["hidden"], live["connectivity"])
                      .astype(dtype))
    W = ctx.param("W", (n, n), init="zeros", trainable=False)
    theta = ctx.param("theta", (n,), init="zeros", trainable=False)
    completion = ctx.output("completion", (max_rows, n_visible), batched=data.batched)
    gap = ctx.output("gap", (1,), batched=False)
    ctx.metric("gap", gap)
    seed = int(ctx.rng.integers(2**31))
    rng = np.random.default_rng(seed)
    seed_device_generator(xp, rng)
    annealer = Annealer(W.value, theta.value, rng, xp)
    # recall draws from its own stream, so its settings never change what training learns
    tester = Annealer(W.value, theta.value, np.random.default_rng([seed, 1]), xp)
    width = max_rows * chains
    states = xp.empty(n * 2 * width, dtype=dtype)   # (units, [clamped runs | free runs])
    clean = xp.empty((n_visible, max_rows, chains), dtype=dtype)
    uniform = xp.empty(n_visible * width, dtype=dtype)
    flip = xp.empty(n_visible * width, dtype=dtype)
    difference = xp.empty((n, n), dtype=dtype)
    change = xp.empty((n, n), dtype=dtype)
    mask_count = float(max(to_host(backend, mask).sum(), 1))
    cache: dict = {}
    state = {"accuracy": 0.0, "recall": np.zeros(0), "checked": False}

    def schedule():
        text = live["schedule"]
        if cache.get("text") != text:
            try:
                cache["sweeps"] = parse_schedule(text)
            except ValueError as error:
                raise ctx.error(f"{ctx.label}: {error}") from None
            cache["text"] = text
        return cache["sweeps"]

    schedule()

    def check_binary(host):
        if not np.all((host == 0) | (host == 1)):
            raise ctx.error(f"{ctx.label} needs binary (0/1) data rows; set the pattern "
                            "source's values to binary.")

    def noisy_clamp(rows: int, view):
        """Write the data rows, each repeated `chains` times and noisily flipped, to view."""
        runs = rows * chains
        source = clean[:, :rows]
        source[...] = data.value.T[:, :, None]
        on_off, off_on = live["noise_on_off"], live["noise_off_on"]
        source_flat = source.reshape(n_visible, runs)
        chance = flip[:n_visible * runs].reshape(n_visible, runs)
        xp.multiply(source_flat, on_off - off_on, out=chance)
        chance += off_on                                   # flip chance of each clamped bit
        draws = fill_uniform(xp, rng, uniform[:n_visible * runs].reshape(n_visible, runs))
        xp.less(draws, chance, out=chance)
        xp.subtract(source_flat, chance, out=view)
        xp.abs(view, out=view)

    def update():
        if not state["checked"]:
            check_binary(to_host(backend, data.value))
            state["checked"] = True
        rows = data.value.shape[0]
        runs = rows * chains
        annealer.weights, annealer.thresholds = W.value, theta.value
        view = states[:n * 2 * runs].reshape(n, 2 * runs)
        fill_uniform(xp, rng, view)
        xp.less(view, 0.5, out=view)
        noisy_clamp(rows, view[:n_visible, :runs])
        free_from = np.zeros(n, dtype=np.int64)
        free_from[:n_visible] = runs
        (plus, plus_single), (minus, minus_single) = annealer.anneal(
            view, None, schedule(), live["sample_sweeps"], free_from,
            groups=[(0, runs), (runs, 2 * runs)])
        xp.subtract(plus, minus, out=difference)
        xp.multiply(difference, mask, out=difference)
        lr = live["lr"]
        single = plus_single - minus_single
        if live["rule"] == "sign":
            xp.sign(difference, out=change)
            xp.sign(single, out=single)
        else:
            change[...] = difference
        if live["weight_decay"]:
            W.value *= 1.0 - live["weight_decay"]
        xp.multiply(change, lr, out=change)
        W.value += change
        single *= lr
        theta.value -= single
        xp.sum(xp.abs(difference), out=gap.value.reshape(()))
        gap.value /= mask_count

    def complete():
        host = to_host(backend, data.value)
        check_binary(host)
        tester.weights, tester.thresholds = W.value, theta.value
        means, rate = recall(tester, data.value, clamp, schedule(),
                             live["recall_temperature"], chains, 10, states,
                             live["recall_sweeps"])
        rows = data.value.shape[0]
        completion.value[:rows] = means
        host_means = to_host(backend, means)
        wanted = host[:, clamp:] > 0.5
        state["accuracy"] = float(np.mean(np.all((host_means[:, clamp:] > 0.5) == wanted,
                                                 axis=1)))
        state["recall"] = to_host(backend, rate)

    def end_epoch(epoch):
        complete()

    def report(phase):
        step = phase.step
        rates = state["recall"]
        events = [Scalar("boltzmann/completion_accuracy", step, state["accuracy"])]
        if rates.size:
            events.append(Scalar("boltzmann/worst_recall", step, float(rates.min())))
        events += [Image(f"weights/{ctx.node_id}", step,
                         tile_images(to_host(backend, W.value).reshape(1, -1), (n, n))),
                   Image(f"completion/{ctx.node_id}", step,
                         tile_images(to_host(backend, completion.value), (1, n_visible),
                                     columns=1, normalize="none"))]
        return events

    ctx.simulation_steps(live["steps_per_epoch"])
    ctx.monitor(report, every="epoch")
    return Step(update=update, end_epoch=end_epoch)


NODES = [(SPEC, build)]
