"""Runs a policy pack the way the Pulumi engine does and speaks the Analyzer gRPC protocol to it.

The engine starts a Python pack as `python -u -m pulumi.policy <engine-address> <pack-dir>`; the pack
prints the port of its Analyzer server and waits. The engine then asks for the pack's policies,
configures them for the stack, sends every resource (`Analyze`) and the whole stack
(`AnalyzeStack`), and collects diagnostics.
"""

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from preview.engine import RecordedResource, RecordedStack
from preview.policy_config import LEVELS, PolicyDefaults, PolicySetting
from preview.stack_files import SECRET_PLACEHOLDER_PREFIX
from preview.values import SECRET_SIGNATURE, SIGNATURE_KEY, UNKNOWN, UNKNOWN_SENTINEL, Secret

START_TIMEOUT_SECONDS = 60
# The protocol's enum names the levels in capitals: ADVISORY, MANDATORY, ...
LEVEL_VALUES = {name: analyzer_pb2.EnforcementLevel.Value(name.upper()) for name in LEVELS}
LEVEL_NAMES = {value: name for name, value in LEVEL_VALUES.items()}


class PolicyPackError(Exception):
    """The pack did not start or broke the protocol."""


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    urn: str
    description: str
    message: str

    @property
    def detail(self) -> str:
        """The reported text without the description the pack puts in front of it."""
        return self.message.removeprefix(self.description).lstrip("\n")

    @property
    def resource(self) -> str:
        """'type: name' of the resource, from its URN ('' for the stack)."""
        if not self.urn:
            return ""
        parts = self.urn.split("::")
        return f"{parts[2].split('$')[-1]}: {parts[3]}"


class PolicyPackProcess:
    """A policy pack subprocess. Starting it is cheap to ask for: it loads while the program runs."""

    def __init__(self, pack_dir: Path, project: str, stack: str, dry_run: bool = True) -> None:
        self.pack_dir = pack_dir
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        environment = {
            **os.environ,
            "PULUMI_PROJECT": project,
            "PULUMI_STACK": stack,
            "PULUMI_DRY_RUN": "true" if dry_run else "false",
            "PULUMI_CONFIG": "{}",
        }
        # The pack never dials the engine address it is given; the engine passes its own.
        self._process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(pack_dir)],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=environment,
        )
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._process.poll() is None:
            self._process.kill()  # as the engine ends a plugin; the pack holds no state
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._stderr.close()

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            assert self._process.stdout is not None
            line = self._process.stdout.readline().decode().strip()
            if not line.isdigit():
                self._process.wait(timeout=START_TIMEOUT_SECONDS)
                self._stderr.seek(0)
                errors = self._stderr.read().decode(errors="replace").strip()
                raise PolicyPackError(f"the policy pack in {self.pack_dir} did not start: {errors or line}")
            self._channel = grpc.insecure_channel(f"127.0.0.1:{line}")
            grpc.channel_ready_future(self._channel).result(timeout=START_TIMEOUT_SECONDS)
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self._stub

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        reply: analyzer_pb2.AnalyzerInfo = self.stub.GetAnalyzerInfo(empty_pb2.Empty())
        return reply

    def defaults(self) -> dict[str, PolicyDefaults]:
        """Each policy's default level and config schema, as the pack declares them."""
        return {
            policy.name: PolicyDefaults(
                LEVEL_NAMES[policy.enforcementLevel],
                {key: dict(value) for key, value in _plain(policy.configSchema.properties).items()},
            )
            for policy in self.info().policies
        }

    def configure(self, settings: Mapping[str, PolicySetting], stack: str, project: str, dry_run: bool = True) -> None:
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, setting in settings.items():
            request.policyConfig[name].enforcementLevel = LEVEL_VALUES[setting.level]
            request.policyConfig[name].properties.update(setting.properties)
        self.stub.Configure(request)
        self.stub.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(stack=stack, project=project, dry_run=dry_run)
        )

    def analyze(self, resources: Iterable[analyzer_pb2.AnalyzerResource]) -> list[Diagnostic]:
        """One `Analyze` call per resource, as the engine makes one per resource step."""
        found = []
        for resource in resources:
            request = analyzer_pb2.AnalyzeRequest(
                type=resource.type,
                properties=resource.properties,
                urn=resource.urn,
                name=resource.name,
                options=resource.options,
                provider=resource.provider if resource.HasField("provider") else None,
            )
            # The engine files a resource's diagnostics under that resource.
            found += [replace(item, urn=item.urn or resource.urn) for item in _diagnostics(self.stub.Analyze(request))]
        return found

    def analyze_stack(self, resources: Sequence[analyzer_pb2.AnalyzerResource]) -> list[Diagnostic]:
        return _diagnostics(self.stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources)))


