"""Runs the Pulumi program in-process under a mock engine and records everything it registers.

The recording holds what the real engine would receive from the program: every resource with
its inputs and options, every invoke, and the stack outputs. Mocks decide what the "cloud"
answers (preview/mocks.py).
"""

import asyncio
import contextlib
import logging
import runpy
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from preview.stack_files import StackSettings
from preview.values import SECRET_SIGNATURE, SIGNATURE_KEY, UNKNOWN_SENTINEL, Secret, from_wire


class ProgramError(Exception):
    """The program stopped on purpose (a `pulumi.RunError`, e.g. invalid configuration)."""


@dataclass(frozen=True)
class RecordedResource:
    """One registration, as the engine received it; the defaults are those of a resource with no options."""

    urn: str
    type: str
    name: str
    parent: str = ""
    custom: bool = True
    inputs: dict[str, Any] = field(default_factory=dict)
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    provider: str = ""
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    additional_secret_outputs: tuple[str, ...] = ()
    replace_on_changes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    """Earlier URNs of the resource, resolved as the engine resolves alias specs."""


@dataclass(frozen=True)
class RecordedInvoke:
    token: str
    args: dict[str, Any]


@dataclass(frozen=True)
class RecordedStack:
    project: str
    stack: str
    resources: tuple[RecordedResource, ...]
    invokes: tuple[RecordedInvoke, ...]
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    """What the program logged as warnings (`pulumi.log.warn`), as the engine would show them."""

    def of_type(self, resource_type: str) -> list[RecordedResource]:
        return [resource for resource in self.resources if resource.type == resource_type]

    def named(self, name: str) -> RecordedResource:
        matches = [resource for resource in self.resources if resource.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources are named {name!r}")
        return matches[0]

    def children(self, urn: str) -> list[RecordedResource]:
        return [resource for resource in self.resources if resource.parent == urn]


def _mark_secret_outputs(outputs: struct_pb2.Struct, names: Iterable[str], preview: bool) -> None:
    """Wrap the outputs a resource lists in additional_secret_outputs as secrets, as the engine does after each step
    (pulumi/pulumi@v3.259.0:pkg/resource/deploy/step_executor.go:525-534); the SDK's mock monitor does not, so a
    RandomPassword's result would reach other resources as a plain value. In a preview an output the mocks leave
    out is one the provider has not computed yet: the engine marks that unknown secret too."""
    for name in names:
        value = outputs.fields.get(name)
        if name == "id" or (value is None and not preview):
            continue
        if value is not None and SIGNATURE_KEY in value.struct_value.fields:
            continue
        envelope = struct_pb2.Value()
        envelope.struct_value.fields[SIGNATURE_KEY].string_value = SECRET_SIGNATURE
        if value is None:
            envelope.struct_value.fields["value"].string_value = UNKNOWN_SENTINEL
        else:
            envelope.struct_value.fields["value"].CopyFrom(value)
        outputs.fields[name].CopyFrom(envelope)


class RecordingMonitor(mocks.MockMonitor):
    """A mock resource monitor that keeps the whole registration request, not only type, name and inputs."""

    def __init__(self, mock: pulumi.runtime.Mocks, preview: bool) -> None:
        super().__init__(mock)
        self.preview = preview
        self.recorded: list[RecordedResource] = []
        self.invokes: list[RecordedInvoke] = []

    @staticmethod
    def _close_worker_loop() -> None:
        """The SDK gives a worker thread an event loop for each call and never closes it; close it here.

        Left open, those loops are collected at interpreter exit and print errors to stderr.
        """
        if threading.current_thread() is threading.main_thread():
            return
        with contextlib.suppress(RuntimeError):  # no loop was made for this call
            asyncio.get_event_loop().close()
            asyncio.set_event_loop(None)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        try:
            return self._record_registration(request)
        finally:
            self._close_worker_loop()

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        try:
            response = super().Invoke(request)  # type: ignore[no-untyped-call]
            self.invokes.append(RecordedInvoke(request.tok, from_wire(rpc.deserialize_properties(request.args))))
            return response
        finally:
            self._close_worker_loop()

    def _record_registration(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        _mark_secret_outputs(response.object, request.additionalSecretOutputs, self.preview)
        self.recorded.append(
            RecordedResource(
                urn=self.make_urn(request.parent, request.type, request.name),
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=request.custom,
                inputs=from_wire(rpc.deserialize_properties(request.object, keep_unknowns=True)),
                protect=request.protect,
                ignore_changes=tuple(request.ignoreChanges),
                dependencies=tuple(request.dependencies),
                property_dependencies={key: tuple(value.urns) for key, value in request.propertyDependencies.items()},
                provider=request.provider,
                retain_on_delete=request.retainOnDelete,
                delete_before_replace=request.deleteBeforeReplace,
                additional_secret_outputs=tuple(request.additionalSecretOutputs),
                replace_on_changes=tuple(request.replaceOnChanges),
                aliases=tuple(self._alias_urn(request, alias) for alias in request.aliases),
            )
        )
        return response

    def _alias_urn(self, request: Any, alias: Any) -> str:
        """An alias spec completed from the resource itself, as the engine completes it."""
        if alias.WhichOneof("alias") == "urn":
            return str(alias.urn)
        spec = alias.spec
        parent = "" if spec.noParent else spec.parentUrn or request.parent
        urn: str = self.make_urn(parent, spec.type or request.type, spec.name or request.name)
        stack, project, rest = urn.removeprefix("urn:pulumi:").split("::", 2)
        return f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::{rest}"


class WarningLog(logging.Logger):
    """The mock engine's logger: keeps the warnings the program logs."""

    def __init__(self) -> None:
        super().__init__("preview.program", logging.WARNING)
        self.lines: list[str] = []

    def handle(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def run_program(
    program_dir: Path, stack: StackSettings, mock: pulumi.runtime.Mocks, preview: bool = True
) -> RecordedStack:
    """Run `<program_dir>/__main__.py` for `stack` and return what it registered."""
    if str(program_dir) not in sys.path:
        sys.path.insert(0, str(program_dir))
    return record(lambda: runpy.run_path(str(program_dir / "__main__.py"), run_name="__main__"), stack, mock, preview)


def record(
    program: Callable[[], object], stack: StackSettings, mock: pulumi.runtime.Mocks, preview: bool = True
) -> RecordedStack:
    """Run `program` (a whole program, or a few components) for `stack` and return what it registered."""
    pulumi.runtime.set_all_config(dict(stack.config), list(stack.secret_keys))
    settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh Stack per run
    monitor = RecordingMonitor(mock, preview)
    warnings = WarningLog()
    pulumi.runtime.set_mocks(
        mock, project=stack.project, stack=stack.stack, preview=preview, monitor=monitor, logger=warnings
    )

    def run() -> None:
        program()

    try:
        _sync_await(run_pulumi_func(run))
    except pulumi.RunError as error:
        raise ProgramError(str(error)) from None
    root = settings.get_root_resource()
    outputs = {key: _sync_await(_resolve(value)) for key, value in getattr(root, "outputs", {}).items()}
    return RecordedStack(
        stack.project, stack.stack, tuple(monitor.recorded), tuple(monitor.invokes), outputs, tuple(warnings.lines)
    )


async def _resolve(value: Any) -> Any:
    output = pulumi.Output.from_input(value)
    resolved = from_wire(await output.future(with_unknowns=True))
    return Secret(resolved) if await output.is_secret() else resolved
