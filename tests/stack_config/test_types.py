"""The named value types alone: whole values only, and allowed values read from the catalog."""

import re
from typing import Annotated, Any

import pytest
from pydantic import StringConstraints, TypeAdapter, ValidationError

from stack_config import catalog
from stack_config.types import (
    AdminUser,
    CoolifyVersion,
    DnsLabel,
    Email,
    LoadBalancerTypeName,
    LocationName,
    ServerTypeName,
    SqlIdentifier,
)
from tests.conftest import PROJECT_DIR


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


@pytest.mark.parametrize(
    ("annotation", "value"),
    [(CoolifyVersion, "\uff14.7.7"), (CoolifyVersion, "4.7.\u0667"), (AdminUser, "root\n"), (AdminUser, "ops\n"),
     (SqlIdentifier, "app\n"), (Email, "ops@example.org\n")],
    ids=["fullwidth-digit", "arabic-indic-digit", "root-newline", "ops-newline", "sql-newline", "email-newline"],
)  # fmt: skip
def test_patterns_are_ascii_and_whole(annotation: Any, value: str) -> None:
    assert refusal(annotation, value)


def test_pydantics_own_pattern_refuses_a_trailing_newline_only_with_its_default_engine() -> None:
    """No type here uses pydantic's `pattern`, and this is why it would be safe with the default engine only:
    pydantic-core matches with Rust's regex crate by default (pydantic/pydantic-core@v2.41.5:
    src/validators/string.rs:197,308), whose `$` is the end of the text unless multi-line mode is on
    (https://docs.rs/regex/latest/regex/#empty-matches); with regex_engine='python-re' it calls Python's
    re.search (string.rs:309-310), whose `$` also matches before a final newline."""
    rust = TypeAdapter(Annotated[str, StringConstraints(pattern=r"^root$")])
    python = TypeAdapter(Annotated[str, StringConstraints(pattern=r"^root$")], config={"regex_engine": "python-re"})
    with pytest.raises(ValidationError):
        rust.validate_python("root\n")
    assert python.validate_python("root\n") == "root\n"


def test_stack_config_compiles_no_pattern_with_a_dollar_anchor() -> None:
    sources = "".join(path.read_text() for path in (PROJECT_DIR / "stack_config").glob("*.py"))
    assert "pattern=" not in sources
    assert not re.search(r"""\$["']\)""", sources)
