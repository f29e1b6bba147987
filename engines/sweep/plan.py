"""What a sweep varies, parsed from the command line and checked against the node specs.

Nothing here imports Ray: a plan is checked (unknown node, unknown or non-sweepable parameter,
value out of range) before any worker starts, and the same checks serve the GUI's sweep dialog.
"""

from __future__ import annotations

import enum
import itertools
import json
import math
import random
from dataclasses import dataclass, field

from graph.model import Graph
from graph.registry import Registry
from graph.spec import ParamSpec, ParamType


class SweepError(ValueError):
    """A sweep that cannot start; the message names the argument and the fix."""


class Mode(enum.Enum):
    """Whether the sweep's metric is better when lower or higher."""

    MIN = "min"
    MAX = "max"


NOT_SWEEPABLE = {ParamType.PATH: "a file path (data files travel with the job once, "
                                  "they are not varied per trial)"}
RANGE_TYPES = (ParamType.INT, ParamType.FLOAT)


@dataclass(frozen=True)
class Target:
    """One node parameter: `node.param`."""

    node_id: str
    param: str

    @property
    def key(self) -> str:
        return f"{self.node_id}.{self.param}"


@dataclass(frozen=True)
class GridAxis:
    """A parameter tried at each listed value."""

    target: Target
    values: tuple


@dataclass(frozen=True)
class RangeAxis:
    """A parameter sampled uniformly (or log-uniformly) in [low, high]; ints stay ints."""

    target: Target
    low: float
    high: float
    log: bool
    integer: bool

    def sample(self, rng: random.Random):
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = rng.uniform(self.low, self.high)
        return int(round(value)) if self.integer else float(value)


@dataclass(frozen=True)
class Trial:
    """One point of the sweep: parameter values by `node.param` key, and the seed."""

    index: int
    values: dict
    seed: int

    @property
    def name(self) -> str:
        parts = [f"{key}={_short(value)}" for key, value in self.values.items()]
        return ",".join(parts + [f"seed={self.seed}"])


@dataclass
class SweepPlan:
    """Axes, seeds, samples and the metric, checked against one graph."""

    grid: list[GridAxis] = field(default_factory=list)
    ranges: list[RangeAxis] = field(default_factory=list)
    seeds: tuple = (0,)
    samples: int = 1
    metric: str = "train/loss"
    mode: Mode = Mode.MIN

    def trials(self, sample_seed: int = 0) -> list[Trial]:
        """Every trial: the grid's product x seeds x samples (ranges drawn, seeded)."""
        rng = random.Random(sample_seed)
        grids = [[(axis.target.key, v) for v in axis.values] for axis in self.grid]
        samples = self.samples if self.ranges else 1
        trials = []
        for point in itertools.product(*grids):
            for _ in range(samples):
                drawn = [(axis.target.key, axis.sample(rng)) for axis in self.ranges]
                for seed in self.seeds:
                    trials.append(Trial(len(trials), dict(list(point) + drawn), seed))
        return trials


def default_mode(metric: str) -> Mode:
    """Losses and errors are minimised; accuracies, F1 and the like maximised."""
    name = metric.rsplit("/", 1)[-1].lower()
    lower_better = ("loss", "error", "mse", "energy", "distance")
    return Mode.MIN if any(word in name for word in lower_better) else Mode.MAX


def parse_target(text: str, graph: Graph, registry: Registry) -> tuple[Target, ParamSpec]:
    """`node.param` -> (Target, its ParamSpec), or SweepError naming what is wrong."""
    node_id, dot, param = text.partition(".")
    if not dot or not node_id or not param:
        raise SweepError(f"'{text}': name a node parameter as NODE.PARAM (e.g. opt.lr).")
    node = graph.nodes.get(node_id)
    if node is None:
        known = ", ".join(graph.nodes) or "none"
        raise SweepError(f"'{text}': the graph has no node '{node_id}' (nodes: {known}).")
    spec = registry.spec(node.type_id)
    names = [p.name for p in spec.params]
    if param not in names:
        raise SweepError(f"'{text}': node '{node_id}' ({spec.title}) has no parameter "
                         f"'{param}' (parameters: {', '.join(names) or 'none'}).")
    param_spec = spec.param(param)
    why = NOT_SWEEPABLE.get(param_spec.type)
    if why:
        raise SweepError(f"'{text}' cannot be swept: it is {why}.")
    return Target(node_id, param), param_spec


