"""What every section of the configuration shares: camelCase keys, nothing unknown, frozen values."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ConfigModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class KeyedValueError(ValueError):
    """A problem a section's own rules find, reported under one key of that section."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
