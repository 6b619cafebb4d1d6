"""The stack's validated configuration: the single source of truth for every key and default."""

from stack_config.loader import ConfigError, load_from_pulumi, load_stack_config
from stack_config.model import StackConfig

__all__ = ["ConfigError", "StackConfig", "load_from_pulumi", "load_stack_config"]
