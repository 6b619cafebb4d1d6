"""The `config:` block of Pulumi.yaml: the stack keys the Pulumi CLI is told about, generated from StackConfig.

`python -m stack_config.project_schema` prints the block; `--write` puts it into Pulumi.yaml (the rest of the file
stays as it is). tests/stack_config/test_project_schema.py fails when the committed block and the model differ.

What the CLI does with the block. Cited from pulumi/pulumi@v3.259.0, the newest source mirrored here; this project
pins the CLI at 3.272.0, so re-check these lines when the pin moves.
- A key is declared with `type`, `items`, `description`, `default`, `value`, `secret`, nothing else
  (sdk/go/common/workspace/project.json:378-398; the struct: sdk/go/common/workspace/project.go:277-289).
  `type` is string, integer, boolean, array or object (project.json:335-344): an object-valued key such as
  `server` is declared with `type: object`; nothing describes the keys inside it (there is no `properties`), so
  a section's description names them. An array needs `items` with its own `type` (project.json:345-377,
  project.go:852-855). A bare value instead of a declaration is shorthand for `default:` (project.go:486-515).
- `server` and `hetzner-coolify:server` are the same key: a key without a namespace, or with the project's, is
  the project's (project.go:833-835; pkg/workspace/config.go:159-168). Another namespace's key (`hcloud:...`)
  may only carry a `value`: no `type`, no `default` (project.go:866-884).
- A `default` must match the declared `type` (project.go:858-864), and a key has a `default` or a `value`, not
  both (project.go:844-846).
- `pulumi preview`/`up` (pkg/cmd/pulumi/operations/preview.go:522-540, up.go:198-218) merge the declarations into
  the stack's configuration before the program runs (pkg/workspace/config.go:303-349):
  - a declared `default` (or `value`) is injected into the program's configuration when the stack does not set
    the key (config.go:327-347): a string, integer or boolean as text, anything else as JSON (config.go:179-193),
    never as a secret;
  - a key of the project declared with neither is REQUIRED: a stack without it is refused with `Stack 'staging'
    is missing configuration value 'coolify'` (config.go:53-64, 319-325, 351-355). There is no way to declare an
    optional key without injecting a default: a `default: null` is no default at all;
  - only a key with a `type` is checked (config.go:101): its value must be of that type, else `Stack 'staging'
    with configuration key 'server' must be of type 'object'` (config.go:145-154), printed as `error: validating
    stack config: ...` (preview.go:537-538). The value checked is the stack's text for a scalar and the decoded
    JSON for a mapping or list (config.go:136-143; a scalar is kept as text: resource/config/value.go:238-245,
    object.go:403-419). So a mapping (`hetzner-coolify:server: {type: cx43}`) declared `type: string` is refused,
    as is JSON written as a string (`pulumi config set server '{"type": "cx43"}'`) declared `type: object`. What
    each type accepts: project.go:771-831 (integer: a whole number or text that parses as one; boolean: true,
    false or the text "true"/"false"; object: a mapping; array: a list whose every item has the `items` type);
  - `secret: true` is enforced only on a key that also has a `type` (config.go:101, 128-134): a value not set
    with `--secret` is refused (`... must be encrypted as it's secret`). An injected default is never encrypted,
    so a secret key with a default refuses every stack that leaves it out. `pulumi config set` does not read the
    declaration: without `--secret` it stores the value in clear (pkg/cmd/pulumi/config/config.go:829-906);
  - keys the project does not declare pass untouched: only declared keys are looked at (config.go:82-114, 296-349);
  - `--skip-config-validation` still injects defaults but checks nothing (preview.go:522-527); `pulumi destroy`
    and `refresh` check only with `--run-program` (destroy.go:277-301, refresh.go:255-279).
- `pulumi config` lists the injected defaults beside the stack's own values (pkg/cmd/pulumi/config/config.go:
  1173-1178). Nothing in the CLI's source reads a declaration's `description` (only pkg/workspace/config.go uses
  the declarations): it is for whoever reads Pulumi.yaml, and editors that know Pulumi.yaml's JSON schema check
  the declarations' attributes, not the stack files.

So the block declares, and can never change what the program receives beyond what the model already assumes:
- a key the model requires of every stack: its type, no default (the CLI then requires it too: a stack without
  it is refused before the program runs instead of by it);
- a section (`server`, `postgres`, ...) that a stack may leave out, with `default: {}`: the program then receives
  `{}`, which the model reads as "every key of the section at its default", the defaults of the environment and
  of the stack's name (model.py with_defaults: protection, server backups, dns.namespace) included, exactly as if
  the section were left out. No value inside a section is ever declared as a default, so none can go stale or
  differ between stacks;
- `type` only where the CLI's check refuses what the model refuses: object, array, string. Not integer or
  boolean (the CLI refuses `yes` or `5.0`, which the model's lax parsing takes). One case differs, on purpose:
  JSON written as a string, what `pulumi config set server '{"type": "cx43"}'` stores, is refused by the CLI
  for an object or array key, though the program would decode it (screening.py, _decode); such keys are set
  with `--path` (`pulumi config set --path server.type cx43`) or written as YAML in the stack file;
- nothing else. A key that may be left out and has no empty form (`environment`, whose default is the stack's
  name; `domain` and the secrets, which default to nothing) stays undeclared: a declaration would make the CLI
  require it. The secrets could not be declared `secret: true` anyway: a default the CLI injects is in clear.
  The undeclared keys are listed, with why, in the comment above the block.
"""

