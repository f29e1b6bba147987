"""Graph files: versioned JSON documents (`.dgraph`), saved atomically, loaded defensively.

A file holds data only, never code:

    {"format": "dendrite-graph", "version": 2, "name": "xor",
     "description": "optional one line for the Examples menu",
     "settings": {"epochs": 100, "seed": 0, "engine": "auto"},
     "nodes": [{"id": "h", "type": "core.dense", "title": "", "params": {"units": 4},
                "position": [120.0, 40.0]}],
     "edges": [{"from": "data.x", "to": "h.x"}],
     "ties": [{"node": "decoder", "source": "encoder", "transpose": true}],
     "groups": [{"id": "group", "title": "Encoder", "members": ["h"], "position": [0, 0]}]}

"ties" (version 2, optional) lists weight ties (graph.ties); "groups" (version 3, optional)
lists groups (graph.groups), inner groups before the groups holding them; "reroutes" (version
3, optional) the points wires bend through: [{"from", "to", "points": [[x, y], ...]}];
"frames" (version 3, optional) titled backdrops: [{"id", "title", "rect": [x, y, w, h]}]. An
older file is brought up to the current version by MIGRATIONS, one version step at a time,
before it is read; every version ever written keeps loading.

Every way loading can fail raises GraphFileError naming the file and the culprit.

File parameters (ParamType.PATH) written as relative paths are relative to the graph file's
folder, wherever the program runs from: loading makes them absolute, and saving writes a path
inside the file's folder (or below it) relative again, so a graph and its data move together.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from graph.frames import Frame
from graph.gc_pause import without_cyclic_gc
from graph.groups import Group
from graph.model import Edge, Graph, GraphError, Node, settings_problem
from graph.registry import Registry, unknown_type_message
from graph.spec import ParamError, ParamType
from graph.ties import Tie

FORMAT_NAME = "dendrite-graph"
FORMAT_VERSION = 3
SUFFIX = ".dgraph"
MAX_FILE_BYTES = 64 * 1024 * 1024  # far above any real graph; stops a stray huge file early

_TOP_KEYS = {"format", "version", "name", "description", "settings", "nodes", "edges", "ties",
             "groups", "reroutes", "frames"}
_NODE_KEYS = {"id", "type", "title", "params", "position"}
_EDGE_KEYS = {"from", "to"}
_TIE_KEYS = {"node", "source", "transpose"}
_GROUP_KEYS = {"id", "title", "members", "position", "port_names"}
_REROUTE_KEYS = {"from", "to", "points"}
_FRAME_KEYS = {"id", "title", "rect"}


class GraphFileError(ValueError):
    """A graph file cannot be read or written; str() names the file and what is wrong."""

    def __init__(self, source: str | os.PathLike, message: str):
        self.source = str(source)
        self.reason = message
        super().__init__(f"{self.source}: {message}")


class _Bad(Exception):
    """Internal: a problem found while reading a document, before the source is attached."""


# -- writing -----------------------------------------------------------------------------------
def graph_to_dict(graph: Graph, folder: str | os.PathLike | None = None) -> dict:
    """The JSON-ready document for graph (lists, not tuples; positions as [x, y]); with
    folder, file parameters inside it are written relative to it."""
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": graph.name,
        "description": graph.description,
        "settings": dict(graph.settings),
        "nodes": [
            {"id": node.id, "type": node.type_id, "title": node.title,
             "params": {name: _plain(value) for name, value in node.params.items()},
             "position": [float(node.position[0]), float(node.position[1])]}
            for node in graph.nodes.values()
        ],
        "edges": [{"from": f"{e.src}.{e.src_port}", "to": f"{e.dst}.{e.dst_port}"}
                  for e in graph.edges],
    }
    if not graph.description:
        del document["description"]
    if graph.ties:
        document["ties"] = [{"node": t.node, "source": t.source, "transpose": t.transpose}
                            for t in graph.ties.values()]
    if graph.groups:
        document["groups"] = _groups_to_list(graph)
    reroutes = [{"from": f"{e.src}.{e.src_port}", "to": f"{e.dst}.{e.dst_port}",
                 "points": [list(p) for p in points]}
                for e, points in graph.reroutes.items() if e in graph.edges]
    if reroutes:
        document["reroutes"] = reroutes
    if graph.frames:
        document["frames"] = [{"id": f.id, "title": f.title, "rect": list(f.rect)}
                              for f in graph.frames.values()]
    if folder is not None and graph.registry is not None:
        base = os.path.abspath(folder)
        for item, node in zip(document["nodes"], graph.nodes.values()):
            for name in _path_params(node, graph.registry):
                item["params"][name] = _relative_to(item["params"][name], base)
    return document


def _path_params(node: Node, registry: Registry) -> list[str]:
    """Names of node's file parameters."""
    node_type = registry.find(node.type_id)
    if node_type is None:
        return []
    return [spec.name for spec in node_type.spec.params
            if spec.type is ParamType.PATH and spec.name in node.params]