def parse_value(text: str, spec: ParamSpec, where: str):
    """One value typed by the parameter's spec, checked against its range and choices."""
    text = text.strip()
    try:
        if spec.type is ParamType.INT:
            value = int(text)
        elif spec.type is ParamType.FLOAT:
            value = float(text)
        elif spec.type is ParamType.BOOL:
            lowered = text.lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            value = lowered in ("true", "1", "yes")
        elif spec.type in (ParamType.INTS, ParamType.FLOATS):
            value = spec.coerce(json.loads(text))
        else:
            value = text
    except (ValueError, json.JSONDecodeError):
        raise SweepError(f"{where}: '{text}' is not a valid {spec.type.value}.") from None
    problem = spec.check(value)
    if problem:
        raise SweepError(f"{where}: {problem}.")
    return value


def split_values(text: str) -> list[str]:
    """Split V1,V2,... on commas outside brackets (so [32,16] stays one list value)."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part for part in (p.strip() for p in parts)]


def parse_grid(text: str, graph: Graph, registry: Registry) -> GridAxis:
    """`NODE.PARAM=V1,V2,...` -> GridAxis."""
    name, eq, values = text.partition("=")
    if not eq or not values.strip():
        raise SweepError(f"--param '{text}': write NODE.PARAM=V1,V2,...")
    target, spec = parse_target(name.strip(), graph, registry)
    parsed = [parse_value(v, spec, f"--param {target.key}") for v in split_values(values)]
    if any(v == "" for v in split_values(values)):
        raise SweepError(f"--param {target.key}: an empty value in '{values}'.")
    unique = []
    for value in parsed:
        if value not in unique:
            unique.append(value)
    return GridAxis(target, tuple(unique))


def parse_range(text: str, graph: Graph, registry: Registry) -> RangeAxis:
    """`NODE.PARAM=LO:HI[:log]` -> RangeAxis (numbers only)."""
    name, eq, bounds = text.partition("=")
    parts = bounds.split(":")
    if not eq or len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "log"):
        raise SweepError(f"--range '{text}': write NODE.PARAM=LO:HI or NODE.PARAM=LO:HI:log.")
    target, spec = parse_target(name.strip(), graph, registry)
    where = f"--range {target.key}"
    if spec.type not in RANGE_TYPES:
        raise SweepError(f"{where}: only whole-number and number parameters take a range; "
                         f"this one is {spec.type.value} (list its values with --param).")
    low, high = (parse_value(p, spec, where) for p in parts[:2])
    if not low < high:
        raise SweepError(f"{where}: LO must be below HI; got {low} and {high}.")
    log = len(parts) == 3
    if log and low <= 0:
        raise SweepError(f"{where}: a log range needs LO > 0; got {low}.")
    return RangeAxis(target, float(low), float(high), log, spec.type is ParamType.INT)


def make_plan(graph: Graph, registry: Registry, params: list[str], ranges: list[str],
              samples: int = 1, seeds: int = 1, metric: str | None = None,
              mode: str | None = None) -> SweepPlan:
    """Check every argument against the graph and its specs; SweepError on the first problem."""
    if not params and not ranges:
        raise SweepError("Nothing to sweep: give at least one --param or --range.")
    if samples < 1 or seeds < 1:
        raise SweepError("--samples and --seeds must be at least 1.")
    grid = [parse_grid(text, graph, registry) for text in params]
    sampled = [parse_range(text, graph, registry) for text in ranges]
    keys = [axis.target.key for axis in grid + sampled]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise SweepError(f"{', '.join(repeated)} is swept twice; give each parameter once.")
    base_seed = int(graph.settings.get("seed", 0))
    metric = metric or "train/loss"
    chosen = default_mode(metric) if mode is None else Mode(mode)
    return SweepPlan(grid, sampled, tuple(range(base_seed, base_seed + seeds)), samples,
                     metric, chosen)


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace(" ", "")
