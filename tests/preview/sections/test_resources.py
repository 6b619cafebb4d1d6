"""The resource tree and the summary beneath it."""

from typing import Any

from preview.engine import RecordedResource, RecordedStack
from preview.sections.resources import ResourceTree
from preview.sections.summary import Summary
from preview.values import Secret


def resource(
    name: str,
    *,
    parent: str = "",
    custom: bool = True,
    kind: str = "",
    inputs: dict[str, Any] | None = None,
    protect: bool = False,
    ignore_changes: tuple[str, ...] = (),
) -> RecordedResource:
    return RecordedResource(
        urn=f"urn:{name}",
        type=kind or f"test:index:{name.title()}",
        name=name,
        parent=parent,
        custom=custom,
        inputs=inputs or {},
        protect=protect,
        ignore_changes=ignore_changes,
    )


def test_tree_nests_children_and_shows_flags_and_inputs() -> None:
    stack = RecordedStack(
        "p",
        "dev",
        (
            resource("stack", custom=False, kind="pulumi:pulumi:Stack"),
            resource("box", parent="urn:stack", custom=False),
            resource("disk", parent="urn:box", protect=True, inputs={"size": 10, "password": Secret("x")}),
            resource("nic", parent="urn:box", ignore_changes=("mac",)),
        ),
        (),
    )
    assert ResourceTree().render(stack).lines == [
        "Previewing update (dev), offline:",
        "",
        " +  pulumi:pulumi:Stack    stack",
        " +  └─ test:index:Box      box",
        " +     ├─ test:index:Disk  disk  [protect]",
        "       │         password: [secret]",
        "       │         size: 10",
        " +     └─ test:index:Nic   nic  [ignore_changes: mac]",
    ]
    assert Summary().render(stack).lines[1] == "    + 4 to create (1 stack, 1 component, 2 cloud resources)"
