"""Registry: duplicates, unknown types, categories."""

import pytest

from graph.registry import BrokenPack, Registry, RegistryError, unknown_type_message
from graph.spec import NodeSpec


def spec(type_id, title="T", category="Cat"):
    return NodeSpec(type_id, title, category, "doc")


def test_register_get_and_contains():
    registry = Registry()
    registry.register(spec("p.a"), builder="builder", pack="p")
    assert "p.a" in registry and len(registry) == 1
    node_type = registry.get("p.a")
    assert (node_type.builder, node_type.pack) == ("builder", "p")
    assert registry.find("p.b") is None


def test_duplicate_type_is_refused_unless_override():
    registry = Registry()
    registry.register(spec("p.a"), pack="first")
    with pytest.raises(RegistryError, match="already registered by pack 'first'"):
        registry.register(spec("p.a"), pack="second")
    registry.register(spec("p.a", title="New"), pack="second", override=True)
    assert registry.spec("p.a").title == "New"


def test_unknown_type_messages_name_the_pack():
    registry = Registry()
    with pytest.raises(RegistryError) as info:
        registry.get("vision.conv2d")
    assert "'vision'" in str(info.value) and "install" in str(info.value)
    assert "core" in unknown_type_message("core.nope", registry)
    registry.broken.append(BrokenPack("vision", "ImportError: no scipy"))
    message = unknown_type_message("vision.conv2d", registry)
    assert "failed to load" in message and "no scipy" in message
    assert unknown_type_message("plain", registry) == "Unknown node type 'plain'."


def test_categories_are_sorted_by_name_then_title():
    registry = Registry()
    for type_id, title, category in [("p.z", "Zeta", "Layers"), ("p.a", "Alpha", "Layers"),
                                     ("p.d", "Data", "Data")]:
        registry.register(spec(type_id, title, category))
    groups = registry.categories()
    assert list(groups) == ["Data", "Layers"]
    assert [s.title for s in groups["Layers"]] == ["Alpha", "Zeta"]
