"""Input that used to get through: integer literals over Python's digit limit in a graph
file, and invalid values set on a graph from code."""

import pytest

from graph.fileio import GraphFileError, graph_from_json
from plugins import default_registry


def test_integer_literal_over_the_digit_limit_gives_a_clean_message():
    text = ('{"format": "dendrite-graph",\n "version": 1,\n "settings": {"epochs": '
            + "7" * 5000 + "}}")
    with pytest.raises(GraphFileError) as caught:
        graph_from_json(text, default_registry(), source="big.dgraph")
    message = str(caught.value)
    assert message == ("big.dgraph: has a number with more than 4300 digits at line 3; no value "
                       "in a graph needs that many.")
    assert "ValueError" not in message and "sys.set_int_max_str_digits" not in message
