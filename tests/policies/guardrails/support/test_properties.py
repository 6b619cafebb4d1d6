"""Reading properties: firewall port ranges and source classification."""

import pytest

from policies.guardrails.support.properties import port_range, public_sources, world_sources


@pytest.mark.parametrize(
    ("port", "expected"),
    [("22", (22, 22)), ("80-85", (80, 85)), ("any", (1, 65535)), (None, (1, 65535)), ("junk", (1, 65535))],
)
def test_port_ranges(port: str | None, expected: tuple[int, int]) -> None:
    assert port_range(port) == expected


def test_source_classification() -> None:
    assert world_sources(["10.0.0.0/8", "::/0"]) == ["::/0"]
    assert world_sources([]) == []
    assert public_sources(["8.8.8.0/24", "10.0.0.0/8", "0.0.0.0/0", "2a01:4f8::/32"]) == ["8.8.8.0/24", "2a01:4f8::/32"]
