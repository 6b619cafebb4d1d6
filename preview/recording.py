"""Recordings saved as JSON, and what a second recording keeps of a first one, matched as the engine would.

The engine matches a resource of a new program to one in the state by URN, or through an alias that
names the old URN. `compare` does the same, so it tells whether a change to the program would leave
a deployed stack alone: every resource kept (under its URN or an alias) with the same type, inputs
and options, and no resource added.

    python -m preview.recording save --stack S [--project-dir DIR] [--mode plan|apply] FILE
    python -m preview.recording compare BEFORE AFTER

`save` records the stack as `pulumi preview` of a new stack sees it (`plan`), or with every value known
as `pulumi up` would have created it (`apply`, so inputs built from ids, addresses and keys compare
too). `compare` prints each move an alias records and one line per difference, and exits 1 when
anything but moves differs.
"""

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from preview.analyzer import wire_value
from preview.engine import RecordedResource, RecordedStack, run_program
from preview.mocks import ApplyMocks, PlanMocks
from preview.stack_files import read_stack
from preview.values import from_wire

# Options compared between recordings; dependencies, parents and providers are compared as URNs mapped
# through the aliases.
_OPTIONS = (
    "custom",
    "protect",
    "ignore_changes",
    "retain_on_delete",
    "delete_before_replace",
    "additional_secret_outputs",
    "replace_on_changes",
)


def to_json(recording: RecordedStack) -> dict[str, Any]:
    resources = []
    for resource in sorted(recording.resources, key=lambda resource: resource.urn):
        entry = asdict(resource)
        entry["inputs"] = wire_value(resource.inputs)
        # Registrations are concurrent: the order of dependencies says nothing.
        entry["dependencies"] = sorted(resource.dependencies)
        entry["property_dependencies"] = {
            key: sorted(urns) for key, urns in sorted(resource.property_dependencies.items())
        }
        resources.append(entry)
    return {
        "project": recording.project,
        "stack": recording.stack,
        "resources": resources,
        "outputs": wire_value(recording.outputs),
    }


def from_json(data: Mapping[str, Any]) -> RecordedStack:
    tuples = {field.name for field in fields(RecordedResource) if str(field.type).startswith("tuple")}
    resources = []
    for entry in data["resources"]:
        values: dict[str, Any] = {key: tuple(value) if key in tuples else value for key, value in entry.items()}
        values["inputs"] = from_wire(entry["inputs"])
        values["property_dependencies"] = {key: tuple(urns) for key, urns in entry["property_dependencies"].items()}
        resources.append(RecordedResource(**values))
    return RecordedStack(data["project"], data["stack"], tuple(resources), (), from_wire(data["outputs"]))


def save(recording: RecordedStack, path: Path) -> None:
    path.write_text(json.dumps(to_json(recording), indent=1, sort_keys=True) + "\n")


def load(path: Path) -> RecordedStack:
    return from_json(json.loads(path.read_text()))


def _text_change(before: str, after: str) -> str:
    """A change of a multi-line text (a script, a template) by its first differing line, not both whole texts."""
    old_lines, new_lines = before.splitlines(), after.splitlines()
    line = next(
        (index for index, pair in enumerate(zip(old_lines, new_lines, strict=False)) if pair[0] != pair[1]),
        min(len(old_lines), len(new_lines)),
    )
    old_line = old_lines[line] if line < len(old_lines) else "<end>"
    new_line = new_lines[line] if line < len(new_lines) else "<end>"
    return f"line {line + 1} of {len(old_lines)} -> {len(new_lines)} lines: {old_line!r} -> {new_line!r}"


def _differences(before: Any, after: Any, path: str) -> Iterator[str]:
    if isinstance(before, str) and isinstance(after, str) and "\n" in before + after and before != after:
        yield f"{path}: {_text_change(before, after)}"
    elif isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            yield from _differences(before.get(key), after.get(key), f"{path}.{key}")
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from _differences(old, new, f"{path}[{index}]")
    elif before != after:
        yield f"{path}: {before!r} -> {after!r}"


def compare(before: RecordedStack, after: RecordedStack) -> tuple[list[str], list[str]]:
    """(differences, moves): what `after` changes of `before`, and which URNs its aliases carry over."""
    by_identity: dict[str, RecordedResource] = {}
    for resource in after.resources:
        for identity in (resource.urn, *resource.aliases):
            by_identity.setdefault(identity, resource)
    renamed = {old.urn: by_identity[old.urn].urn for old in before.resources if old.urn in by_identity}

    def mapped(urns: Iterator[str] | tuple[str, ...]) -> list[str]:
        return sorted(renamed.get(urn, urn) for urn in urns)

    def provider(reference: str) -> str:
        urn, separator, provider_id = reference.rpartition("::")
        return f"{renamed.get(urn, urn)}{separator}{provider_id}" if separator else reference

    differences: list[str] = []
    moves: list[str] = []
    for old in before.resources:
        new = by_identity.get(old.urn)
        if new is None:
            differences.append(f"gone: {old.urn}")
            continue
        moved = new.urn != old.urn
        if moved:
            moves.append(f"moved: {old.urn} -> {new.urn}")
        facts = [
            ("type", old.type, new.type),
            # A move to another parent is what the alias records.
            ("parent", new.parent if moved else renamed.get(old.parent, old.parent), new.parent),
            ("provider", provider(old.provider), new.provider),
            ("dependencies", mapped(old.dependencies), sorted(new.dependencies)),
            (
                "property_dependencies",
                {key: mapped(urns) for key, urns in old.property_dependencies.items()},
                {key: sorted(urns) for key, urns in new.property_dependencies.items()},
            ),
            *((option, getattr(old, option), getattr(new, option)) for option in _OPTIONS),
        ]
        for name, old_value, new_value in facts:
            differences += [f"changed: {new.urn}: {line}" for line in _differences(old_value, new_value, name)]
        differences += [f"changed: {new.urn}: {line}" for line in _differences(old.inputs, new.inputs, "inputs")]
    kept = set(renamed.values())
    differences += [f"new: {resource.urn}" for resource in after.resources if resource.urn not in kept]
    differences += [f"output {line}" for line in _differences(before.outputs, after.outputs, "")]
    return differences, moves


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m preview.recording", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    saving = commands.add_parser("save", help="record a stack under the plan mocks and write it as JSON")
    saving.add_argument("--stack", required=True)
    saving.add_argument("--project-dir", type=Path, default=Path(__file__).resolve().parent.parent)
    saving.add_argument("--mode", choices=("plan", "apply"), default="plan")
    saving.add_argument("file", type=Path)
    comparing = commands.add_parser("compare", help="what AFTER changes of BEFORE; exit 1 if anything")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    options = parser.parse_args(argv)

    if options.command == "save":
        project_dir = options.project_dir.resolve()
        mocks = PlanMocks() if options.mode == "plan" else ApplyMocks()
        stack = read_stack(project_dir, options.stack)
        # Recorded as a preview either way: a deploy would refuse the example values of shipped stack files.
        save(run_program(project_dir, stack, mocks, preview=True), options.file)
        return 0
    differences, moves = compare(load(options.before), load(options.after))
    print("\n".join([*moves, *differences]) or "no difference")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
