"""Plugin loading: built-in packs, broken modules, user-folder packs, entry points."""

import sys
import textwrap
import types

import pytest

from graph.registry import BrokenPack, Registry, RegistryError
from graph.spec import NodeSpec
from plugins import loader

PACK_SOURCE = '''
from graph.spec import NodeSpec, PortSpec
NODES = [(NodeSpec("{pack}.{name}", "{title}", "Custom", "A user node.",
                   outputs=(PortSpec("y"),)), None)]
'''


def write_user_pack(folder, pack, name="thing", title="Thing", source=None):
    path = folder / f"{pack}.py"
    path.write_text(source if source is not None else
                    PACK_SOURCE.format(pack=pack, name=name, title=title))
    return path


def load(**kwargs):
    kwargs.setdefault("entry_points", False)
    kwargs.setdefault("user_folders", [])
    return loader.load_all(**kwargs)


def test_builtin_core_pack_loads_cleanly():
    registry = load()
    assert registry.broken == []
    assert "core" in registry.packs
    assert registry.get("core.dense").pack == "core"
    assert registry.get("core.dense").builder is not None


def test_user_folder_pack_is_loaded(tmp_path):
    write_user_pack(tmp_path, "mypack")
    registry = load(user_folders=[tmp_path])
    assert registry.get("mypack.thing").pack == "mypack"
    assert "mypack" in registry.packs and registry.broken == []


def test_user_folder_from_environment(tmp_path, monkeypatch):
    write_user_pack(tmp_path, "envpack")
    monkeypatch.setenv("DENDRITE_PLUGIN_PATH", str(tmp_path))
    assert loader.user_plugin_dirs() == [tmp_path]
    registry = loader.load_all(entry_points=False)
    assert "envpack.thing" in registry


def test_missing_user_folder_is_not_an_error(tmp_path):
    registry = load(user_folders=[tmp_path / "nope"])
    assert registry.broken == []


def test_broken_user_plugin_is_recorded_not_fatal(tmp_path):
    write_user_pack(tmp_path, "crashy", source="raise RuntimeError('boom at import')\n")
    write_user_pack(tmp_path, "typo", source="NODES = [\n")
    write_user_pack(tmp_path, "good")
    registry = load(user_folders=[tmp_path])
    broken = {b.name: b.reason for b in registry.broken}
    assert set(broken) == {"crashy", "typo"}
    assert "RuntimeError: boom at import" in broken["crashy"]
    assert "crashy.py" in broken["crashy"]  # the reason names the file
    assert "SyntaxError" in broken["typo"]
    assert "good.thing" in registry and "core.dense" in registry
    assert "dendrite_user_crashy" not in sys.modules


def test_unknown_type_message_names_the_broken_pack(tmp_path):
    write_user_pack(tmp_path, "vision", source="import no_such_module_here\n")
    registry = load(user_folders=[tmp_path])
    with pytest.raises(RegistryError) as info:
        registry.get("vision.conv2d")
    assert "'vision' failed to load" in str(info.value)
    assert "no_such_module_here" in str(info.value)


def test_duplicate_type_id_is_refused_and_registers_nothing(tmp_path):
    write_user_pack(tmp_path, "clash", source=textwrap.dedent('''
        from graph.spec import NodeSpec
        NODES = [(NodeSpec("clash.fresh", "Fresh", "C", ""), None),
                 (NodeSpec("core.dense", "Fake dense", "C", ""), None)]
    '''))
    registry = load(user_folders=[tmp_path])
    reason = next(b.reason for b in registry.broken if b.name == "clash")
    assert "'core.dense' is already registered by pack 'core'" in reason
    assert registry.spec("core.dense").title == "Dense"
    assert "clash.fresh" not in registry  # all or nothing


def test_malformed_nodes_entry_is_reported(tmp_path):
    write_user_pack(tmp_path, "odd", source="NODES = ['not a pair']\n")
    registry = load(user_folders=[tmp_path])
    reason = next(b.reason for b in registry.broken if b.name == "odd")
    assert "(NodeSpec, builder) pairs" in reason


def _pack_package(monkeypatch, name, modules):
    """A package `name` with submodules {sub: source}, importable for this test only."""
    package = types.ModuleType(name)
    package.MODULES = list(modules)
    package.__path__ = []
    monkeypatch.setitem(sys.modules, name, package)
    for sub, source in modules.items():
        if source is None:
            continue  # left unimportable on purpose
        module = types.ModuleType(f"{name}.{sub}")
        exec(source, module.__dict__)
        monkeypatch.setitem(sys.modules, f"{name}.{sub}", module)
    return package


def test_broken_module_inside_a_pack_spares_the_rest(monkeypatch):
    package = _pack_package(monkeypatch, "fakepack", {
        "good": PACK_SOURCE.format(pack="fake", name="ok", title="OK"),
        "missing": None,
    })
    registry = Registry()
    loader.load_pack(registry, package, "fake")
    assert "fake.ok" in registry and "fake" in registry.packs
    assert [b.name for b in registry.broken] == ["fake.missing"]
    assert "ModuleNotFoundError" in registry.broken[0].reason


class FakeEntryPoint:
    def __init__(self, name, target):
        self.name, self.target = name, target

    def load(self):
        if isinstance(self.target, Exception):
            raise self.target
        return self.target


def test_entry_point_packs(monkeypatch):
    good = types.ModuleType("ep_good")
    exec(PACK_SOURCE.format(pack="ep", name="node", title="EP"), good.__dict__)
    clash = types.ModuleType("ep_clash")
    clash.NODES = [(NodeSpec("core.tanh", "Tanh again", "C", ""), None)]
    points = [FakeEntryPoint("ep", good), FakeEntryPoint("gone", ImportError("not installed")),
              FakeEntryPoint("clash", clash)]
    groups = []

    def entry_points(group):
        groups.append(group)
        return points

    monkeypatch.setattr(loader.metadata, "entry_points", entry_points)
    registry = loader.load_all(user_folders=[])
    assert groups == ["dendrite.plugins"]
    assert registry.get("ep.node").pack == "ep"
    broken = {b.name: b.reason for b in registry.broken}
    assert broken["gone"] == "ImportError: not installed"
    assert "already registered" in broken["clash"]
    assert registry.spec("core.tanh").title != "Tanh again"


def test_broken_builtin_pack_is_not_fatal(monkeypatch):
    monkeypatch.setattr(loader, "BUILTIN_PACKS", ("plugins.core", "plugins.no_such_pack"))
    registry = load()
    assert BrokenPack("no_such_pack", "ModuleNotFoundError: No module named "
                      "'plugins.no_such_pack'") in registry.broken
    assert "core.dense" in registry
