"""ExportModel -> standalone Python source: a NumPy module with predict(x), or a PyTorch module.

Both read the same .npz of weights ('node/name' keys, loaded with allow_pickle=False). The
op emitters (engines.export.ops and packs' own OpKinds) append lines through NumpyCode or
TorchCode; this module adds the header, the weight loader and the function around them.
"""

from __future__ import annotations

import keyword
import re

_RESERVED = {"np", "torch", "nn", "os", "W", "weights", "self", "model", "arrays", "path"}


class _Code:
    """Shared by both targets: Python names for values, and the lines of the forward pass."""

    def __init__(self, model):
        self.model = model
        self.lines: list = []
        self._names: dict = {}
        self._taken: set = set(_RESERVED)
        for port in model.inputs:
            self._names[port.name] = port.name
            self._taken.add(port.name)

    def v(self, value: str) -> str:
        """The Python variable holding value."""
        if value not in self._names:
            self._names[value] = self._unique(value)
        return self._names[value]

    def _unique(self, hint: str) -> str:
        base = re.sub(r"\W", "_", hint).strip("_") or "v"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = f"v_{base}"
        name, n = base, 2
        while name in self._taken:
            name, n = f"{base}_{n}", n + 1
        self._taken.add(name)
        return name

    def line(self, text: str) -> None:
        self.lines.append(text)

    def shape(self, key: str) -> tuple:
        return tuple(int(d) for d in self.model.weights[key].shape)


class NumpyCode(_Code):
    """Source lines of predict(); weights are read from the dict `W`."""

    def __init__(self, model):
        super().__init__(model)
        self.helpers: dict = {}

    def w(self, key: str) -> str:
        return f"W[{key!r}]"

    def helper(self, name: str, source: str) -> None:
        """Include a module-level function (once)."""
        self.helpers.setdefault(name, source)


class TorchCode(_Code):
    """Submodules for __init__, lines for forward(), and weight copies for the loader."""

    def __init__(self, model):
        super().__init__(model)
        self.modules: list = []  # (attribute, constructor)
        self.loads: list = []  # (target expression on `model`, weight key, transpose)
        self.helpers: dict = {}
        self._attrs: set = set()
        self._shared: dict = {}  # (hint, constructor, weights) -> attribute

    def helper(self, name: str, source: str) -> None:
        """Include a module-level function (once)."""
        self.helpers.setdefault(name, source)

    def module(self, op, constructor: str) -> str:
        """Add a submodule named after op's node (and op.attrs['name']); returns 'self.<attr>'.

        An op repeated with the same node, constructor and weights (a loop over time unrolled)
        reuses the first one's submodule."""
        hint = op.node_id + (f"_{op.attrs['name']}" if "name" in op.attrs else "")
        key = (hint, constructor, tuple(sorted(op.weights.items())))
        if key not in self._shared:
            self._shared[key] = self._attribute(hint, constructor)
        return self._shared[key]

    def _attribute(self, hint: str, constructor: str) -> str:
        base = re.sub(r"\W", "_", hint).strip("_") or "layer"
        if base[0].isdigit() or keyword.iskeyword(base) or base in _MODULE_ATTRIBUTES:
            base = f"layer_{base}"
        attr, n = base, 2
        while attr in self._attrs:
            attr, n = f"{base}_{n}", n + 1
        self._attrs.add(attr)
        self.modules.append((attr, constructor))
        return f"self.{attr}"

    def load(self, target: str, key: str, transpose: bool = False) -> None:
        """Copy exported weight `key` into `target` ('self.hidden.weight') when loading
        (key None: fill it with zeros)."""
        entry = (target.replace("self.", "model.", 1), key, transpose)
        if entry not in self.loads:
            self.loads.append(entry)

    def param(self, key: str) -> str:
        """A plain nn.Parameter holding weight `key` (for ops without a fitting layer)."""
        if ("param", key) not in self._shared:
            shape = ", ".join(str(d) for d in self.shape(key))
            attr = self._attribute(key, f"nn.Parameter(torch.zeros({shape}))")
            self.load(attr, key)
            self._shared[("param", key)] = attr
        return self._shared[("param", key)]


# attributes nn.Module already has, which a submodule must not shadow
_MODULE_ATTRIBUTES = frozenset({
    "training", "forward", "eval", "train", "parameters", "modules", "children", "cuda", "cpu",
    "float", "double", "half", "to", "type", "state_dict", "apply", "zero_grad"})


