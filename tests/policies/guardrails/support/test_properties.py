"""Reading properties: firewall port ranges and every string of an input."""

import pytest

from policies.guardrails.support.properties import port_range, strings


@pytest.mark.parametrize(
    ("port", "expected"),
    [("22", (22, 22)), ("80-85", (80, 85)), ("any", (1, 65535)), (None, (1, 65535)), ("junk", (1, 65535))],
)
def test_port_ranges(port: str | None, expected: tuple[int, int]) -> None:
    assert port_range(port) == expected


def test_strings_are_found_in_nested_inputs_with_their_innermost_key() -> None:
    props = {"create": "x", "environment": {"A": "1"}, "envs": ["B=2"], "rules": [{"port": "22"}], "n": 3}
    assert sorted(strings(props)) == [("A", "1"), ("create", "x"), ("envs", "B=2"), ("port", "22")]