def _diagnostics(response: analyzer_pb2.AnalyzeResponse) -> list[Diagnostic]:
    return [
        Diagnostic(
            policy=item.policyName,
            level=LEVEL_NAMES[item.enforcementLevel],
            urn=item.urn,
            description=item.description,
            message=item.message,
        )
        for item in response.diagnostics
    ]


def _plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    converted: dict[str, Any] = json_format.MessageToDict(struct)
    return converted


def wire_value(value: Any) -> Any:
    """A recorded value as the engine sends it: secrets in envelopes, unknowns as the unknown sentinel.

    Stand-ins for `secure:` config values, which the preview cannot decrypt, travel as unknowns: a
    policy cannot judge them, exactly as it cannot judge a secret generated at deploy time.
    """
    if isinstance(value, Secret):
        return {SIGNATURE_KEY: SECRET_SIGNATURE, "value": wire_value(value.value)}
    if value is UNKNOWN or (isinstance(value, str) and SECRET_PLACEHOLDER_PREFIX in value):
        return UNKNOWN_SENTINEL
    if isinstance(value, dict):
        return {key: wire_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [wire_value(item) for item in value]
    return value


def _struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update({key: wire_value(value) for key, value in properties.items()})
    return struct


def default_providers(recording: RecordedStack, config: Mapping[str, str]) -> list[RecordedResource]:
    """The providers the engine creates for resources that name none, configured from `<package>:<key>`."""
    packages = sorted(
        {
            resource.type.split(":", 1)[0]
            for resource in recording.resources
            if resource.custom and not resource.provider and not resource.type.startswith("pulumi:")
        }
    )
    stack_urn = next((resource.urn for resource in recording.resources if not resource.parent), "")
    prefix = stack_urn.split("::pulumi:pulumi:Stack::", 1)[0]
    providers = []
    for package in packages:
        inputs = {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith(f"{package}:")}
        providers.append(
            RecordedResource(
                urn=f"{prefix}::pulumi:providers:{package}::default",
                type=f"pulumi:providers:{package}",
                name="default",
                inputs=inputs,
            )
        )
    return providers


def analyzer_resources(recording: RecordedStack, config: Mapping[str, str]) -> list[analyzer_pb2.AnalyzerResource]:
    """Every resource of the recording, and the default providers, as the engine describes them to a pack."""
    resources = [*default_providers(recording, config), *recording.resources]
    by_urn = {resource.urn: resource for resource in resources}
    converted = []
    for resource in resources:
        provider_urn = resource.provider.rsplit("::", 1)[0] if resource.provider else ""
        if not provider_urn and resource.custom and not resource.type.startswith("pulumi:"):
            provider_urn = next(
                (
                    urn
                    for urn in by_urn
                    if urn.endswith(f"::pulumi:providers:{resource.type.split(':', 1)[0]}::default")
                ),
                "",
            )
        provider = by_urn.get(provider_urn)
        message = analyzer_pb2.AnalyzerResource(
            type=resource.type,
            properties=_struct(resource.inputs),
            urn=resource.urn,
            name=resource.name,
            options=analyzer_pb2.AnalyzerResourceOptions(
                protect=resource.protect,
                ignoreChanges=list(resource.ignore_changes),
                deleteBeforeReplace=resource.delete_before_replace,
                deleteBeforeReplaceDefined=resource.delete_before_replace,
                additionalSecretOutputs=list(resource.additional_secret_outputs),
                parent=resource.parent,
            ),
            parent=resource.parent,
            dependencies=list(resource.dependencies),
        )
        for key, urns in resource.property_dependencies.items():
            message.propertyDependencies[key].urns.extend(urns)
        if provider is not None:
            message.provider.CopyFrom(
                analyzer_pb2.AnalyzerProviderResource(
                    type=provider.type, properties=_struct(provider.inputs), urn=provider.urn, name=provider.name
                )
            )
        converted.append(message)
    return converted
