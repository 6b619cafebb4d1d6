"""Turns a stack's raw Pulumi configuration into a validated StackConfig, or one line per problem, all at once.

1. The stack's name (stack_config/stacks.py): it names the stack's resources, and gives the environment and the
   DNS name space their defaults.
2. The gate (screening.py): hostile values and secrets in clear; a key refused there is not validated further.
3. The keys (keys.py): a misspelt namespace, a flat key with a dot, a key the model does not know.
4. Each top-level key on its own (pydantic reports every field error of it), so that one invalid key leaves the
   others valid for the rules.
5. The rules across fields (model.rule_problems) whose keys are all valid.

The lines are ordered as the keys appear in the stack file: what concerns the stack itself first, then the file's
keys, then the keys it lacks.
"""

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi.runtime.config
from pydantic import BaseModel, ValidationError, create_model

from stack_config import keys
from stack_config.base import ConfigModel, Problem
from stack_config.dns import DnsSettings
from stack_config.messages import describe, shown
from stack_config.model import StackConfig, rule_problems, with_defaults
from stack_config.screening import key_path, raw_key_name, refused_character, screen
from stack_config.stacks import ENVIRONMENTS, Environment, default_environment, production_word, stack_name_problem


class ConfigError(Exception):
    """The stack's configuration is unusable; each problem is one line that names its key."""

    def __init__(self, problems: Sequence[str]) -> None:
        lines = [_one_line(problem) for problem in problems]
        super().__init__("\n".join(lines))
        self.problems = lines


def _one_line(text: str) -> str:
    """A problem as one line of printable text, whatever a value or key it quotes holds."""
    if refused_character(text) is None:
        return text
    return "".join(char if refused_character(char) is None else ascii(char)[1:-1] for char in text)


def load_stack_config(
    namespace: str, stack: str, raw: Mapping[str, str], secret_keys: frozenset[str] = frozenset()
) -> StackConfig:
    """Validate the `<namespace>:<key>` entries of `raw` (Pulumi's string-encoded values) for `stack`."""
    prefix = f"{namespace}:"
    hidden = frozenset(key.removeprefix(prefix) for key in secret_keys if key.startswith(prefix))
    problems: list[Problem] = []
    stack_problem = stack_name_problem(namespace, stack)
    if stack_problem:
        problems.append(Problem((), stack_problem))
    screened = screen(namespace, raw, secret_keys)
    problems += screened.problems
    values = {key: value for key, value in screened.values.items() if key not in screened.refused}
    problems += _key_problems(namespace, raw, values, secret_keys)
    environment, environment_problem = _environment(
        prefix, stack, values, refused="environment" in screened.refused, secret="environment" in hidden
    )
    if environment_problem:
        problems.append(environment_problem)
    namespace_problem = _namespace_problem(prefix, stack, values)
    if namespace_problem:
        problems.append(namespace_problem)
    # An unknown environment still validates the rest, with the defaults of the one the stack's name suggests;
    # no rule that reads the environment runs.
    data = with_defaults(values, environment or default_environment(stack) or "staging", stack)
    data.pop("environment", None)
    if environment:
        data["environment"] = environment
    unchecked = screened.refused | ({"environment"} if environment is None else set())
    fields, field_problems = _validate_fields(namespace, data, unchecked, hidden)
    dns = values.get("dns")
    if stack_problem and not (isinstance(dns, dict) and "namespace" in dns):
        # The default name space is the stack's name, already refused above.
        field_problems = [problem for problem in field_problems if problem.where[:2] != (f"{prefix}dns", "namespace")]
    problems += field_problems
    for where, problem in rule_problems(fields, hidden):
        text = problem.hidden() if where[0] in hidden else str(problem)
        problems.append(Problem((f"{prefix}{where[0]}", *where[1:]), f"{key_path(namespace, where)}: {text}"))
    if problems:
        raise ConfigError(_in_file_order(problems, raw, screened.values, prefix))
    try:
        return StackConfig.model_validate(data)
    except ValidationError as error:  # every field passed on its own; kept so that nothing ends in a traceback
        raise ConfigError([describe(namespace, detail, hidden).line for detail in error.errors()]) from None


def _key_problems(
    namespace: str, raw: Mapping[str, str], values: Mapping[str, Any], secret_keys: frozenset[str]
) -> list[Problem]:
    """Misspelt namespaces, flat keys with a dot, and keys the model does not know."""
    problems = []
    for full_key in raw:
        misspelt = keys.misspelt_namespace(namespace, full_key)
        if misspelt:
            problems.append(Problem((full_key,), f"{raw_key_name(full_key)}: {misspelt}"))
    known = _top_level_keys()
    for key, value in values.items():
        if key in known or key in StackConfig.model_fields:
            continue
        full_key = f"{namespace}:{key}"
        text = raw[full_key] if isinstance(value, (dict, list)) else str(value)
        flat = keys.flat_key(namespace, key, text, known, full_key in secret_keys)
        shown_key = raw_key_name(full_key) if flat else key_path(namespace, (key,))
        problems.append(Problem((full_key,), f"{shown_key}: {flat or keys.unknown_key(key, list(known))}"))
    return problems


@functools.cache
def _top_level_keys() -> dict[str, list[str]]:
    """StackConfig's keys, each with its section's keys (none for a key that is not a section)."""
    sections = {}
    for name, field in StackConfig.model_fields.items():
        annotation: Any = field.annotation
        is_section = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        section_keys = [f.alias or n for n, f in annotation.model_fields.items()] if is_section else []
        sections[field.alias or name] = section_keys
    return sections


