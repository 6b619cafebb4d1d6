"""Coolify on the main server, installed over SSH the way a careful operator would, once the server is hardened.

Children, each step waiting for the one before:
1. `remote.Command` install-coolify: the pinned release, unattended, its first admin from a
   generated password (`RandomPassword`) that travels only as SSH environment;
2. `remote.Command` wait-for-coolify: upgrade done, the pinned version's container healthy, health
   endpoint answering, the first admin created and registration closed;
3. `remote.Command` direct-ports: Coolify's 8000/6001/6002 closed (on 127.0.0.1) or published, as configured.

Every step runs again when the server is replaced, or when its script or inputs change (its
trigger); an unchanged stack runs nothing. Deleting the component leaves Coolify installed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_random as random

from components.host import Host
from components.remote_steps import remote_step
from components.server_scripts import template_text
from components.service_containers import DOCKER_ADDRESS_POOL, DOCKER_ADDRESS_POOL_SIZE
from stack_config.coolify import CoolifySettings

# Dashboard, realtime, terminal (coollabsio/coolify@v4.3.10:docker-compose.prod.yml:24-25, 66-68).
DIRECT_PORTS = (8000, 6001, 6002)


@dataclass(frozen=True)
class CoolifyArgs:
    settings: CoolifySettings
    host: Host
    """The server Coolify runs on; the installation starts once it is hardened."""
    after: Sequence[pulumi.Resource] = ()
    """What else must finish before Coolify is installed or upgraded (the backup before an upgrade)."""


def install_inputs(version: str) -> dict[str, str]:
    return {
        "COOLIFY_VERSION": version,
        "DOCKER_ADDRESS_POOL_BASE": DOCKER_ADDRESS_POOL,
        "DOCKER_ADDRESS_POOL_SIZE": str(DOCKER_ADDRESS_POOL_SIZE),
    }


def wait_inputs(version: str, admin_email: str) -> dict[str, str]:
    return {"COOLIFY_VERSION": version, "ADMIN_EMAIL": admin_email}


def direct_ports_inputs(close_direct_ports: bool, version: str) -> dict[str, str]:
    return {
        "CLOSE_DIRECT_PORTS": "true" if close_direct_ports else "false",
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
        self._server = args.host.access
        settings = args.settings

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
        installed = self._step(
            "install-coolify",
            "install-coolify.sh",
            install_inputs(settings.version),
            [args.host.hardened, *args.after],
            secrets={
                "ROOT_USERNAME": settings.admin_username,
                "ROOT_USER_EMAIL": settings.admin_email,
                # RandomPassword marks its result secret; say so here too, where it leaves for the server.
                "ROOT_USER_PASSWORD": pulumi.Output.secret(password.result),
            },
        )
        # Waits for the version asked for, so a version bump runs it again and it outlasts the old container.
        running = self._step(
            "wait-for-coolify", "wait-for-coolify.sh", wait_inputs(settings.version, settings.admin_email), [installed]
        )
        self.ready = self._step(
            "direct-ports",
            "direct-ports.sh",
            direct_ports_inputs(settings.close_direct_ports, settings.version),
            [running],
        )

        self.admin_email = pulumi.Output.from_input(settings.admin_email)
        self.admin_password = pulumi.Output.secret(password.result)
        # The dashboard's page opens websockets to realtime and the terminal on their own ports.
        forwards = " ".join(f"-L {port}:127.0.0.1:{port}" for port in DIRECT_PORTS)
        self.tunnel_command = pulumi.Output.concat(
            f"ssh -N {forwards} {args.host.logins.admin_user}@", args.host.ipv4_address
        )
        self.register_outputs({"adminEmail": self.admin_email, "tunnelCommand": self.tunnel_command})

    def _step(
        self,
        step: str,
        script_name: str,
        inputs: Mapping[str, str],
        after: Sequence[pulumi.Resource],
        secrets: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> pulumi.Resource:
        return remote_step(
            f"{self._name}-{step}", self._server, script_name, inputs, parent=self, after=after, secrets=secrets
        )
