"""Recordings saved and compared as the engine matches resources: by URN, or through an alias."""

from dataclasses import replace
from pathlib import Path

from preview.engine import RecordedResource, RecordedStack
from preview.mocks import ApplyMocks
from preview.recording import compare, load, save
from preview.values import UNKNOWN, Secret
from tests.conftest import record

STACK = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"
BOX = "urn:pulumi:s::p::test:index:Box::box"


def resource(name: str, parent: str = STACK, **changes: object) -> RecordedResource:
    kind = "test:index:Disk"
    urn = f"urn:pulumi:s::p::{parent.split('::')[2] + '$' if parent != STACK else ''}{kind}::{name}"
    base = RecordedResource(urn, kind, name, parent=parent, inputs={"size": 10, "password": Secret("x")})
    return replace(base, **changes)  # type: ignore[arg-type]


def stack(*resources: RecordedResource) -> RecordedStack:
    root = RecordedResource(STACK, "pulumi:pulumi:Stack", "p-s", custom=False)
    return RecordedStack("p", "s", (root, *resources), (), {"size": Secret(UNKNOWN)})


def test_a_saved_recording_loads_as_it_was(tmp_path: Path) -> None:
    recording = record("production", {"workers": {"count": 1}})
    save(recording, tmp_path / "recording.json")
    loaded = load(tmp_path / "recording.json")
    assert compare(recording, loaded) == ([], [])
    assert {resource.urn: resource for resource in loaded.resources} == {
        resource.urn: replace(
            resource,
            dependencies=tuple(sorted(resource.dependencies)),
            property_dependencies={key: tuple(sorted(urns)) for key, urns in resource.property_dependencies.items()},
        )
        for resource in recording.resources
    }
    assert loaded.outputs == recording.outputs


def test_the_same_program_records_the_same_values_twice() -> None:
    assert compare(record("staging", mocks=ApplyMocks()), record("staging", mocks=ApplyMocks())) == ([], [])


def test_changed_inputs_and_options_gone_and_new_resources_are_differences() -> None:
    before = stack(resource("disk"), resource("old"))
    after = stack(resource("disk", inputs={"size": 20, "password": Secret("x")}, protect=True), resource("new"))
    differences, moves = compare(before, after)
    assert moves == []
    disk = "urn:pulumi:s::p::test:index:Disk::disk"
    assert differences == [
        f"changed: {disk}: protect: False -> True",
        f"changed: {disk}: inputs.size: 10 -> 20",
        "gone: urn:pulumi:s::p::test:index:Disk::old",
        "new: urn:pulumi:s::p::test:index:Disk::new",
    ]


def test_a_move_an_alias_records_is_not_a_difference_and_one_without_is() -> None:
    before = stack(resource("disk"))
    moved = resource("box-disk", parent=BOX)
    aliased = replace(moved, aliases=("urn:pulumi:s::p::test:index:Disk::disk",))
    assert compare(before, stack(aliased)) == (
        [],
        ["moved: urn:pulumi:s::p::test:index:Disk::disk -> urn:pulumi:s::p::test:index:Box$test:index:Disk::box-disk"],
    )
    differences, _ = compare(before, stack(moved))
    assert differences == [
        "gone: urn:pulumi:s::p::test:index:Disk::disk",
        "new: urn:pulumi:s::p::test:index:Box$test:index:Disk::box-disk",
    ]


def test_dependencies_are_compared_through_the_aliases() -> None:
    old_disk = resource("disk")
    user = resource("user", dependencies=(old_disk.urn,))
    moved = replace(resource("box-disk", parent=BOX), aliases=(old_disk.urn,))
    differences, _ = compare(stack(old_disk, user), stack(moved, replace(user, dependencies=(moved.urn,))))
    assert differences == []
    differences, _ = compare(stack(old_disk, user), stack(moved, replace(user, dependencies=())))
    assert differences == [f"changed: {user.urn}: dependencies: ['{moved.urn}'] -> []"]


def test_a_changed_text_is_shown_by_its_first_differing_line() -> None:
    script = "#!/bin/sh\nset -eu\necho one\n"
    before = stack(resource("step", inputs={"stdin": script, "create": "A=1 bash -s"}))
    after = stack(resource("step", inputs={"stdin": script.replace("one", "two"), "create": "A=2 bash -s"}))
    step = "urn:pulumi:s::p::test:index:Disk::step"
    assert compare(before, after)[0] == [
        f"changed: {step}: inputs.create: 'A=1 bash -s' -> 'A=2 bash -s'",
        f"changed: {step}: inputs.stdin: line 3 of 3 -> 3 lines: 'echo one' -> 'echo two'",
    ]
    shorter = stack(resource("step", inputs={"stdin": "#!/bin/sh\nset -eu\n", "create": "A=1 bash -s"}))
    assert compare(before, shorter)[0] == [
        f"changed: {step}: inputs.stdin: line 3 of 3 -> 2 lines: 'echo one' -> '<end>'"
    ]
