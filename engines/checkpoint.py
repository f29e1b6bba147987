"""Checkpoints: a program's complete state at the end of an epoch, put back later.

"Complete" is found, not listed: a walk from the Program through every object, container
and kernel closure it reaches collects each array (weights, optimizer moments, delay and
chain buffers), each random generator's state (initialisers, shuffles, noise, sampling) and
each plain value held in an attribute, dict, list or closure cell (step counters, the data
order's position, a stop rule's best loss). Restoring walks a program the same way and puts
every value back in place, so a program compiled again from the same graph and seed takes a
checkpoint of another. The Session's history (what stop rules read) and the epoch to go on
from are kept beside it. Files: arrays in an .npz (no pickles), the rest as JSON.
"""

from __future__ import annotations

import copy
import enum
import functools
import importlib
import json
import types
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engines.backend import Backend
from graph.model import Graph
from graph.registry import Registry
from graph.spec import NodeSpec

_SCALARS = (bool, int, float, str, bytes, complex, type(None), np.generic, enum.Enum)
_SKIP = (types.ModuleType, type, Graph, Registry, NodeSpec, Backend, np.random.SeedSequence)
# code, not state: a compiled kernel (Numba's dispatchers reach llvmlite's wrappers, whose
# __dict__ is no dict) holds nothing a run changes
_SKIP_MODULES = ("PySide6", "threading", "queue", "_thread", "logging", "concurrent", "numba",
                 "llvmlite")


class CheckpointError(ValueError):
    """A checkpoint cannot be taken, stored or put back (the message says why)."""


@dataclass
class Checkpoint:
    """A program's state after epoch `epoch` (0-based) and the history up to it."""

    epoch: int
    step: int
    values: dict  # path -> array, generator state or plain value
    kinds: dict  # path -> 'array', 'rng' or the kind of slot a plain value sat in
    history: object = None  # the Session's EpochHistory (deep copy)
    meta: dict = field(default_factory=dict)

    @property
    def next_epoch(self) -> int:
        return self.epoch + 1


def _is_cupy(value) -> bool:
    return type(value).__module__.split(".")[0] == "cupy"


def _slots(root):
    """(path, kind, holder, key, value) for every value a program's state is made of: kind
    'array' (an array, put back in place), 'rng' (a generator's state), or a plain value;
    holder and key say where the value sits (an object attribute 'attr', a dict or list
    'item', a closure 'cell'), so a slot whose value was made lazily (an array allocated at
    the first step) can be filled. Paths name the way from the root (attributes, keys,
    indexes, closure variable names); a value reached twice is met once, at its first path."""
    seen: set[int] = set()
    stack = [("", "root", None, None, root)]
    while stack:
        path, kind, holder, key, value = stack.pop()
        if isinstance(value, _SCALARS):
            if holder is not None:
                yield path, kind, holder, key, value
            continue
        is_array = isinstance(value, np.ndarray) or (_is_cupy(value) and hasattr(value, "shape"))
        if is_array:  # every path: an array may be a buffer's storage and its batch view
            yield path, "array", holder, key, value
            continue
        if isinstance(value, (np.random.Generator, np.random.RandomState)):
            if id(value) not in seen:
                seen.add(id(value))
                yield path, "rng", holder, key, value
            continue
        if id(value) in seen or isinstance(value, _SKIP) or \
                type(value).__module__.split(".")[0] in _SKIP_MODULES:
            continue
        seen.add(id(value))
        children: list = []
        if isinstance(value, dict):
            children = [(f"{path}[{k!r}]", "item", value, k, v) for k, v in value.items()]
        elif isinstance(value, (list, deque)):
            children = [(f"{path}[{i}]", "item", value, i, v) for i, v in enumerate(value)]
        elif isinstance(value, (tuple, frozenset, set)):
            items = value if isinstance(value, tuple) else sorted(value, key=repr)
            children = [(f"{path}<{i}>", "item", None, None, v) for i, v in enumerate(items)]
        elif isinstance(value, types.FunctionType):
            names = value.__code__.co_freevars
            for name, cell in zip(names, value.__closure__ or ()):
                try:
                    children.append((f"{path}.{value.__name__}:{name}", "cell", cell, None,
                                     cell.cell_contents))
                except ValueError:  # an empty cell
                    continue
        elif isinstance(value, types.MethodType):
            children = [(f"{path}.__self__", "item", None, None, value.__self__),
                        (f"{path}.__func__", "item", None, None, value.__func__)]
        elif isinstance(value, functools.partial):
            children = [(f"{path}.func", "item", None, None, value.func),
                        (f"{path}.args", "item", None, None, value.args),
                        (f"{path}.keywords", "item", None, None, value.keywords)]
        else:
            attrs = getattr(value, "__dict__", None)
            if attrs is not None:
                children = [(f"{path}.{k}", "attr", value, k, v) for k, v in attrs.items()]
            for name in getattr(type(value), "__slots__", ()):
                if hasattr(value, name):
                    children.append((f"{path}.{name}", "attr", value, name,
                                     getattr(value, name)))
        stack.extend(reversed(children))


