"""What `pulumi up` would do to a stack deployed from another version of the program: per resource, create,
update (which inputs), replace (which input forces it) or delete, matched as the engine matches resources
(by URN, or through an alias).

Both versions are recorded with every value known (ApplyMocks). An input changes when the newer program's
value differs from what the provider stored of the older one (preview/providers.py), or when it is built from
a resource that is created anew or replaced (its id changes then: counted as a change, whatever else of it
the input reads). An input the newer program leaves out counts as unchanged unless the provider reads it back.
Which changes replace a resource comes from the providers' own sources (preview/providers.py), with the
resource's `ignore_changes`, `replace_on_changes` and `delete_before_replace` (set by the program or the
provider). Stateful resources (data, addresses) that would be replaced or deleted stand out.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import Literal

from preview.engine import RecordedResource, RecordedStack
from preview.providers import STATEFUL_TYPES, changed_inputs, model, stored_state
from preview.values import reveal

Action = Literal["create", "update", "replace", "delete"]


@dataclass(frozen=True)
class Change:
    action: Action
    resource: RecordedResource
    """The resource as the newer program has it (as the older one had it, for a delete)."""
    inputs: tuple[str, ...] = ()
    """The inputs that change; for a replacement, those that force it come first."""
    forced_by: tuple[str, ...] = ()
    deleted_first: bool = False
    """A replacement that deletes the old resource before the new one exists (delete_before_replace)."""

    @property
    def stateful(self) -> bool:
        return self.resource.type in STATEFUL_TYPES

    @property
    def loses_data(self) -> bool:
        """A replacement or delete of something that holds data or an address."""
        return self.stateful and self.action in ("replace", "delete")


def _top_level(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _by_identity(resources: Iterable[RecordedResource]) -> dict[str, RecordedResource]:
    found: dict[str, RecordedResource] = {}
    for resource in resources:
        for identity in (resource.urn, *resource.aliases):
            found.setdefault(identity, resource)
    return found


def _order(resources: tuple[RecordedResource, ...]) -> list[RecordedResource]:
    by_urn = {resource.urn: resource for resource in resources}
    graph = {
        urn: [dependency for dependency in (*resource.dependencies, resource.provider.rpartition("::")[0])
              if dependency in by_urn]
        for urn, resource in by_urn.items()
    }  # fmt: skip
    return [by_urn[urn] for urn in TopologicalSorter(graph).static_order()]


def changes(before: RecordedStack, after: RecordedStack) -> list[Change]:
    """What deploying `after` over a stack deployed from `before` would do, in the order it would do it."""
    earlier = _by_identity(before.resources)
    kept: set[str] = set()
    renewed: set[str] = set()
    """URNs (of `after`) whose id changes: created anew or replaced."""
    found: list[Change] = []
    for resource in _order(after.resources):
        old = earlier.get(resource.urn) or next(
            (earlier[alias] for alias in resource.aliases if alias in earlier), None
        )
        if not resource.custom:
            if old is not None:
                kept.add(old.urn)
            continue
        if old is None:
            renewed.add(resource.urn)
            found.append(Change("create", resource))
            continue
        kept.add(old.urn)
        change = _compare(old, resource, renewed)
        if change is not None:
            found.append(change)
            if change.action == "replace":
                renewed.add(resource.urn)
    found += [Change("delete", old) for old in before.resources if old.custom and old.urn not in kept]
    return found


def _compare(old: RecordedResource, new: RecordedResource, renewed: set[str]) -> Change | None:
    # What the provider stored from the older inputs, against the newer ones, as the engine compares them.
    stored = stored_state(old.type, reveal(old.inputs))
    changed = set(changed_inputs(new.type, stored, reveal(new.inputs)))
    changed |= {key for key, urns in new.property_dependencies.items() if renewed & set(urns)}
    changed -= {_top_level(path) for path in new.ignore_changes}
    if not changed:
        return None
    known = model(new.type)
    forcing = {_top_level(path) for path in new.replace_on_changes}
    forced_by = sorted(key for key in changed if key in forcing or (known is not None and known.replaces(key)))
    rest = sorted(changed - set(forced_by))
    if forced_by:
        deleted_first = new.delete_before_replace or (known is not None and known.delete_before_replace)
        return Change("replace", new, (*forced_by, *rest), tuple(forced_by), deleted_first)
    return Change("update", new, tuple(rest))


SYMBOLS = {"create": "+ ", "update": "~ ", "replace": "+-", "delete": "- "}


def report_lines(found: list[Change], label: str, allowed: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(the report, one error per stateful resource that would be replaced or deleted and is not allowed)."""
    lines = [f"Changes against {label}:"]
    if not found:
        lines.append("    no change")
    for change in found:
        resource = change.resource
        detail = ""
        if change.action == "replace":
            others = [key for key in change.inputs if key not in change.forced_by]
            detail = f": {', '.join(change.forced_by)} (forces replacement)" + (
                f", {', '.join(others)}" if others else ""
            )
            if change.deleted_first:
                detail += "; deleted before the new one is created"
        elif change.action == "update":
            detail = f": {', '.join(change.inputs)}"
            if resource.type.startswith("command:"):
                detail += " (reruns its command)"
        mark = "   <- holds data or an address" if change.loses_data else ""
        protected = " [protected]" if resource.protect and change.loses_data else ""
        lines.append(
            f"    {SYMBOLS[change.action]} {change.action:<8} {resource.type}  {resource.name}{detail}{protected}{mark}"
        )
    counts = {action: sum(1 for change in found if change.action == action) for action in SYMBOLS}
    lines.append("    " + ", ".join(f"{count} to {action}" for action, count in counts.items()))
    errors = [
        f"{change.resource.type} {change.resource.name} would be "
        f"{'replaced (' + ', '.join(change.forced_by) + ')' if change.action == 'replace' else 'deleted'}: it holds "
        f"data or an address; allow it with --allow {change.resource.name}"
        for change in found
        if change.loses_data and change.resource.name not in allowed
    ]
    return lines, errors
