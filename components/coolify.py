"""Coolify on the host, installed and hardened over SSH the way a careful operator would.

Children, each step waiting for the one before:
1. `local.Command` wait-for-ssh: where `pulumi up` runs, until the new server answers SSH with the
   deploy key (through the system ssh, as the Docker provider will) and cloud-init has finished;
2. `remote.Command` harden-host: sshd keys only, fail2ban, unattended upgrades, a sudo admin user;
3. `remote.Command` install-coolify: the pinned release, unattended, its first admin from a
   generated password (`RandomPassword`) that travels only as SSH environment;
4. `remote.Command` wait-for-coolify: upgrade done, container healthy, health endpoint answering;
5. `remote.Command` direct-ports: Coolify's 8000/6001/6002 on 127.0.0.1 or published, as configured.

Every step runs again when the server is replaced, or when its script or inputs change (its
trigger); an unchanged stack runs nothing. Deleting the component leaves Coolify installed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_random as random

from components.bootstrap import Target, remote_step, wait_for_ssh
from components.server_scripts import template_text

DASHBOARD_PORT = 8000


@dataclass(frozen=True)
class CoolifyArgs:
    server_id: pulumi.Input[str]
    """The server's id: a replaced server gets the whole bootstrap again."""
    host: pulumi.Input[str]
    private_key: pulumi.Input[str]
    """The deploy key (secret), authorized for root by Hetzner at creation."""
    deploy_public_key: pulumi.Input[str]
    """Its public half, kept authorized for root by the hardening."""
    version: str
    admin_user: str
    """Non-root login with sudo that the hardening creates."""
    admin_public_keys: Sequence[str]
    root_username: str
    root_email: str
    restrict_direct_ports: bool
    """Keep 8000/6001/6002 on 127.0.0.1 (the dashboard is reached by its domain or an SSH tunnel)."""


def harden_inputs(admin_user: str, admin_public_keys: Sequence[str], deploy_public_key: str) -> dict[str, str]:
    return {
        "ADMIN_USER": admin_user,
        "ADMIN_KEYS": "".join(f"{key}\n" for key in admin_public_keys),
        "ROOT_KEYS": "".join(f"{key.strip()}\n" for key in [*admin_public_keys, deploy_public_key]),
        "SSHD_CONFIG": template_text("sshd-hardening.conf"),
        "FAIL2BAN_JAIL": template_text("fail2ban-sshd.local"),
        "AUTO_UPGRADES": template_text("20auto-upgrades"),
    }


def install_inputs(version: str) -> dict[str, str]:
    return {"COOLIFY_VERSION": version}


def direct_ports_inputs(restricted: bool, version: str) -> dict[str, str]:
    return {
        "DIRECT_PORTS": "loopback" if restricted else "public",
        "COMPOSE_OVERRIDE": template_text("coolify-direct-ports.yml"),
        "COOLIFY_VERSION": version,
    }


class Coolify(pulumi.ComponentResource):
    admin_email: pulumi.Output[str]
    admin_password: pulumi.Output[str]
    tunnel_command: pulumi.Output[str]
    ready: pulumi.Resource
    """The last step: resources that need a running Coolify depend on it."""

    def __init__(self, name: str, args: CoolifyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:coolify:Coolify", name, None, opts)
        self._name = name
        self._args = args
        self._target = Target(self, args.server_id, args.host, args.private_key)

        password = random.RandomPassword(
            f"{name}-admin-password",
            length=32,
            # Coolify wants upper, lower, digits and symbols; its installer writes the value into a
            # .env file with sed, so only symbols that neither sed nor a .env file interpret.
            override_special="-_.~",
            min_upper=2,
            min_lower=2,
            min_numeric=2,
            min_special=2,
            opts=pulumi.ResourceOptions(parent=self),
        )
        reachable = wait_for_ssh(f"{name}-wait-for-ssh", self._target)
        hardened = self._step(
            "harden-host",
            "harden-host.sh",
            pulumi.Output.from_input(args.deploy_public_key).apply(
                lambda deploy_key: harden_inputs(args.admin_user, args.admin_public_keys, deploy_key)
            ),
            reachable,
        )
        installed = self._step(
            "install-coolify",
            "install-coolify.sh",
            install_inputs(args.version),
            hardened,
            secrets={
                "ROOT_USERNAME": args.root_username,
                "ROOT_USER_EMAIL": args.root_email,
                # RandomPassword marks its result secret; say so here too, where it leaves for the server.
                "ROOT_USER_PASSWORD": pulumi.Output.secret(password.result),
            },
        )
        # Waits for the version asked for, so a version bump runs it again and it outlasts the old container.
        running = self._step("wait-for-coolify", "wait-for-coolify.sh", install_inputs(args.version), installed)
        self.ready = self._step(
            "direct-ports",
            "restrict-direct-ports.sh",
            direct_ports_inputs(args.restrict_direct_ports, args.version),
            running,
        )

        self.admin_email = pulumi.Output.from_input(args.root_email)
        self.admin_password = pulumi.Output.secret(password.result)
        self.tunnel_command = pulumi.Output.concat(
            f"ssh -N -L {DASHBOARD_PORT}:127.0.0.1:{DASHBOARD_PORT} {args.admin_user}@", args.host
        )
        self.register_outputs({"adminEmail": self.admin_email, "tunnelCommand": self.tunnel_command})

    def _step(
        self,
        step: str,
        script_name: str,
        inputs: Mapping[str, str] | pulumi.Output[dict[str, str]],
        after: pulumi.Resource,
        secrets: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> pulumi.Resource:
        return remote_step(f"{self._name}-{step}", self._target, script_name, inputs, after=[after], secrets=secrets)