import argparse
import re
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, SecretStr, Tag, ValidationError
from pydantic.fields import FieldInfo

from stack_config.model import StackConfig, with_defaults
from stack_config.stacks import ENVIRONMENTS, Environment

PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"
COMMAND = "python -m stack_config.project_schema --write"
_MARKER = f"# Generated by `{COMMAND}`"
# Pulumi.yaml's lines stay within the repository's line length.
_WIDTH = 116


def project_config() -> dict[str, dict[str, Any]]:
    """The `config:` mapping of Pulumi.yaml: declaration per key, in the model's order."""
    return {key: declaration for key, (declaration, _) in _classified().items() if declaration is not None}


def undeclared_keys() -> dict[str, str]:
    """The model's top-level keys left out of the block, each with why."""
    return {key: why for key, (declaration, why) in _classified().items() if declaration is None}


def render() -> str:
    """The block as it stands in Pulumi.yaml: the comment, then `config:`."""
    undeclared = undeclared_keys()
    header = [
        f"{_MARKER} from stack_config/model.py: edit the model, then",
        "# run it. Before the program runs, `pulumi preview`/`up` refuse a stack that leaves out a key declared here",
        "# without a default, or whose value is not of the declared type; a section left out gets its `{}`, which the",
        "# model reads as every key of the section at its default. Undeclared keys are read all the same; these stay",
        "# undeclared, as a declaration would make the CLI require them (stack_config/project_schema.py says more):",
        *(
            line
            for why, keys in _grouped(undeclared).items()
            for line in textwrap.wrap(
                f"{', '.join(keys)}: {why}", _WIDTH, initial_indent="#   ", subsequent_indent="#     "
            )
        ),
    ]
    body = yaml.dump(
        {"config": project_config()},
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=_WIDTH,
    )
    return "\n".join(header) + "\n" + body


def rewrite(text: str) -> str:
    """Pulumi.yaml's text with its `config:` block (and the generated comment above it) replaced, or appended."""
    lines = text.splitlines(keepends=True)
    start = next((index for index, line in enumerate(lines) if re.match(r"config\s*:", line)), None)
    if start is None:
        return text + ("" if not text or text.endswith("\n") else "\n") + render()
    end = start + 1
    # The block runs to the next line at column 0 that is not blank: the next top-level key, or a comment on it.
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
        end += 1
    top = start
    while top > 0 and lines[top - 1].startswith("#"):
        top -= 1
    # Only the generated comment goes with the block: a comment above it that is someone else's stays.
    marker = next((index for index in range(top, start) if lines[index].startswith(_MARKER)), start)
    return "".join(lines[:marker]) + render() + "".join(lines[end:])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stack_config.project_schema",
        description="Print the `config:` block of Pulumi.yaml generated from stack_config/model.py.",
    )
    parser.add_argument("--write", action="store_true", help="rewrite the block in Pulumi.yaml in place")
    parser.add_argument("--project-file", type=Path, default=PROJECT_FILE, help="default: the repository's")
    options = parser.parse_args(argv)
    if not options.write:
        sys.stdout.write(render())
        return 0
    before = options.project_file.read_text(encoding="utf-8")
    after = rewrite(before)
    _check_rewrite(before, after)
    if after != before:
        options.project_file.write_text(after, encoding="utf-8")
    print(f"{options.project_file.name}: `config:` {'rewritten' if after != before else 'already up to date'}")
    return 0


def _check_rewrite(before: str, after: str) -> None:
    """The rewrite changed the `config:` block and nothing else of the file."""
    old, new = yaml.safe_load(before) or {}, yaml.safe_load(after)
    old.pop("config", None)
    generated = new.pop("config")
    if old != new or generated != project_config():
        raise SystemExit(f"{COMMAND}: the rewrite would change more than the `config:` block; edit Pulumi.yaml by hand")


