"""The steps that prepare a server over SSH, shared by the Coolify host and its workers.

A step is a server script run as `bash -s` (see server_scripts.py). Its trigger is the server's id
and a hash of its script and inputs: a replaced server gets every step again, a changed script or
input runs that step again, and an unchanged stack runs nothing.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_command import local, remote

from components.server_scripts import command_line, fingerprint, server_script, template_text

ROOT_USER = "root"


def root_connection(host: pulumi.Input[str], private_key: pulumi.Input[str]) -> remote.ConnectionArgs:
    return remote.ConnectionArgs(host=host, user=ROOT_USER, private_key=private_key)


@dataclass(frozen=True)
class Target:
    """A server that steps run on, as root with the deploy key, and the component that owns the steps."""

    owner: pulumi.Resource
    server_id: pulumi.Input[str]
    host: pulumi.Input[str]
    private_key: pulumi.Input[str]

    @property
    def connection(self) -> remote.ConnectionArgs:
        return root_connection(self.host, self.private_key)


@dataclass(frozen=True)
class Logins:
    """Who may log in to a hardened server: the admin user with the admin keys; root with those and the deploy key."""

    admin_user: str
    admin_public_keys: Sequence[str]
    deploy_public_key: pulumi.Input[str]


def harden_inputs(admin_user: str, admin_public_keys: Sequence[str], deploy_public_key: str) -> dict[str, str]:
    return {
        "ADMIN_USER": admin_user,
        "ADMIN_KEYS": "".join(f"{key}\n" for key in admin_public_keys),
        "ROOT_KEYS": "".join(f"{key.strip()}\n" for key in [*admin_public_keys, deploy_public_key]),
        "SSHD_CONFIG": template_text("sshd-hardening.conf"),
        "FAIL2BAN_JAIL": template_text("fail2ban-sshd.local"),
        "AUTO_UPGRADES": template_text("20auto-upgrades"),
    }


def wait_and_harden(prefix: str, target: Target, logins: Logins) -> remote.Command:
    """The first steps on every new server: wait until it answers SSH, then harden it."""
    reachable = wait_for_ssh(f"{prefix}-wait-for-ssh", target)
    inputs = pulumi.Output.from_input(logins.deploy_public_key).apply(
        lambda deploy_key: harden_inputs(logins.admin_user, logins.admin_public_keys, deploy_key)
    )
    return remote_step(f"{prefix}-harden-host", target, "harden-host.sh", inputs, after=[reachable])


def wait_for_ssh(name: str, target: Target) -> local.Command:
    """Where `pulumi up` runs: until the server answers SSH (through the system ssh, as the Docker provider will) and
    cloud-init has finished."""
    script = server_script("wait-for-ssh.sh")
    return local.Command(
        name,
        create="bash -s",
        stdin=script.text,
        environment={"SSH_HOST": target.host, "SSH_USER": ROOT_USER, "SSH_PRIVATE_KEY": target.private_key},
        triggers=[target.server_id, script.digest],
        opts=pulumi.ResourceOptions(parent=target.owner, additional_secret_outputs=["environment"]),
    )


def remote_step(
    name: str,
    target: Target,
    script_name: str,
    inputs: Mapping[str, str] | pulumi.Output[dict[str, str]],
    *,
    after: Sequence[pulumi.Resource],
    secrets: Mapping[str, pulumi.Input[str]] | None = None,
) -> remote.Command:
    """Run `script_name` on the server with `inputs` on its command line and `secrets` as SSH environment.

    Inputs known only at deploy time (another resource's id or output) may come as an Output.
    """
    script = server_script(script_name)
    known: pulumi.Output[dict[str, str]] = pulumi.Output.from_input(inputs).apply(dict)
    return remote.Command(
        name,
        connection=target.connection,
        create=known.apply(command_line),
        stdin=script.text,
        environment=secrets,
        # Without this, an update tries to send the previous output as SSH environment.
        add_previous_output_in_env=False,
        triggers=[target.server_id, known.apply(lambda values: fingerprint(script, values))],
        opts=pulumi.ResourceOptions(
            parent=target.owner, depends_on=list(after), additional_secret_outputs=["environment"] if secrets else None
        ),
    )