def _doc(model, what: str, stem: str, usage: str) -> str:
    return (f'"""{model.name}: the inference part of a Dendrite graph, as {what}.\n\n'
            f"Exported by Dendrite {model.version} from the graph '{model.name}'.\n"
            f"Input shape: {model.describe_inputs()}.\n"
            f"Output shape: {model.describe_outputs()}.\n"
            f"Weights: {stem}.npz beside this file ('node/name' arrays).\n\n"
            f"{usage}\n"
            '"""\n')


def _header(model, stem: str) -> list:
    inputs = {p.name: (None, *p.shape) for p in model.inputs}
    outputs = {p.name: (None, *p.shape) for p in model.outputs}
    return [
        f"GRAPH_NAME = {model.name!r}",
        f"DENDRITE_VERSION = {model.version!r}",
        f"INPUT_SHAPES = {inputs!r}",
        f"OUTPUT_SHAPES = {outputs!r}",
        "WEIGHTS_FILE = __file__[:-len('.py')] + '.npz'  # the .npz beside this file",
    ]


def _returned(code, model) -> str:
    return ", ".join(code.v(p.name) for p in model.outputs)


def numpy_source(model, stem: str) -> str:
    """A module importing only numpy, with load_weights() and predict(x)."""
    code = NumpyCode(model)
    for op in model.ops:
        op.kind.numpy(op, code)
    args = ", ".join(p.name for p in model.inputs)
    usage = f"    import {stem}\n    y = {stem}.predict({args})   # float32 arrays"
    helpers = "".join(f"\n\n{source}\n" for source in code.helpers.values())
    converts = "".join(f"    {p.name} = np.asarray({p.name}, dtype=np.float32)\n"
                       for p in model.inputs)
    body = "".join(f"    {line}\n" for line in code.lines)
    header = "\n".join(_header(model, stem))
    return f'''{_doc(model, "plain NumPy", stem, usage)}
import numpy as np

{header}
_cache = {{}}


def load_weights(path=WEIGHTS_FILE):
    """The exported weights: 'node/name' -> float32 array."""
    with np.load(path, allow_pickle=False) as archive:
        return {{key: archive[key] for key in archive.files}}
{helpers}

def predict({args}, weights=None):
    """The graph's output ({model.describe_outputs()}) for {model.describe_inputs()}."""
    if weights is None:
        if "weights" not in _cache:
            _cache["weights"] = load_weights()
        weights = _cache["weights"]
    W = weights
{converts}{body}    return {_returned(code, model)}
'''


def class_name(name: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", name)
    text = "".join(word[:1].upper() + word[1:] for word in words) or "Model"
    return text if text[0].isalpha() else f"Model{text}"


def torch_source(model, stem: str) -> str:
    """A module with an nn.Module mirroring the graph, load_weights(model) and load_model()."""
    code = TorchCode(model)
    for op in model.ops:
        op.kind.torch(op, code)
    cls = class_name(model.name)
    args = ", ".join(p.name for p in model.inputs)
    usage = (f"    import {stem}\n    model = {stem}.load_model()\n"
             f"    y = model(torch.from_numpy(x))   # float32 tensors")
    inits = "".join(f"        self.{attr} = {ctor}\n" for attr, ctor in code.modules)
    body = "".join(f"        {line}\n" for line in code.lines)
    loads = "".join(
        f"        {target}.zero_()\n" if key is None else
        f"        {target}.copy_(torch.from_numpy(arrays[{key!r}]){'.T' if t else ''})\n"
        for target, key, t in code.loads) or "        pass\n"
    header = "\n".join(_header(model, stem))
    helpers = "".join(f"\n\n{source}\n" for source in code.helpers.values())
    return f'''{_doc(model, "a PyTorch module", stem, usage)}
import numpy as np
import torch
from torch import nn

{header}
{helpers}


class {cls}(nn.Module):
    """The layers of '{model.name}', one attribute per graph node."""

    def __init__(self):
        super().__init__()
{inits}
    def forward(self, {args}):
{body}        return {_returned(code, model)}


def load_weights(model, path=WEIGHTS_FILE):
    """Copy the exported weights into model (a {cls}); returns model."""
    with np.load(path, allow_pickle=False) as arrays, torch.no_grad():
{loads}    return model


def load_model(path=WEIGHTS_FILE):
    """A {cls} with the exported weights, in evaluation mode."""
    return load_weights({cls}(), path).eval()
'''