class _Dumper(yaml.SafeDumper):
    """Plain YAML: no anchors and aliases (the strict reader in preview/strict_yaml.py refuses them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _classified() -> dict[str, tuple[dict[str, Any] | None, str]]:
    """Per top-level key (the stack file's spelling): its declaration, or None and why there is none."""
    required = _required_everywhere()
    found: dict[str, tuple[dict[str, Any] | None, str]] = {}
    for name, field in StackConfig.model_fields.items():
        key = field.alias or name
        if key in required:
            found[key] = (_declaration(field), "")
        elif _empty_is_absent(field, key):
            found[key] = ({**_declaration(field), "default": {}}, "")
        else:
            found[key] = (None, _why_undeclared(field))
    return found


def _declaration(field: FieldInfo) -> dict[str, Any]:
    declaration = _cli_type(field.annotation) or {}
    declaration["description"] = _description(field)
    if _unwrap(field.annotation) is SecretStr:
        declaration["secret"] = True
    return declaration


def _probes() -> list[tuple[Environment, str]]:
    """(environment, stack name) pairs the model's per-stack defaults are tried with: each environment under its
    own name and under a name of no environment."""
    return [(environment, stack) for environment in ENVIRONMENTS for stack in (environment, "dev")]


def _required_everywhere() -> set[str]:
    """The keys the model refuses to do without, for every stack: what the CLI may require too."""
    common: set[str] | None = None
    for environment, stack in _probes():
        try:
            StackConfig.model_validate(with_defaults({"environment": environment}, environment, stack))
            missing: set[str] = set()
        except ValidationError as error:
            missing = {
                str(detail["loc"][0])
                for detail in error.errors(include_url=False)
                if detail["type"] == "missing" and len(detail["loc"]) == 1
            }
        common = missing if common is None else common & missing
    return common or set()


def _empty_is_absent(field: FieldInfo, key: str) -> bool:
    """Whether `{}` gives a section what leaving the section out gives it, for every stack.

    The model merges each section a stack gives over the defaults of its environment and name (with_defaults); a
    section it has no defaults for and the stack leaves out takes the field's default."""
    section = _unwrap(field.annotation)
    if _is_optional(field.annotation) or not (isinstance(section, type) and issubclass(section, BaseModel)):
        return False
    for environment, stack in _probes():
        absent = with_defaults({}, environment, stack).get(key)
        empty = with_defaults({key: {}}, environment, stack)[key]
        try:
            empty_value = section.model_validate(empty)
            if absent is None and field.is_required():
                return False
            absent_value = (
                field.get_default(call_default_factory=True) if absent is None else section.model_validate(absent)
            )
        except ValidationError:
            return False
        if absent_value != empty_value:
            return False
    return True


def _why_undeclared(field: FieldInfo) -> str:
    inner = _unwrap(field.annotation)
    if field.is_required():
        return "its default depends on the stack, and a declared default is one for every stack"
    if field.get_default(call_default_factory=True) is None:
        if inner is SecretStr:
            return "optional secrets, unset by default (and a default the CLI injects is never encrypted)"
        return "optional, unset by default: the CLI has no optional key without a default to inject"
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return "`{}` would not give it what leaving it out does"
    return "only sections get a default here (`{}`)"


def _grouped(undeclared: dict[str, str]) -> dict[str, list[str]]:
    """Reason -> the keys it applies to, in the model's order."""
    grouped: dict[str, list[str]] = {}
    for key, why in undeclared.items():
        grouped.setdefault(why, []).append(key)
    return grouped


def _cli_type(annotation: Any) -> dict[str, Any] | None:
    """`type` (and `items`) for the CLI's check, only where that check refuses nothing the model accepts."""
    inner = _unwrap(annotation)
    if _tagged_models(inner) or (isinstance(inner, type) and issubclass(inner, BaseModel)):
        return {"type": "object"}
    origin = get_origin(inner)
    if origin is dict:
        return {"type": "object"}
    if origin in (list, tuple, set, frozenset):
        items = _cli_type(get_args(inner)[0]) if get_args(inner) else None
        return {"type": "array", "items": items} if items else None
    if inner in (str, SecretStr) or (origin is Literal and all(isinstance(arg, str) for arg in get_args(inner))):
        return {"type": "string"}
    return None


def _description(field: FieldInfo) -> str:
    """The field's description; for a section or a list of them, the keys inside, which no `type` can say."""
    text = (field.description or "").strip()
    inner = _unwrap(field.annotation)
    listed = get_origin(inner) in (list, tuple, set, frozenset)
    model = _unwrap(get_args(inner)[0]) if listed and get_args(inner) else inner
    if isinstance(model, type) and issubclass(model, BaseModel):
        keys = ", ".join(_keys(model))
        text = f"{text} {'Each' if listed else 'Keys'}: {keys}."
    return text


def _keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _unwrap(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` -> X."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
            continue
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if get_origin(annotation) in (Union, UnionType) and len(members) == 1:
            annotation = members[0]
            continue
        return annotation


def _is_optional(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        return _is_optional(get_args(annotation)[0])
    return get_origin(annotation) in (Union, UnionType) and type(None) in get_args(annotation)


def _tagged_models(annotation: Any) -> bool:
    """A union of `Annotated[Model, Tag(...)]` (a tagged union of sections)."""
    if get_origin(annotation) not in (Union, UnionType):
        return False
    return all(
        get_origin(member) is Annotated and any(isinstance(extra, Tag) for extra in get_args(member)[1:])
        for member in get_args(annotation)
    )


if __name__ == "__main__":
    sys.exit(main())
