"""A recorded stack deployed step by step on a booted machine, as `pulumi up` would run its steps.

Every `command:local` and `command:remote` resource runs in dependency order exactly as pulumi-command
runs it: a local step as `sh -c <create>` with its stdin and environment; a remote step over SSH with its
connection's user and key, pinned to its connection's host key and no other (pulumi-command's fixed-key
callback; a step without one is refused here), its `environment` sent as SSH environment (refused, naming
the step and the variable, when the server's sshd would not accept it, as pulumi-command's Setenv is
refused), its stdin and its `create`. What a step prints flows into the inputs that use it, as the engine
passes outputs on: the recording holds the mock's answer (`printed_by`), the rehearsal puts what the step
really printed in its place. The one thing that differs is the route: the server's recorded address (port
22) is the booted machine at 127.0.0.1:<port>.

Other resource types and the steps that need what this machine cannot reach are played by `handlers`
(standins.py); `skipped` says what did not run and why.
"""

import fnmatch
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from graphlib import TopologicalSorter
from pathlib import Path

from components.server_scripts import script_sent_as
from preview.engine import RecordedResource, RecordedStack
from preview.mocks import printed_by
from preview.values import reveal
from tests.server.machine import Machine

LOCAL = "command:local:Command"
REMOTE = "command:remote:Command"


class RehearsalError(AssertionError):
    pass


@dataclass(frozen=True)
class StepRun:
    name: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float


