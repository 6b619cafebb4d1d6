"""Steps run on a server over SSH: a server script with its inputs, as root with the deploy key.

A step is a server script run as `bash -s` (see server_scripts.py). Its trigger is the server's id
and a hash of its script and inputs: a replaced server gets every step again, a changed script or
input runs that step again, and an unchanged stack runs nothing.

Every step pins the server's host key. `wait_for_ssh` meets a new server first and records the key it
offers (its output, kept in the state); every later connection, that step's own included, refuses any
other key. pulumi-command checks a connection's `host_key` with a fixed-key callback and ignores host
keys altogether without one (pulumi/pulumi-command@v1.2.1:provider/pkg/provider/remote/connection.go:86-103),
so a step without a recorded key is refused here, before it could send a secret to whoever answers.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pulumi
from pulumi_command import local, remote

from components.server_scripts import command_line, fingerprint, server_script, sshd_accepts

ROOT_USER = "root"


class StepContractError(pulumi.RunError):
    """A step would send what the server cannot receive; a mistake in this program, not in the stack's config."""


@dataclass(frozen=True)
class ServerAccess:
    """How steps reach a server: its id (a replaced server runs every step again), address, the deploy key, and
    the host key recorded at first contact."""

    server_id: pulumi.Input[str]
    address: pulumi.Input[str]
    private_key: pulumi.Input[str]
    """The generated deploy key (secret), authorized for root."""
    previous_private_key: pulumi.Input[str] | None = None
    """The deploy key before the last rotation (secret), still authorized for root; None before any rotation."""
    host_key: pulumi.Input[str] | None = None
    """`ssh-ed25519 <key>`, as `wait_for_ssh` recorded it; None until then."""

    def pinned(self, host_key: pulumi.Input[str]) -> "ServerAccess":
        return replace(self, host_key=host_key)

    @property
    def connection(self) -> remote.ConnectionArgs:
        if self.host_key is None:
            raise StepContractError("a step would reach a server whose host key is not recorded: pin it first")
        return remote.ConnectionArgs(
            host=self.address, user=ROOT_USER, private_key=self.private_key, host_key=self.host_key
        )


def wait_for_ssh(
    name: str, server: ServerAccess, *, parent: pulumi.Resource, aliases: Sequence[pulumi.Alias] = ()
) -> local.Command:
    """Where `pulumi up` runs: until the server answers SSH (through the system ssh, as the Docker provider will) and
    cloud-init has finished. Its stdout is the server's host key.

    Triggered by the server alone: a new server is met afresh, while a changed script or key updates the step,
    which then runs with the host key it recorded before (an update runs `create` again:
    pulumi/pulumi-command@v1.2.1:provider/pkg/provider/local/commandController.go:66-89). After a rotation of
    the deploy key, that run hands the new key over through the previous one (wait-for-ssh.sh).
    """
    script = server_script("wait-for-ssh.sh")
    environment = {"SSH_HOST": server.address, "SSH_USER": ROOT_USER, "SSH_PRIVATE_KEY": server.private_key}
    # Absent before the first rotation: the step of a stack that never rotated keeps its inputs.
    if server.previous_private_key is not None:
        environment["SSH_PREVIOUS_PRIVATE_KEY"] = server.previous_private_key
    return local.Command(
        name,
        create="bash -s",
        stdin=script.text,
        environment=environment,
        triggers=[server.server_id],
        opts=pulumi.ResourceOptions(
            parent=parent, additional_secret_outputs=["environment"], aliases=list(aliases) or None
        ),
    )


def remote_step(
    name: str,
    server: ServerAccess,
    script_name: str,
    inputs: Mapping[str, str] | pulumi.Output[dict[str, str]],
    *,
    parent: pulumi.Resource,
    after: Sequence[pulumi.Resource],
    secrets: Mapping[str, pulumi.Input[str]] | None = None,
    aliases: Sequence[pulumi.Alias] = (),
) -> remote.Command:
    """Run `script_name` on the server with `inputs` on its command line and `secrets` as SSH environment.

    Inputs known only at deploy time (another resource's id or output) may come as an Output.
    """
    refused = [variable for variable in secrets or {} if not sshd_accepts(variable)]
    if refused:
        raise StepContractError(
            f"step {name} sends {', '.join(refused)} as SSH environment, which the hardened sshd drops: add "
            "it to AcceptEnv in components/templates/sshd-hardening.conf"
        )
    script = server_script(script_name)
    known: pulumi.Output[dict[str, str]] = pulumi.Output.from_input(inputs).apply(dict)
    return remote.Command(
        name,
        connection=server.connection,
        create=known.apply(command_line),
        stdin=script.text,
        environment=secrets,
        # Without this, an update tries to send the previous output as SSH environment.
        add_previous_output_in_env=False,
        triggers=[server.server_id, known.apply(lambda values: fingerprint(script, values))],
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=list(after),
            additional_secret_outputs=["environment"] if secrets else None,
            aliases=list(aliases) or None,
        ),
    )