def _environment(
    prefix: str, stack: str, values: Mapping[str, Any], *, refused: bool, secret: bool
) -> tuple[Environment | None, Problem | None]:
    """The stack's environment, or None and why there is none (no reason when the gate refused it)."""
    where = (f"{prefix}environment",)
    if refused:
        return None, None
    if "environment" not in values:
        default = default_environment(stack)
        if default is None:
            return None, Problem(
                (),
                f"{prefix}environment: is required for the stack {stack!r}, whose name looks like production "
                f"({production_word(stack)!r}); set it, e.g. `pulumi config set environment production`; allowed: "
                f"{', '.join(ENVIRONMENTS)}",
            )
        return default, None
    given = values["environment"]
    if given not in ENVIRONMENTS:
        return None, Problem(
            where,
            f"{prefix}environment: {'a secret value' if secret else shown(given)} (set) is not an environment; "
            f"allowed: {', '.join(ENVIRONMENTS)}",
        )
    if stack in ENVIRONMENTS and given != stack:
        return None, Problem(
            where,
            f"{prefix}environment: {given!r} does not match the stack {stack!r}; a stack named after an "
            "environment must be that environment",
        )
    return ENVIRONMENTS[ENVIRONMENTS.index(given)], None


def _namespace_problem(prefix: str, stack: str, values: Mapping[str, Any]) -> Problem | None:
    """A stack named like a record of the stack on the domain itself (`api`: api.<domain>) that would take its name
    as its DNS namespace and write that record's name too: Cloudflare would keep both, and the name would answer
    from either server."""
    dns = values.get("dns")
    if stack not in _default_record_labels() or (isinstance(dns, dict) and "namespace" in dns):
        return None
    return Problem(
        (f"{prefix}dns", "namespace"),
        f"{prefix}dns.namespace: is required for the stack {stack!r}: its name is a record of the stack on the domain "
        f"itself ({stack}.<domain>), which its own records would take by default; set another, e.g. "
        f"`pulumi config set --path dns.namespace {stack}-stack`",
    )


@functools.cache
def _default_record_labels() -> frozenset[str]:
    """The labels of the records a stack writes by default under its name space (but the apex and wildcard)."""
    fields = DnsSettings.model_fields
    return frozenset({"www", fields["dashboard"].default, *fields["subdomains"].default})


@functools.cache
def _field_model(name: str) -> type[BaseModel]:
    """A model of StackConfig's field `name` alone: it validates that key exactly as StackConfig does."""
    field = StackConfig.model_fields[name]
    definition: dict[str, Any] = {name: (field.annotation, field)}
    return create_model(f"StackConfig_{name}", __base__=ConfigModel, **definition)


def _validate_fields(
    namespace: str, data: Mapping[str, Any], unchecked: frozenset[str] | set[str], hidden: frozenset[str]
) -> tuple[dict[str, Any], list[Problem]]:
    """Each of StackConfig's fields on its own: the valid ones by name, and the problems of the others. A key in
    `unchecked` (refused by the gate, or an environment already found wrong) is neither."""
    fields: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, field in StackConfig.model_fields.items():
        spellings = (field.alias or name, name)
        if unchecked & set(spellings):
            continue
        given = {key: data[key] for key in spellings if key in data}
        try:
            fields[name] = getattr(_field_model(name).model_validate(given), name)
        except ValidationError as error:
            problems += [describe(namespace, detail, hidden) for detail in error.errors(include_url=False)]
    return fields, problems


def _in_file_order(
    problems: list[Problem], raw: Mapping[str, str], decoded: Mapping[str, Any], prefix: str
) -> list[str]:
    """The lines ordered as the keys appear in the file: the stack's own problems first, then those of the file's
    keys (and of the keys inside their values) in the file's order, then those of keys the file lacks."""
    order = {key: index for index, key in enumerate(raw)}

    def position(problem: Problem) -> tuple[int, ...]:
        if not problem.where:
            return (-1,)
        full_key, *inside = problem.where
        if full_key not in order:
            return (len(order),)
        positions = [order[full_key]]
        node = decoded.get(full_key.removeprefix(prefix)) if full_key.startswith(prefix) else None
        for part in inside:
            if isinstance(node, dict) and part in node:
                positions.append(list(node).index(part))
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                positions.append(part)
                node = node[part]
            else:
                positions.append(len(node) if isinstance(node, (dict, list)) else 0)
                break
        return tuple(positions)

    return [problem.line for problem in sorted(problems, key=position)]


def load_from_pulumi() -> StackConfig:
    """Read the running program's configuration; a problem ends the program without a traceback.

    A value that is only an example (StackConfig.example_values) is a warning in a preview and refused by
    `pulumi up`, every one of them in one refusal: the shipped stack files preview, and nothing deploys them as
    they are."""
    raw = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    secret_keys = frozenset(key for key in raw if pulumi.runtime.config.is_config_secret(key))
    prefix = f"{pulumi.get_project()}:"
    try:
        config = load_stack_config(pulumi.get_project(), pulumi.get_stack(), raw, secret_keys)
    except ConfigError as error:
        # The Pulumi language host prints a RunError's message alone, without a stack trace.
        raise pulumi.RunError(str(error)) from None
    examples = [f"{prefix}{key}: {why}" for key, why in config.example_values()]
    if examples and not pulumi.runtime.is_dry_run():
        raise pulumi.RunError("\n".join(f"{line} (`pulumi up` deploys no example value)" for line in examples))
    for line in examples:
        pulumi.log.warn(line)
    return config
