"""Loading node packs: the built-in ones, entry points, and the user plugin folder.

A pack is a module (or package) with `NODES`, a list of (NodeSpec, builder) pairs, and/or
`MODULES`, names of submodules that each carry their own `NODES`. A pack or module that fails
to import is recorded in `registry.broken` with its reason and skipped; it is never fatal.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from importlib import metadata
from pathlib import Path

from graph.registry import BrokenPack, Registry, RegistryError
from graph.spec import NodeSpec

ENTRY_POINT_GROUP = "dendrite.plugins"
BUILTIN_PACKS = ("plugins.core", "plugins.energy", "plugins.conv", "plugins.recurrent",
                 "plugins.neurons", "plugins.selforg", "plugins.optim", "plugins.autoencoders")


def user_plugin_dirs() -> list[Path]:
    """Folders searched for single-file packs: $DENDRITE_PLUGIN_PATH, else ~/.dendrite/plugins."""
    env = os.environ.get("DENDRITE_PLUGIN_PATH")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [Path.home() / ".dendrite" / "plugins"]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def register_module(registry: Registry, module, pack: str) -> int:
    """Register every (spec, builder) in module.NODES under pack; returns how many.

    All or nothing: a malformed entry or a duplicate type id raises before any is registered,
    so a broken module never leaves half its node types behind.
    """
    entries = list(getattr(module, "NODES", ()))
    seen = set()
    for entry in entries:
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], NodeSpec)):
            raise TypeError(f"{module.__name__}.NODES must hold (NodeSpec, builder) pairs; "
                            f"found {entry!r:.80}")
        type_id = entry[0].type_id
        if type_id in seen:
            raise RegistryError(f"Node type '{type_id}' is listed twice in {module.__name__}.")
        seen.add(type_id)
        if type_id in registry:
            owner = registry.get(type_id).pack
            raise RegistryError(f"Node type '{type_id}' is already registered by pack "
                                f"'{owner}'.")
    rules = dict(getattr(module, "EXPORT_RULES", {}))  # type_id -> rule (engines.export)
    clash = next((t for t in rules if t in registry.export_rules), None)
    if clash is not None:
        raise RegistryError(f"Node type '{clash}' already has an export rule; "
                            f"{module.__name__} gives a second one.")
    experiments = list(getattr(module, "EXPERIMENTS", ()))  # engines.reproduce.Experiment
    known = {e.name for e in registry.experiments}
    twice = next((e.name for e in experiments if e.name in known), None)
    if twice is not None:
        raise RegistryError(f"Experiment '{twice}' is declared twice ({module.__name__}).")
    for spec, builder in entries:
        registry.register(spec, builder, pack=pack)
    registry.export_rules.update(rules)
    registry.experiments.extend(experiments)
    return len(entries)


def load_pack(registry: Registry, module, pack: str) -> None:
    """Register a pack module and its MODULES, recording each failing part as broken."""
    register_module(registry, module, pack)
    for name in getattr(module, "MODULES", ()):
        qualified = f"{module.__name__}.{name}"
        try:
            register_module(registry, importlib.import_module(qualified), pack)
        except Exception as exc:
            registry.broken.append(BrokenPack(f"{pack}.{name}", _describe(exc)))
    registry.packs.append(pack)


def _load_import(registry: Registry, module_name: str, pack: str) -> None:
    try:
        load_pack(registry, importlib.import_module(module_name), pack)
    except Exception as exc:
        registry.broken.append(BrokenPack(pack, _describe(exc)))


def load_entry_points(registry: Registry) -> None:
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            module = entry.load()
        except Exception as exc:
            registry.broken.append(BrokenPack(entry.name, _describe(exc)))
            continue
        try:
            load_pack(registry, module, entry.name)
        except Exception as exc:
            registry.broken.append(BrokenPack(entry.name, _describe(exc)))


def load_user_folder(registry: Registry, folders: list[Path] | None = None) -> None:
    for folder in folders if folders is not None else user_plugin_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.py")):
            pack = path.stem
            module_name = f"dendrite_user_{pack}"
            try:
                spec = importlib.util.spec_from_file_location(module_name, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[module_name] = module
                spec.loader.exec_module(module)
                load_pack(registry, module, pack)
            except Exception as exc:
                sys.modules.pop(module_name, None)
                registry.broken.append(BrokenPack(pack, f"{path}: {_describe(exc)}"))


def load_all(registry: Registry | None = None, *, user_folders: list[Path] | None = None,
             entry_points: bool = True) -> Registry:
    """A registry filled with the built-in packs, installed packs and user-folder packs."""
    registry = registry if registry is not None else Registry()
    for module_name in BUILTIN_PACKS:
        _load_import(registry, module_name, module_name.rsplit(".", 1)[-1])
    if entry_points:
        load_entry_points(registry)
    load_user_folder(registry, user_folders)
    return registry