def _rng_state(rng):
    if isinstance(rng, np.random.Generator):
        return copy.deepcopy(rng.bit_generator.state)
    return rng.get_state(legacy=False)


def capture(program, session=None, epoch: int = -1) -> Checkpoint:
    """The program's state now (call between steps, e.g. from Session.epoch_ends)."""
    values, kinds = {}, {}
    for path, kind, _holder, _key, value in _slots(program):
        if kind == "array":
            values[path] = value.get() if _is_cupy(value) else np.array(value, copy=True)
            kind = "view" if getattr(value, "base", None) is not None else kind
        elif kind == "rng":
            values[path] = _rng_state(value)
        else:
            values[path] = value
        kinds[path] = kind
    history = copy.deepcopy(session.history) if session is not None else None
    return Checkpoint(epoch, program.phase.step, values, kinds, history,
                      {"params": _param_shapes(program)})


def _param_shapes(program) -> dict:
    """'node/name' -> shape of every saved parameter: what identifies the graph compiled."""
    return {f"{node}/{name}": list(buf.value.shape) for (node, name), buf
            in program.params.items()}


def _put(holder, key, kind, value) -> None:
    if kind == "attr":
        setattr(holder, key, value)
    elif kind == "item" and holder is not None:
        holder[key] = value
    elif kind == "cell":
        holder.cell_contents = value


def restore(program, checkpoint: Checkpoint, session=None) -> None:
    """Put checkpoint's state into program (the same one, or one compiled again from the
    same graph and seed); CheckpointError when the program is made differently."""
    saved, kinds = checkpoint.values, checkpoint.kinds
    shapes = _param_shapes(program)
    if checkpoint.meta.get("params") not in (None, shapes):
        raise CheckpointError("The checkpoint's parameters do not match this program's: it "
                              "was taken of another graph.")
    found = 0
    for path, kind, holder, key, value in list(_slots(program)):
        if path not in saved:
            continue
        found += 1
        old = saved[path]
        if kinds[path] in ("array", "view"):
            if kind == "array" and tuple(value.shape) == tuple(old.shape):
                if _is_cupy(value):
                    value.set(np.ascontiguousarray(old, dtype=value.dtype))
                elif value.flags.writeable:
                    np.copyto(value, old)
            elif kind == "array" and (kinds[path] == "view"
                                      or getattr(value, "base", None) is not None):
                continue  # a view of a batch-sized buffer, re-pointed at the next load
            else:  # replaced or made lazily since (a state dict's entry): fill the slot
                _put(holder, key, kind, np.array(old, copy=True))
        elif kinds[path] == "rng":
            if isinstance(value, np.random.Generator):
                value.bit_generator.state = copy.deepcopy(old)
            elif isinstance(value, np.random.RandomState):
                value.set_state(old)
        elif kind not in ("array", "rng"):
            _put(holder, key, kind, old)
    if found < len(saved) // 2:
        raise CheckpointError(f"Only {found} of the checkpoint's {len(saved)} values have a "
                              "place in this program: it was compiled from another graph.")
    if session is not None and checkpoint.history is not None:
        session.history = copy.deepcopy(checkpoint.history)


