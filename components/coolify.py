"""Coolify on the host, installed and hardened over SSH the way a careful operator would.

Children, each step waiting for the one before:
1. `local.Command` wait-for-ssh: where `pulumi up` runs, until the new server answers SSH with the
   deploy key (through the system ssh, as the Docker provider will) and cloud-init has finished;
2. `remote.Command` harden-host: sshd keys only, fail2ban, unattended upgrades, a sudo admin user,
   root's keys kept to the admin keys and the deploy key;
3. `remote.Command` install-coolify: the pinned release, unattended, its first admin from a
   generated password (`RandomPassword`) that travels only as SSH environment;
4. `remote.Command` wait-for-coolify: upgrade done, the pinned version's container healthy, health
   endpoint answering;
5. `remote.Command` direct-ports: Coolify's 8000/6001/6002 on 127.0.0.1 or published, as configured.

Every step runs again when the server is replaced, or when its script or inputs change (its
trigger); an unchanged stack runs nothing. Deleting the component leaves Coolify installed.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_random as random

from components.bootstrap import Logins, Target, remote_step, wait_and_harden
from components.server_scripts import template_text

DASHBOARD_PORT = 8000


@dataclass(frozen=True)
class CoolifyArgs:
    server_id: pulumi.Input[str]
    """The server's id: a replaced server gets the whole bootstrap again."""
    host: pulumi.Input[str]
    private_key: pulumi.Input[str]
    """The deploy key (secret), authorized for root by Hetzner at creation and then by the hardening."""
    logins: Logins
    version: str
    root_username: str
    root_email: str
    restrict_direct_ports: bool
    """Keep 8000/6001/6002 on 127.0.0.1 (the dashboard is reached by its domain or an SSH tunnel)."""


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
        hardened = wait_and_harden(name, self._target, args.logins)
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
            f"ssh -N -L {DASHBOARD_PORT}:127.0.0.1:{DASHBOARD_PORT} {args.logins.admin_user}@", args.host
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
