"""ParamSpec checks and coercion, NodeSpec lookups."""

import math

import pytest

from graph.spec import NodeSpec, ParamSpec, ParamType, PortSpec, no_params_same_shape


@pytest.mark.parametrize("ptype, good, bad", [
    (ParamType.INT, [0, -3, 10**12], [1.5, True, "3", None, [1]]),
    (ParamType.FLOAT, [0, 1.5, -2, 1e-9], [math.nan, "1.0", None, False, [1.0]]),
    (ParamType.BOOL, [True, False], [0, 1, "true", None]),
    (ParamType.STRING, ["", "abc"], [1, None, ["a"]]),
    (ParamType.PATH, ["/tmp/x.csv"], [3, None]),
    (ParamType.INTS, [[], [1, 2], (3,)], [[1.5], [True], "12", 3, None]),
    (ParamType.FLOATS, [[], [1, 2.5]], [[math.nan], ["x"], 1.0]),
])
def test_type_checks_accept_good_and_reject_bad_values(ptype, good, bad):
    spec = ParamSpec("p", ptype, good[0])
    for value in good:
        assert spec.check(value) is None, value
    for value in bad:
        assert spec.check(value), value


def test_choice_must_be_listed():
    spec = ParamSpec("init", ParamType.CHOICE, "a", choices=("a", "b"))
    assert spec.check("b") is None
    reason = spec.check("c")
    assert "a, b" in reason and "'c'" in reason


def test_range_applies_to_numbers_and_list_items():
    units = ParamSpec("units", ParamType.INT, 4, range=(1, 10))
    assert units.check(1) is None and units.check(10) is None
    assert "[1, 10]" in units.check(0)
    sizes = ParamSpec("sizes", ParamType.INTS, [1], range=(1, None))
    assert sizes.check([1, 50]) is None
    assert "0" in sizes.check([3, 0])
    assert "-inf" in ParamSpec("x", ParamType.FLOAT, 0.0, range=(None, 1.0)).check(2.0)


def test_coerce_turns_json_numbers_into_the_parameter_type():
    assert ParamSpec("lr", ParamType.FLOAT, 0.1).coerce(1) == 1.0
    assert isinstance(ParamSpec("lr", ParamType.FLOAT, 0.1).coerce(1), float)
    assert ParamSpec("lr", ParamType.FLOAT, 0.1).coerce(True) is True  # not a number: unchanged
    assert ParamSpec("w", ParamType.FLOATS, []).coerce([1, 2.5]) == [1.0, 2.5]
    assert ParamSpec("s", ParamType.INTS, []).coerce((1, 2)) == [1, 2]


def test_nodespec_lookups_and_fresh_defaults():
    spec = NodeSpec("t.x", "X", "Cat", "doc", inputs=(PortSpec("a"),), outputs=(PortSpec("b"),),
                    params=(ParamSpec("sizes", ParamType.INTS, [1, 2]),))
    assert spec.input("a").name == "a" and spec.input("b") is None
    assert spec.output("b").name == "b" and spec.output("a") is None
    with pytest.raises(KeyError, match="t.x.*nope"):
        spec.param("nope")
    first = spec.defaults()
    first["sizes"].append(3)
    assert spec.defaults() == {"sizes": [1, 2]}  # defaults are copies


def test_same_shape_rule():
    assert no_params_same_shape({}, {"x": (None, 4)}) == ({"y": (None, 4)}, {})
    assert no_params_same_shape({}, {}) == ({"y": None}, {})