# -- files -------------------------------------------------------------------------------------
def _encode(value):
    if isinstance(value, enum.Enum):
        return {"enum": f"{type(value).__module__}:{type(value).__qualname__}",
                "name": value.name}
    if isinstance(value, np.generic):
        return {"np": str(value.dtype), "v": value.item()}
    if isinstance(value, (bytes, complex)):
        raise CheckpointError(f"A value of type {type(value).__name__} cannot be stored.")
    if isinstance(value, float) and value != value:
        return {"float": "nan"}
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return {"float": "inf" if value > 0 else "-inf"}
    if isinstance(value, dict):
        return {"dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return {"list" if isinstance(value, list) else "tuple": [_encode(v) for v in value]}
    return value


def _decode(value):
    if not isinstance(value, dict):
        return value
    if "enum" in value:
        module, _, name = value["enum"].partition(":")
        if module.split(".")[0] not in ("engines", "graph", "plugins"):
            raise CheckpointError(f"A checkpoint names the type {value['enum']}, which is "
                                  "not Dendrite's.")
        return getattr(importlib.import_module(module), name)[value["name"]]
    if "np" in value:
        return np.dtype(value["np"]).type(value["v"])
    if "float" in value:
        return float(value["float"])
    if "dict" in value:
        return {_decode(k): _decode(v) for k, v in value["dict"]}
    if "list" in value:
        return [_decode(v) for v in value["list"]]
    if "tuple" in value:
        return tuple(_decode(v) for v in value["tuple"])
    raise CheckpointError(f"A checkpoint value {value!r} cannot be read.")


def save(checkpoint: Checkpoint, folder) -> Path:
    """Write checkpoint as folder/checkpoint-<epoch>.npz + .json; returns the .json path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"checkpoint-{checkpoint.epoch + 1:06d}"
    arrays, plain = {}, {}
    for index, (path, value) in enumerate(checkpoint.values.items()):
        if isinstance(value, np.ndarray):
            arrays[f"a{index}"] = value
            plain[path] = {"array": f"a{index}"}
        else:
            plain[path] = _encode(value)
    np.savez(stem.with_suffix(".npz"), **arrays)
    history = checkpoint.history
    document = {"epoch": checkpoint.epoch, "step": checkpoint.step, "values": plain,
                "kinds": checkpoint.kinds, "meta": checkpoint.meta,
                "history": None if history is None else {
                    "recent": list(history._recent), "count": len(history),
                    "lowest": history._lowest, "highest": history._highest}}
    path = stem.with_suffix(".json")
    path.write_text(json.dumps(_encode_document(document)), encoding="utf-8")
    return path


def _encode_document(document: dict) -> dict:
    document = dict(document)
    if document["history"] is not None:
        document["history"] = _encode(document["history"])
    return document


def load(path) -> Checkpoint:
    """Read a checkpoint written by save (arrays loaded with allow_pickle=False)."""
    from engines.history import EpochHistory
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        with np.load(path.with_suffix(".npz"), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: cannot be read as a checkpoint ({exc}).") from None
    values = {path: arrays[v["array"]] if isinstance(v, dict) and "array" in v else _decode(v)
              for path, v in document["values"].items()}
    history = None
    if document.get("history") is not None:
        saved = _decode(document["history"])
        history = EpochHistory()
        for metrics in saved["recent"]:
            history.append(metrics)
        history._count = saved["count"]
        history._lowest, history._highest = saved["lowest"], saved["highest"]
    return Checkpoint(document["epoch"], document["step"], values, document["kinds"], history,
                      document.get("meta", {}))


# -- during a run ------------------------------------------------------------------------------
CHECKPOINT_DIR = "checkpoints"
DEFAULT_EVERY = 10  # epochs between checkpoints when a graph does not say
DEFAULT_BUDGET_MB = 200  # disk a run's checkpoints may take; the oldest go first


class CheckpointWriter:
    """Session.epoch_ends hook: every `every` epochs, the program's complete state to
    folder, keeping the newest checkpoints that fit in budget_bytes (at least the newest)."""

    def __init__(self, session, folder, every: int = DEFAULT_EVERY,
                 budget_bytes: int = DEFAULT_BUDGET_MB << 20):
        self.session = session
        self.folder = Path(folder)
        self.every = int(every)
        self.budget = int(budget_bytes)
        self.error: str | None = None  # why checkpoints stopped, if they did

    def __call__(self, epoch: int) -> None:
        if self.every <= 0 or self.error or (epoch + 1) % self.every:
            return
        try:
            save(capture(self.session.program, self.session, epoch), self.folder)
        except (CheckpointError, OSError) as exc:
            self.error = str(exc)  # the run goes on without checkpoints
            return
        kept = list_checkpoints(self.folder)
        sizes = {path: _size(path) for _, path in kept}
        while len(kept) > 1 and sum(sizes[p] for _, p in kept) > self.budget:
            _, oldest = kept.pop(0)
            for file in (oldest, oldest.with_suffix(".npz")):
                file.unlink(missing_ok=True)


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in (path, path.with_suffix(".npz")) if f.exists())


def list_checkpoints(folder) -> list[tuple[int, Path]]:
    """(epoch after which it was taken, 1-based; its .json file), oldest first."""
    folder = Path(folder)
    found = []
    for path in sorted(folder.glob("checkpoint-*.json")) if folder.is_dir() else []:
        try:
            found.append((int(path.stem.split("-")[1]), path))
        except (IndexError, ValueError):
            continue
    return found


def attach_checkpoints(session, run_folder, settings: dict) -> CheckpointWriter:
    """Keep checkpoints of session's run in run_folder/checkpoints as the graph's settings
    say (checkpoint_every epochs, 0 for none; checkpoint_mb of disk). Unset, a run keeps
    about ten: every tenth of its epochs, at least every DEFAULT_EVERY."""
    every = settings.get("checkpoint_every",
                         max(DEFAULT_EVERY, int(settings.get("epochs", 0)) // 10))
    writer = CheckpointWriter(session, Path(run_folder) / CHECKPOINT_DIR, every,
                              settings.get("checkpoint_mb", DEFAULT_BUDGET_MB) << 20)
    session.epoch_ends.append(writer)
    return writer


def branch(session, checkpoint: Checkpoint, live_edits: dict | None = None) -> None:
    """Make a not yet started session go on from checkpoint: the epochs after it, its state
    put back once the program's begin hooks ran, then live_edits {(node, param): value}
    applied (each a LiveEdit of the branch)."""
    session.start_epoch = checkpoint.next_epoch
    program = session.program

    def resume_state():
        restore(program, checkpoint, session)
        for (node_id, name), value in (live_edits or {}).items():
            session.set_param(node_id, name, value)
    session.resume_state = resume_state
