"""The README tells a newcomer the truth: the quick start, every config key, every output."""

import re
from collections.abc import Callable, Iterator

from pydantic import BaseModel

from preview.engine import RecordedStack
from stack_config import StackConfig
from tests.conftest import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text()


def config_keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from config_keys(annotation, key + ".")
        else:
            yield key


def test_quick_start_is_the_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quick_start, flags=re.MULTILINE)
    assert commands == ["make preview", "make test"]


def test_every_config_key_is_documented() -> None:
    keys = list(config_keys(StackConfig))
    assert "server.type" in keys and "dns.defaults.ttl" in keys
    missing = [key for key in keys if f"`{key}`" not in README and f"`{key}." not in README]
    assert missing == []


def test_every_output_is_documented(recorded: Callable[[str, str], RecordedStack]) -> None:
    missing = [key for key in recorded("staging", "plan").outputs if f"`{key}`" not in README]
    assert missing == []
