"""Node types as data: NodeSpec, PortSpec, ParamSpec and their closed vocabularies.

Everything the palette, the inspector, validation and the docs know about a node type comes
from its spec; nothing about a node type is written twice.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from graph.views import View

Shape = Optional[tuple]  # noqa: UP045 (runtime alias)
"""A tensor shape: a tuple whose entries are ints, or None for the batch (or time) axis.
None as a whole shape means 'unknown until the data is loaded'."""


class PortKind(enum.Enum):
    """What travels along a wire. Ports connect only when kinds match."""

    TENSOR = "tensor"  # (batch, features...) array
    SEQUENCE = "sequence"  # (batch, time, features) array
    LOSS = "loss"  # scalar objective an optimizer minimises
    SPIKES = "spikes"  # (batch, neurons) 0/1 spike events per time step


class NodeRole(enum.Enum):
    """What part a node plays in a program, beyond computing its outputs."""

    LAYER = "layer"  # computes outputs from inputs (may own parameters): the default
    DATA = "data"  # feeds batches; its batch_size follows the optimizer's needs
    OPTIMIZER = "optimizer"  # consumes a loss and updates the parameters upstream of it
    TRAINER = "trainer"  # drives training phases or stopping (early stopping, schedules)


class Batching(enum.Enum):
    """What an optimizer needs from the data each step; the program and the data node's card
    follow it (an optimizer with several evaluations per step gets the whole split once)."""

    MINIBATCH = "minibatch"  # any batch: the data node's batch_size holds (SGD, Adam)
    FULL_BATCH = "full_batch"  # the whole training split, one step per epoch (quickProp)
    REEVALUATES = "reevaluates"  # full batch and several loss/gradient evaluations per step
    # (line searches, Levenberg-Marquardt): assumes the loss is deterministic


class TimeRole(enum.Enum):
    """How a node takes part in a loop unrolled over time (engines.scan)."""

    NONE = "none"
    SPLIT = "split"  # reads a sequence one step at a time: the loop runs once per step
    COLLECT = "collect"  # gathers a per-step value of a loop into a sequence


class ParamType(enum.Enum):
    """Value types a node parameter may take."""

    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    CHOICE = "choice"  # one of ParamSpec.choices (strings)
    STRING = "string"
    PATH = "path"  # a file on the user's disk
    INTS = "ints"  # a list of ints, e.g. layer sizes or a kernel shape
    FLOATS = "floats"  # a list of floats, e.g. initial weights


@dataclass(frozen=True)
class PortSpec:
    """A named input or output of a node type."""

    name: str
    kind: PortKind = PortKind.TENSOR
    doc: str = ""
    optional: bool = False  # an input that may stay unconnected


@dataclass(frozen=True)
class AppliesWhen:
    """A parameter that matters only while another parameter of the node has one of values
    (the inspector disables it otherwise and says why)."""

    param: str
    values: tuple

    def reason(self, params: dict) -> str | None:
        """None when it applies under params, else a sentence saying when it does."""
        value = params.get(self.param)
        if value in self.values:
            return None
        wanted = " or ".join(str(v) for v in self.values)
        return f"only used when {self.param} is {wanted} (it is {value})"


@dataclass(frozen=True)
class ParamSpec:
    """A parameter of a node type: its type, default, allowed values and meaning."""

    name: str
    type: ParamType
    default: Any
    doc: str = ""
    range: tuple | None = None  # (low, high) inclusive, for INT / FLOAT / INTS / FLOATS items
    choices: tuple = ()
    live: bool = False  # may change while a run goes (learning rate, temperature, noise)
    applies_when: AppliesWhen | None = None  # None: always applies

    def unused_because(self, params: dict) -> str | None:
        """Why this parameter does nothing under params (the node's effective values)."""
        return self.applies_when.reason(params) if self.applies_when else None

    def check(self, value: Any) -> str | None:
        """Return None when value is acceptable, otherwise a sentence saying why not."""
        problem = _TYPE_CHECKS[self.type](self, value)
        if problem is None and self.range is not None:
            low, high = self.range
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if (low is not None and item < low) or (high is not None and item > high):
                    return f"must lie in [{_fmt(low)}, {_fmt(high)}]; got {item!r}"
        return problem

    def coerce(self, value: Any) -> Any:
        """Convert a JSON-ish value to this parameter's Python type (int 3 -> 3.0 for FLOAT)."""
        if self.type is ParamType.FLOAT and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if self.type is ParamType.FLOATS and isinstance(value, (list, tuple)):
            return [float(v) if isinstance(v, int) and not isinstance(v, bool) else v
                    for v in value]
        if self.type is ParamType.INTS and isinstance(value, tuple):
            return list(value)
        return value


def _fmt(bound):
    return "-inf" if bound is None else repr(bound)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return (_is_int(value) or isinstance(value, float)) and value == value  # NaN fails


def _check_int(spec, value):
    return None if _is_int(value) else f"must be a whole number; got {value!r}"


def _check_float(spec, value):
    return None if _is_number(value) else f"must be a number; got {value!r}"


def _check_bool(spec, value):
    return None if isinstance(value, bool) else f"must be true or false; got {value!r}"


def _check_choice(spec, value):
    if value in spec.choices:
        return None
    return f"must be one of {', '.join(map(str, spec.choices))}; got {value!r}"


def _check_string(spec, value):
    return None if isinstance(value, str) else f"must be text; got {value!r}"


def _check_ints(spec, value):
    if isinstance(value, (list, tuple)) and all(_is_int(v) for v in value):
        return None
    return f"must be a list of whole numbers; got {value!r}"


def _check_floats(spec, value):
    if isinstance(value, (list, tuple)) and all(_is_number(v) for v in value):
        return None
    return f"must be a list of numbers; got {value!r}"


_TYPE_CHECKS: dict[ParamType, Callable[[ParamSpec, Any], str | None]] = {
    ParamType.INT: _check_int,
    ParamType.FLOAT: _check_float,
    ParamType.BOOL: _check_bool,
    ParamType.CHOICE: _check_choice,
    ParamType.STRING: _check_string,
    ParamType.PATH: _check_string,
    ParamType.INTS: _check_ints,
    ParamType.FLOATS: _check_floats,
}

ShapeFn = Callable[[dict, dict], tuple]
"""infer_shapes(params, in_shapes) -> (out_shapes, param_shapes).

in_shapes maps each connected input port to its Shape; out_shapes maps each output port to a
Shape; param_shapes maps each trainable parameter name to its shape (ints only), from which the
canvas counts parameters. Raise ShapeError with a user-facing sentence on a mismatch."""


class ShapeError(ValueError):
    """Raised by infer_shapes when the inputs cannot feed this node; the message is shown."""


class ParamError(ValueError):
    """Parameter values a node type cannot take. `problems` lists (name, reason) pairs, each
    reason a phrase such as "must be a number; got 'x'"; str() names the node when given."""

    def __init__(self, problems: list[tuple[str, str]], where: str = ""):
        self.problems = problems
        self.where = where
        text = "; ".join(f"parameter '{name}' {reason}" for name, reason in problems)
        super().__init__(f"{where}: {text}." if where else f"{text[0].upper()}{text[1:]}.")


def no_params_same_shape(params: dict, in_shapes: dict) -> tuple:
    """Shape rule for elementwise nodes: every output has the shape of the first input."""
    shape = next(iter(in_shapes.values()), None)
    return {"y": shape}, {}


@dataclass(frozen=True)
class NodeSpec:
    """Everything a node type declares about itself, as data."""

    type_id: str  # "core.dense": pack name, dot, node name
    title: str
    category: str  # palette group: Data, Layers, Activations, Losses, Optimizers, ...
    doc: str
    inputs: tuple = ()
    outputs: tuple = ()
    params: tuple = ()
    infer_shapes: ShapeFn | None = None
    delay: bool = False  # a z^-1 node: cycles through it are legal
    role: NodeRole = NodeRole.LAYER
    differentiable: bool = True  # False: no gradient flows back through this node
    views: tuple[View, ...] = ()  # the docks this node type offers (graph.views)
    time: TimeRole = TimeRole.NONE  # SPLIT / COLLECT: where a loop over time starts and ends
    batching: Batching = Batching.MINIBATCH  # optimizers: the data they need per step
    stochastic: bool = False  # draws random numbers while training (dropout, noise)
    # Data nodes: check_files(resolved params) -> why the files they name cannot be used, or
    # None. Validation calls it; it must read at most a few KiB of each file.
    check_files: Callable[[dict], str | None] | None = None
    # what the node computes, in Unicode math, shown on its card with View > Show Formulas
    formula: str = ""

    def param(self, name: str) -> ParamSpec:
        """The ParamSpec called name (KeyError naming the node type if absent)."""
        for spec in self.params:
            if spec.name == name:
                return spec
        raise KeyError(f"Node type '{self.type_id}' has no parameter '{name}'.")

    def has_param(self, name: str) -> bool:
        return any(p.name == name for p in self.params)

    def input(self, name: str) -> PortSpec | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> PortSpec | None:
        return next((p for p in self.outputs if p.name == name), None)

    def defaults(self) -> dict:
        """A fresh dict of every parameter's default value."""
        return {p.name: _copy(p.default) for p in self.params}

    def resolve_value(self, name: str, value: Any, *, where: str = "") -> Any:
        """value for parameter name, coerced to its type and checked; ParamError if bad."""
        try:
            param = self.param(name)
        except KeyError:
            raise ParamError([(name, f"is not a parameter of {self.title}")], where) from None
        value = param.coerce(value)
        try:
            reason = param.check(value)
        except Exception as exc:  # a value no check foresaw (e.g. a list for a number)
            reason = f"has an unusable value {value!r} ({type(exc).__name__})"
        if reason:
            raise ParamError([(name, reason)], where)
        return value

    def resolve(self, params: dict, *, where: str = "") -> dict:
        """Every parameter's value: its default unless params sets it, coerced and checked.

        The one place that works out a node's effective parameters (files, shapes, the
        compiler, the session and the inspector use it). Raises ParamError listing every
        unknown or unacceptable parameter at once; where ("Dense 'h1'") prefixes its message.
        """
        values = self.defaults()
        problems = []
        for name, value in params.items():
            try:
                values[name] = self.resolve_value(name, value)
            except ParamError as exc:
                problems += exc.problems
        if problems:
            raise ParamError(problems, where)
        return values


def _copy(value):
    return list(value) if isinstance(value, (list, tuple)) else value