def _relative_to(value: Any, base: str) -> Any:
    """value relative to base (with '/') when it is an absolute path inside base."""
    if not isinstance(value, str) or not value or not os.path.isabs(value):
        return value
    try:
        inside = os.path.commonpath([base, os.path.abspath(value)]) == base
    except ValueError:  # another drive
        return value
    return Path(os.path.relpath(value, base)).as_posix() if inside else value


def anchor_paths(graph: Graph, registry: Registry, folder: str | os.PathLike) -> None:
    """Make graph's relative file parameters absolute, relative to folder."""
    base = os.path.abspath(folder)
    for node in graph.nodes.values():
        for name in _path_params(node, registry):
            value = node.params[name]
            if isinstance(value, str) and value and not os.path.isabs(value):
                node.params[name] = os.path.normpath(os.path.join(base, value))


def _groups_to_list(graph: Graph) -> list:
    """Groups with members that still exist, inner ones first (so reading can check them)."""
    written, out = set(), []

    def write(group_id: str) -> None:
        if group_id in written:
            return
        written.add(group_id)
        group = graph.groups[group_id]
        members = [m for m in group.members if m in graph.nodes or m in graph.groups]
        for member in members:
            if member in graph.groups:
                write(member)
        item = {"id": group.id, "title": group.title, "members": members,
                "position": [float(group.position[0]), float(group.position[1])]}
        if group.port_names:
            item["port_names"] = {inner: name for inner, name in group.port_names}
        out.append(item)

    for group_id in graph.groups:
        write(group_id)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def graph_to_json(graph: Graph, folder: str | os.PathLike | None = None) -> str:
    """The file text for graph (file parameters inside folder relative to it). Raises
    GraphFileError if a value is not plain JSON data."""
    try:
        text = json.dumps(graph_to_dict(graph, folder), indent=2, allow_nan=False,
                          ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise GraphFileError(graph.name, f"cannot be written as JSON ({exc}).") from None
    return _FLAT_CONTAINER.sub(_one_line, text) + "\n"


# A list or object with no nested container, spread over lines by indent=2. JSON strings hold
# no raw newlines or unbalanced brackets that matter here, so collapsing is safe.
_FLAT_CONTAINER = re.compile(r"([\[{])\n\s*([^\[\]{}]*?)\n\s*([\]}])")


def _one_line(match: re.Match) -> str:
    """Put short flat lists and objects (positions, wires) on one line for readable diffs."""
    inner = re.sub(r",\n\s*", ", ", match.group(2))
    line = f"{match.group(1)}{inner}{match.group(3)}"
    return line if len(line) <= 80 and "\n" not in inner else match.group(0)


def save_graph(graph: Graph, path: str | os.PathLike) -> None:
    """Write graph to path atomically: a temp file in the same folder, fsync, then rename.

    If anything fails, the previous file at path is left as it was. Raises GraphFileError.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    text = graph_to_json(graph, folder)
    try:
        fd, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise GraphFileError(path, f"cannot be saved ({exc.strerror or exc}).") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, _file_mode(path))
        os.replace(temp_name, path)
    except BaseException as exc:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise GraphFileError(path, f"cannot be saved ({exc.strerror or exc}).") from None
        raise
    _fsync_folder(folder)


def _file_mode(path: Path) -> int:
    """Keep an existing file's permissions; new files get 0666 minus the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- reading -----------------------------------------------------------------------------------
def load_graph(path: str | os.PathLike, registry: Registry) -> Graph:
    """Read a graph file; every failure raises GraphFileError naming path and the culprit."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise GraphFileError(path, f"cannot be read ({exc.strerror or exc}).") from None
    if len(data) > MAX_FILE_BYTES:
        raise GraphFileError(path, f"is larger than {MAX_FILE_BYTES >> 20} MiB; it is not a "
                                   "graph file.")
    graph = graph_from_json(data, registry, source=path, default_name=path.stem)
    anchor_paths(graph, registry, path.parent)
    return graph


@without_cyclic_gc
def graph_from_json(text: str | bytes, registry: Registry, *, source: Any = "<graph>",
                    default_name: str = "untitled") -> Graph:
    """Parse file text (str or UTF-8 bytes) into a Graph; raises GraphFileError."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        document = json.loads(text, parse_constant=_reject_constant,
                              object_pairs_hook=_unique_keys)
    except UnicodeDecodeError as exc:
        raise GraphFileError(source, f"is not UTF-8 text (byte {exc.start}); it is not a "
                                     "graph file.") from None
    except json.JSONDecodeError as exc:
        raise GraphFileError(source, f"is not valid JSON: {exc.msg} at line {exc.lineno}, "
                                     f"column {exc.colno}.") from None
    except _Bad as exc:
        raise GraphFileError(source, f"is not valid JSON: {exc}") from None
    except RecursionError:
        raise GraphFileError(source, "is nested too deeply to be a graph file.") from None
    except MemoryError:
        raise GraphFileError(source, "is too large to read.") from None
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise GraphFileError(source, f"cannot be parsed ({type(exc).__name__}: "
                                         f"{str(exc)[:120]}).") from None
        raise GraphFileError(source, _long_integer_message(text)) from None
    except Exception as exc:  # anything else the decoder may raise on hostile input
        raise GraphFileError(source, f"cannot be parsed ({type(exc).__name__}: "
                                     f"{str(exc)[:120]}).") from None
    return graph_from_dict(document, registry, source=source, default_name=default_name)


