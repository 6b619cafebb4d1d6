"""The named value types alone: whole values only, and allowed values read from the catalog."""

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from stack_config import catalog
from stack_config.types import CoolifyVersion, DnsLabel, LoadBalancerTypeName, LocationName, ServerTypeName


def refusal(annotation: Any, value: str) -> str:
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(annotation).validate_python(value)
    return str(refused.value.errors()[0]["ctx"]["error"])


@pytest.mark.parametrize(("annotation", "value"), [(DnsLabel, "api\n"), (CoolifyVersion, "4.3.19\n")])
def test_a_value_must_match_as_a_whole(annotation: Any, value: str) -> None:
    assert refusal(annotation, value)
    assert TypeAdapter(annotation).validate_python(value.strip()) == value.strip()


def test_allowed_values_come_from_the_catalog() -> None:
    assert refusal(LocationName, "fra1") == f"is not a Hetzner location; allowed: {', '.join(catalog.LOCATIONS)}"
    assert refusal(LoadBalancerTypeName, "lb99").endswith(f"allowed: {', '.join(catalog.LOAD_BALANCER_TYPES)}")
    assert refusal(ServerTypeName, "cx99").endswith(f"allowed: {', '.join(catalog.SERVER_TYPES)}")
    assert all(TypeAdapter(ServerTypeName).validate_python(name) == name for name in catalog.SERVER_TYPES)
