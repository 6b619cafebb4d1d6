"""What every section of the configuration shares: camelCase keys, nothing unknown, frozen values, and rules across
its fields that report every problem they find."""

from collections.abc import Iterator
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ConfigModel(BaseModel):
    # hide_input_in_errors: a ValidationError printed as it is never shows a value (the loader formats its own
    # lines, and shows a value only where it is safe to).
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, hide_input_in_errors=True
    )

    def problems(self) -> Iterator["KeyedValueError"]:
        """The section's rules across its fields, each problem under the key it concerns.

        Not a pydantic validator: one of those stops at its first problem, and a section it refuses stops the
        rules of the sections around it. The loader runs these once every field of the section is valid
        (stack_config/model.py, rule_problems), so that a stack file's problems are all reported at once;
        validating a section directly checks its fields only."""
        return iter(())


class _Hidden:
    """Stands in for a value of a secret key in a message."""

    def __format__(self, spec: str) -> str:
        return "a secret value"

    def __repr__(self) -> str:
        return "a secret value"


class KeyedValueError(ValueError):
    """A problem a section's own rules find, reported under one key of that section.

    `message` is a str.format template whose fields are the configuration values it quotes, passed as keyword
    arguments: when the key was set with `--secret`, `hidden()` says the same with every value masked.
    """

    def __init__(self, key: str, message: str, **values: Any) -> None:
        super().__init__(message.format(**values))
        self.key = key
        self.template = message
        self.values = values

    def hidden(self) -> str:
        return self.template.format(**dict.fromkeys(self.values, _Hidden()))


class Problem(NamedTuple):
    """One line of a refused configuration, and where it is, to order the lines as the stack file holds them."""

    where: tuple[Any, ...]
    """The raw config key (`hetzner-coolify:dns`), then the keys and indexes inside its value; () for the stack."""
    line: str