def _long_integer_message(text: str) -> str:
    """Where a number too long for Python's int parser sits (json raises without a place)."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)()  # 3.10 before 3.10.7
    found = re.search(rf"\d{{{limit + 1},}}", text)
    where = f" at line {text.count(chr(10), 0, found.start()) + 1}" if found else ""
    return (f"has a number with more than {limit} digits{where}; no value in a graph needs "
            "that many.")


def _reject_constant(name: str):
    raise _Bad(f"{name} is not allowed (numbers must be finite).")


def _unique_keys(pairs: list) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise _Bad(f"the key '{key}' appears twice in one object.")
        result[key] = value
    return result


def graph_from_dict(document: Any, registry: Registry, *, source: Any = "<graph>",
                    default_name: str = "untitled") -> Graph:
    """Build a Graph from a parsed document; raises GraphFileError naming source."""
    try:
        return _read_document(document, registry, default_name)
    except GraphFileError:
        raise
    except _Bad as exc:
        raise GraphFileError(source, str(exc)) from None
    except RecursionError:
        raise GraphFileError(source, "is nested too deeply to be a graph file.") from None
    except Exception as exc:  # a bug or a hostile value must still name the file
        raise GraphFileError(source, f"cannot be loaded ({type(exc).__name__}: {exc}).") \
            from None


def _read_document(document: Any, registry: Registry, default_name: str) -> Graph:
    if not isinstance(document, dict):
        raise _Bad(f"is not a Dendrite graph file (it holds a JSON {_json_type(document)}, "
                   "not an object).")
    if document.get("format") != FORMAT_NAME:
        raise _Bad(f"is not a Dendrite graph file (format is {document.get('format')!r}, "
                   f"expected '{FORMAT_NAME}').")
    version = document.get("version")
    if not _is_int(version) or version < 1:
        raise _Bad(f"has an unknown format version {version!r}; expected {FORMAT_VERSION}.")
    if version > FORMAT_VERSION:
        raise _Bad(f"was written by a newer Dendrite (format version {version}); this one "
                   f"reads version {FORMAT_VERSION}. Update Dendrite to open it.")
    while version < FORMAT_VERSION:
        document = MIGRATIONS[version](document)
        version = document["version"]
    _no_extra_keys(document, _TOP_KEYS, "the document")
    name = document.get("name", default_name)
    if not isinstance(name, str):
        raise _Bad(f"'name' must be text; got {name!r}.")
    description = document.get("description", "")
    if not isinstance(description, str):
        raise _Bad(f"'description' must be text; got {description!r}.")
    graph = Graph(name)
    graph.registry = registry  # edits check values against the specs
    graph.description = description
    graph.settings.update(_read_settings(document.get("settings", {})))
    nodes = document.get("nodes", [])
    if not isinstance(nodes, list):
        raise _Bad(f"'nodes' must be a list; got a {_json_type(nodes)}.")
    for index, item in enumerate(nodes):
        node = _read_node(item, index, registry)
        if node.id in graph.nodes:
            raise _Bad(f"two nodes have the id '{node.id}'; node ids must be unique.")
        graph.add_node(node)
    edges = document.get("edges", [])
    if not isinstance(edges, list):
        raise _Bad(f"'edges' must be a list; got a {_json_type(edges)}.")
    for index, item in enumerate(edges):
        edge = _read_edge(item, index, graph, registry)
        if edge in graph.edges:
            raise _Bad(f"the wire {edge} appears twice.")
        try:
            graph.connect(edge)
        except GraphError as exc:
            raise _Bad(f"wire {edge}: {exc}") from None
    ties = document.get("ties", [])
    if not isinstance(ties, list):
        raise _Bad(f"'ties' must be a list; got a {_json_type(ties)}.")
    for index, item in enumerate(ties):
        tie = _read_tie(item, index, graph)
        if tie.node in graph.ties:
            raise _Bad(f"node '{tie.node}' has two weight ties; a node shares one node's "
                       "weights.")
        try:
            graph.set_tie(tie.node, tie)
        except GraphError as exc:
            raise _Bad(f"ties[{index}]: {exc}") from None
    groups = document.get("groups", [])
    if not isinstance(groups, list):
        raise _Bad(f"'groups' must be a list; got a {_json_type(groups)}.")
    for index, item in enumerate(groups):
        group = _read_group(item, index)
        if group.id in graph.groups:
            raise _Bad(f"two groups have the id '{group.id}'.")
        try:
            graph.set_group(group.id, group)
        except GraphError as exc:
            raise _Bad(f"groups[{index}]: {exc}") from None
    reroutes = document.get("reroutes", [])
    if not isinstance(reroutes, list):
        raise _Bad(f"'reroutes' must be a list; got a {_json_type(reroutes)}.")
    for index, item in enumerate(reroutes):
        where = f"reroutes[{index}]"
        if not isinstance(item, dict):
            raise _Bad(f"{where} must be an object; got a {_json_type(item)}.")
        _no_extra_keys(item, _REROUTE_KEYS, where)
        src, src_port = _endpoint(item.get("from"), where, "from")
        dst, dst_port = _endpoint(item.get("to"), where, "to")
        edge = Edge(src, src_port, dst, dst_port)
        if edge not in graph.edges:
            raise _Bad(f"{where}: there is no wire {edge} in the file.")
        points = item.get("points")
        if not isinstance(points, list):
            raise _Bad(f"{where}: 'points' must be a list of [x, y]; got {points!r}.")
        graph.set_reroute(edge, [_read_position(p, where) for p in points])
    frames = document.get("frames", [])
    if not isinstance(frames, list):
        raise _Bad(f"'frames' must be a list; got a {_json_type(frames)}.")
    for index, item in enumerate(frames):
        where = f"frames[{index}]"
        if not isinstance(item, dict):
            raise _Bad(f"{where} must be an object; got a {_json_type(item)}.")
        _no_extra_keys(item, _FRAME_KEYS, where)
        frame = Frame(item.get("id"), item.get("title", ""), item.get("rect"))
        if not isinstance(frame.id, str) or not isinstance(frame.title, str) or \
                not isinstance(frame.rect, list) or len(frame.rect) != 4 or \
                not all(_is_number(v) for v in frame.rect):
            raise _Bad(f"{where} needs a text 'id' and 'title' and 'rect' [x, y, width, "
                       f"height]; got {item!r}.")
        if frame.id in graph.frames:
            raise _Bad(f"two frames have the id '{frame.id}'.")
        try:
            graph.set_frame(frame.id, frame)
        except GraphError as exc:
            raise _Bad(f"{where}: {exc}") from None
    return graph


def _read_group(item: Any, index: int) -> Group:
    where = f"groups[{index}]"
    if not isinstance(item, dict):
        raise _Bad(f"{where} must be an object; got a {_json_type(item)}.")
    _no_extra_keys(item, _GROUP_KEYS, where)
    group_id, title = item.get("id"), item.get("title", "")
    members, names = item.get("members"), item.get("port_names", {})
    if not isinstance(group_id, str) or not group_id:
        raise _Bad(f"{where} needs a non-empty text 'id'; got {group_id!r}.")
    if not isinstance(title, str):
        raise _Bad(f"{where}: 'title' must be text; got {title!r}.")
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise _Bad(f"{where}: 'members' must be a list of node or group ids; got {members!r}.")
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        raise _Bad(f"{where}: 'port_names' must map \"node.port\" to a name; got {names!r}.")
    return Group(group_id, title, tuple(members),
                 _read_position(item.get("position", [0, 0]), where),
                 tuple(sorted(names.items())))


def _read_tie(item: Any, index: int, graph: Graph) -> Tie:
    where = f"ties[{index}]"
    if not isinstance(item, dict):
        raise _Bad(f"{where} must be an object with 'node' and 'source'; got a "
                   f"{_json_type(item)}.")
    _no_extra_keys(item, _TIE_KEYS, where)
    node, source, transpose = item.get("node"), item.get("source"), item.get("transpose", False)
    for key, value in (("node", node), ("source", source)):
        if not isinstance(value, str) or value not in graph.nodes:
            raise _Bad(f"{where}: '{key}' must name a node of the file; got {value!r}.")
    if not isinstance(transpose, bool):
        raise _Bad(f"{where}: 'transpose' must be true or false; got {transpose!r}.")
    return Tie(node, source, transpose)


def _v1_to_v2(document: dict) -> dict:
    """Version 2 added weight ties; a version-1 file has none."""
    if "ties" in document:
        raise _Bad("has 'ties', which version 1 files do not have; set its version to 2.")
    return {**document, "version": 2}


def _v2_to_v3(document: dict) -> dict:
    """Version 3 added groups; a version-2 file has none."""
    for key in ("groups", "reroutes", "frames"):
        if key in document:
            raise _Bad(f"has '{key}', which version 2 files do not have; set its version to 3.")
    return {**document, "version": 3}


MIGRATIONS = {1: _v1_to_v2, 2: _v2_to_v3}
"""version -> function turning a document of that version into one of the next version."""


def _read_settings(settings: Any) -> dict:
    if not isinstance(settings, dict):
        raise _Bad(f"'settings' must be an object; got a {_json_type(settings)}.")
    for key, value in settings.items():
        problem = settings_problem(key, value)
        if problem:
            raise _Bad(f"setting '{key}': {problem}.")
    return dict(settings)


def _read_node(item: Any, index: int, registry: Registry) -> Node:
    where = f"nodes[{index}]"
    if not isinstance(item, dict):
        raise _Bad(f"{where} must be an object; got a {_json_type(item)}.")
    node_id = item.get("id")
    if not isinstance(node_id, str) or not node_id.strip():
        raise _Bad(f"{where} needs a non-empty text 'id'; got {node_id!r}.")
    where = f"node '{node_id}'"
    _no_extra_keys(item, _NODE_KEYS, where)
    type_id = item.get("type")
    if not isinstance(type_id, str):
        raise _Bad(f"{where} needs a text 'type'; got {type_id!r}.")
    node_type = registry.find(type_id)
    if node_type is None:
        raise _Bad(f"{where}: {unknown_type_message(type_id, registry)}")
    spec = node_type.spec
    title = item.get("title", "")
    if not isinstance(title, str):
        raise _Bad(f"{where}: 'title' must be text; got {title!r}.")
    raw_params = item.get("params", {})
    if not isinstance(raw_params, dict):
        raise _Bad(f"{where}: 'params' must be an object; got a {_json_type(raw_params)}.")
    params = {}
    known = {p.name: p for p in spec.params}
    for name, value in raw_params.items():
        param = known.get(name)
        if param is None:
            choices = ", ".join(known) or "none"
            raise _Bad(f"{where} ({type_id}) has no parameter '{name}' (it has: {choices}).")
        try:
            params[name] = spec.resolve_value(name, value)
        except ParamError as exc:
            raise _Bad(f"{where} ({type_id}): parameter '{name}' {exc.problems[0][1]}.") \
                from None
    return Node(node_id, type_id, params, _read_position(item.get("position", [0, 0]), where),
                title)


def _read_position(position: Any, where: str) -> tuple:
    if (isinstance(position, list) and len(position) == 2
            and all(_is_number(v) and math.isfinite(v) for v in position)):
        return (float(position[0]), float(position[1]))
    raise _Bad(f"{where}: 'position' must be [x, y] with two finite numbers; got {position!r}.")


def _read_edge(item: Any, index: int, graph: Graph, registry: Registry) -> Edge:
    where = f"edges[{index}]"
    if not isinstance(item, dict):
        raise _Bad(f"{where} must be an object with 'from' and 'to'; got a {_json_type(item)}.")
    _no_extra_keys(item, _EDGE_KEYS, where)
    src, src_port = _endpoint(item.get("from"), where, "from")
    dst, dst_port = _endpoint(item.get("to"), where, "to")
    edge = Edge(src, src_port, dst, dst_port)
    for node_id, port, direction in ((src, src_port, "output"), (dst, dst_port, "input")):
        node = graph.nodes.get(node_id)
        if node is None:
            raise _Bad(f"the wire {edge} refers to a node '{node_id}' that the file does not "
                       "define.")
        spec = registry.spec(node.type_id)
        found = spec.output(port) if direction == "output" else spec.input(port)
        if found is None:
            ports = spec.outputs if direction == "output" else spec.inputs
            names = ", ".join(p.name for p in ports) or "none"
            raise _Bad(f"the wire {edge}: node '{node_id}' ({spec.title}) has no {direction} "
                       f"'{port}' (it has: {names}).")
    return edge


def _endpoint(value: Any, where: str, key: str) -> tuple[str, str]:
    if not isinstance(value, str) or "." not in value:
        raise _Bad(f"{where}: '{key}' must be text like \"node.port\"; got {value!r}.")
    node_id, port = value.rsplit(".", 1)
    if not node_id or not port:
        raise _Bad(f"{where}: '{key}' must be text like \"node.port\"; got {value!r}.")
    return node_id, port


def _no_extra_keys(item: dict, allowed: set, where: str) -> None:
    extra = sorted(str(k) for k in item if k not in allowed)
    if extra:
        raise _Bad(f"{where} has unknown field(s) {', '.join(map(repr, extra))} "
                   f"(allowed: {', '.join(sorted(allowed))}).")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_int(value) or isinstance(value, float)


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number",
             float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