@dataclass
class Client:
    """SSH from this host to the booted machine, pinned to the host keys it had when first seen."""

    machine: Machine
    address: str
    """The server's address in the recording: connections to it go to the machine."""
    directory: Path
    known_hosts: Path = field(init=False)

    def __post_init__(self) -> None:
        self.known_hosts = self.directory / "known_hosts"
        keys = self.machine.inside("cat /etc/ssh/ssh_host_*_key.pub").stdout.splitlines()
        self.known_hosts.write_text("".join(f"[127.0.0.1]:{self.machine.port} {key}\n" for key in keys))

    def options(self, key_file: Path, known_hosts: Path | None = None) -> list[str]:
        return [
            "-p", str(self.machine.port), "-i", str(key_file),
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
            "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts or self.known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        ]  # fmt: skip

    def run(
        self,
        user: str,
        key_file: Path,
        command: str,
        *,
        stdin: str = "",
        environment: dict[str, str] | None = None,
        timeout: float = 900,
        host_key: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`host_key`: accept that key only (`ssh-ed25519 <key>`), as a step's connection does; default: the keys
        the machine had when first seen."""
        sent = [option for name in environment or {} for option in ("-o", f"SendEnv={name}")]
        known_hosts = None
        if host_key is not None:
            known_hosts = self.directory / "step_known_hosts"
            known_hosts.write_text(f"[127.0.0.1]:{self.machine.port} {host_key}\n")
        return subprocess.run(
            ["ssh", *self.options(key_file, known_hosts), *sent, f"{user}@127.0.0.1", command],
            input=stdin, capture_output=True, text=True, timeout=timeout, check=False,
            env={**os.environ, **(environment or {})},
        )  # fmt: skip

    def ssh_shim(self) -> Path:
        """A directory with an `ssh` for local steps, to which the recorded address is the machine. ssh keeps
        the first value it is given of an option, so these come before the step's own `-p 22`."""
        shim = self.directory / "bin" / "ssh"
        shim.parent.mkdir(exist_ok=True)
        shim.write_text(f'#!/bin/sh\nexec /usr/bin/ssh -o HostName=127.0.0.1 -o Port={self.machine.port} "$@"\n')
        shim.chmod(0o755)
        return shim.parent


def accepted_environment(machine: Machine) -> list[str]:
    """The AcceptEnv patterns of the machine's sshd as it runs now (`sshd -T`)."""
    effective = machine.inside("sshd -T").stdout.splitlines()
    return [pattern for line in effective if line.startswith("acceptenv ") for pattern in line.split()[1:]]


@dataclass
class Rehearsal:
    recording: RecordedStack
    client: Client
    handlers: dict[str, Callable[[RecordedResource], object]] = field(default_factory=dict)
    """What plays a resource type or, as `script:<name>`, a step running that server script."""
    after_step: dict[str, Callable[[], None]] = field(default_factory=dict)
    """Checks of the machine as a step left it, before the next one runs."""
    skipped: dict[str, str] = field(default_factory=dict)
    runs: dict[str, StepRun] = field(default_factory=dict)
    printed: dict[str, str] = field(default_factory=dict)
    """What the mock said a step prints -> what it printed here (pulumi-command trims one trailing newline)."""

    def order(self) -> Iterator[RecordedResource]:
        """The resources in an order the engine could create them: after their dependencies and provider."""
        by_urn = {resource.urn: resource for resource in self.recording.resources}
        graph = {
            urn: [dependency for dependency in (*resource.dependencies, resource.provider.rpartition("::")[0])
                  if dependency in by_urn]
            for urn, resource in by_urn.items()
        }  # fmt: skip
        for urn in TopologicalSorter(graph).static_order():
            yield by_urn[urn]

    def run_all(self) -> None:
        for resource in self.order():
            if resource.type in (LOCAL, REMOTE):
                script = script_sent_as(str(reveal(resource.inputs).get("stdin", "")))
                self.handlers.get(f"script:{script}", self.step)(resource)
            elif resource.type in self.handlers:
                self.handlers[resource.type](resource)
            if resource.name in self.after_step:
                self.after_step[resource.name]()

    def step(self, resource: RecordedResource) -> StepRun:
        """Run one recorded step as pulumi-command would; a failure fails the rehearsal."""
        start = time.monotonic()
        result = self._local(resource) if resource.type == LOCAL else self._remote(resource)
        run = StepRun(resource.name, result.returncode, result.stdout, result.stderr, time.monotonic() - start)
        self.runs[resource.name] = run
        if run.returncode != 0:
            # Both streams, as pulumi-command reports a failed command.
            raise RehearsalError(
                f"step {resource.name} exited {run.returncode}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
            )
        if printed_by(resource.name):
            self.printed[printed_by(resource.name)] = run.stdout.removesuffix("\n")
        return run

    def update(self, resource: RecordedResource) -> subprocess.CompletedProcess[str]:
        """The step run again as an update runs it, failed or not. A local step gets what it printed before as
        PULUMI_COMMAND_STDOUT (pulumi/pulumi-command@v1.2.1:provider/pkg/provider/local/commandOutputs.go:88-95);
        remote steps are told not to (`add_previous_output_in_env=False`)."""
        if resource.type == REMOTE:
            return self._remote(resource)
        inputs = reveal(resource.inputs)
        previous = {"PULUMI_COMMAND_STDOUT": self.runs[resource.name].stdout.removesuffix("\n")}
        return self._local(replace(resource, inputs={**inputs, "environment": {**inputs["environment"], **previous}}))

    def step_with_environment(self, resource: RecordedResource, environment: dict[str, str]) -> StepRun:
        """The step with some of its SSH environment replaced, as a changed secret would send it."""
        inputs = reveal(resource.inputs)
        return self.step(replace(resource, inputs={**inputs, "environment": {**inputs["environment"], **environment}}))

    def skip(self, resource: RecordedResource, why: str) -> None:
        self.skipped[resource.name] = why

    def _local(self, resource: RecordedResource) -> subprocess.CompletedProcess[str]:
        inputs = reveal(resource.inputs)
        environment = {**os.environ, **inputs.get("environment", {})}
        environment["PATH"] = f"{self.client.ssh_shim()}:{environment['PATH']}"
        return subprocess.run(
            ["/bin/sh", "-c", inputs["create"]], input=inputs.get("stdin", ""), capture_output=True, text=True,
            env=environment, timeout=1800, check=False,
        )  # fmt: skip

    def _remote(self, resource: RecordedResource) -> subprocess.CompletedProcess[str]:
        inputs = reveal(resource.inputs)
        connection = inputs["connection"]
        if connection["host"] != self.client.address or int(connection.get("port", 22)) != 22:
            raise RehearsalError(f"step {resource.name} connects to {connection['host']}, not the server")
        host_key = self.printed.get(connection.get("hostKey", ""))
        if host_key is None:
            raise RehearsalError(
                f"step {resource.name} does not pin a host key recorded by an earlier step: it would trust any server"
            )
        environment: dict[str, str] = inputs.get("environment") or {}
        patterns = accepted_environment(self.client.machine)
        refused = [name for name in environment if not any(fnmatch.fnmatchcase(name, p) for p in patterns)]
        if refused:
            raise RehearsalError(
                f"step {resource.name} sends {', '.join(refused)} as SSH environment, which the server's sshd "
                f"does not accept (AcceptEnv {' '.join(patterns)})"
            )
        with tempfile.TemporaryDirectory(dir=self.client.directory) as keys:
            key_file = Path(keys) / "key"
            key_file.write_text(connection["privateKey"])
            key_file.chmod(0o600)
            return self.client.run(
                connection["user"], key_file, inputs["create"], stdin=inputs.get("stdin", ""), environment=environment,
                host_key=host_key,
            )  # fmt: skip
