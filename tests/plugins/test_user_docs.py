"""What users read (node, parameter, port and view docs in the palette, the inspector and
`main.py nodes`) cites only what ships with Dendrite: not the development notes, their
seed numbers or their variable names."""

import re

from plugins import default_registry

NOT_SHIPPED = re.compile(r"MODELS\.md|ENVIRONMENT\.md|\bthe (lecture )?notes\b|\bseed \d{3}\b"
                         r"|NeuronLocalGainLimit|CrossValidationStopFactor", re.IGNORECASE)


def _texts(spec):
    yield "doc", spec.doc
    for param in spec.params:
        yield f"parameter '{param.name}'", param.doc
    for port in (*spec.inputs, *spec.outputs):
        yield f"port '{port.name}'", port.doc
    for view in spec.views:
        yield f"view '{view.title}'", view.doc


def test_node_docs_cite_only_what_ships():
    registry = default_registry()
    assert len(registry) > 20
    offenders = [f"{node_type.spec.type_id} {where}: {match.group(0)!r}"
                 for node_type in registry for where, text in _texts(node_type.spec)
                 for match in [NOT_SHIPPED.search(text or "")] if match]
    assert offenders == []


def test_the_pattern_catches_what_it_is_for():
    for text in ("see MODELS.md", "the notes' NeuronLocalGainLimit", "as in the lecture notes",
                 "seed 001 says", "CrossValidationStopFactor"):
        assert NOT_SHIPPED.search(text), text
    assert not NOT_SHIPPED.search("'notes' (reset before U_n, as Cho et al. 2014)")
