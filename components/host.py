"""The Hetzner server that runs Coolify: its SSH keys, stable addresses, cloud firewall and hardening.

Children: one `SshKey` per admin and one for the generated deploy key (`tls.PrivateKey`, ED25519; after a
rotation, the key before it too, still authorized for root until the next rotation),
`PrimaryIp` v4 and v6 (kept across server replacements, so DNS never changes), a `Firewall` (named in
the server's create request: no window in which the new server is reachable unfiltered) and its label
attachment, the `Server`, and its first steps over SSH: wait for SSH, then harden.
"""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_hcloud as hcloud
import pulumi_tls as tls

from components.firewall_rules import main_server_rules
from components.naming import Naming
from components.remote_steps import ServerAccess
from components.server import (
    EarlierSteps,
    Logins,
    PublicAddresses,
    ServerSpec,
    cloud_firewall,
    managed_server,
)
from components.service_containers import DOCKER_ADDRESS_POOL
from stack_config.protection import ProtectionSettings
from stack_config.server import DEPLOY_KEY_NAME, AdminSshKey, ServerSettings

# The main server's first steps belonged to the Coolify component until hardening moved to the component
# that owns the server.
EARLIER_STEPS = EarlierSteps("hetzner-coolify:coolify:Coolify", "coolify")


@dataclass(frozen=True)
class HostArgs:
    server: ServerSettings
    protection: ProtectionSettings
    admin_ssh_keys: Sequence[AdminSshKey]
    admin_cidrs: Sequence[str]
    """Who may reach SSH (and Coolify's direct ports, while they are open)."""
    close_direct_ports: bool
    """Coolify's 8000/6001/6002 stay out of the firewall."""
    naming: Naming
    deploy_key_rotation: int = 0
    """rotation.deployKey: how many times the deploy key was replaced."""


class Host(pulumi.ComponentResource):
    spec: ServerSpec
    """What the server is made of and how it is guarded; other servers of the stack start from it."""
    server_id: pulumi.Output[str]
    addresses: PublicAddresses
    ipv4_address: pulumi.Output[str]
    ipv6_address: pulumi.Output[str]
    ipv6_network: pulumi.Output[str]
    access: ServerAccess
    """Root with the deploy key, for the steps other components run on this server."""
    host_key: pulumi.Output[str]
    """The server's SSH host key as first met; every connection pins it."""
    hardened: pulumi.Resource
    logins: Logins
    ssh_key_ids: list[pulumi.Output[str]]
    """Admin keys and the deploy key, for other servers of the stack (Hetzner refuses a key twice)."""
    deploy_public_key: pulumi.Output[str]
    deploy_private_key: pulumi.Output[str]
    ssh_command: pulumi.Output[str]

    def __init__(self, name: str, args: HostArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:host:Host", name, None, opts)
        self._name = name
        self._args = args
        prefix = args.naming.prefix
        rotation = args.deploy_key_rotation
        deploy_key = self._deploy_key(rotation)
        # Declared until the next rotation, so that it outlives the `pulumi up` that hands its successor over
        # with it (scripts/wait-for-ssh.sh); the one before it leaves the program and is deleted at the end.
        previous_key = self._deploy_key(rotation - 1) if rotation else None
        # The TLS provider ends the key with a newline; Hetzner's API stores keys trimmed, and a key that
        # differs from the stored one replaces the SshKey (and the servers that name it) on every run
        # (hashicorp/terraform-provider-tls@v4.2.1:docs/resources/private_key.md:69,
        # hetznercloud/terraform-provider-hcloud@v1.68.0:internal/sshkey/resource.go:68-74, common.go:28).
        deploy_public_key = deploy_key.public_key_openssh.apply(str.strip)
        ssh_keys = [self._ssh_key(key.name, key.public_key) for key in args.admin_ssh_keys]
        # A new key replaces the SshKey (public_key RequiresReplace: internal/sshkey/resource.go:68-74), and
        # Hetzner refuses a second key of the same name: the old one goes first. Servers only read their keys at
        # creation (SERVER_IGNORED_CHANGES), and the engine honours ignore_changes when it weighs replacing the
        # dependents of a delete-before-replace (pulumi/pulumi@v3.259.0:pkg/resource/deploy/step_generator.go:
        # 3220-3316, 2962-2985): no server moves. Only the current key is registered: Hetzner gives it to new
        # servers, which need no handover. Set from the first rotation, the only change that replaces this key, so
        # that a stack that never rotated keeps its options as deployed.
        ssh_keys.append(self._ssh_key(DEPLOY_KEY_NAME, deploy_public_key, delete_before_replace=rotation > 0))
        firewall = cloud_firewall(
            f"{name}-firewall",
            physical_name=prefix,
            rules=main_server_rules(args.admin_cidrs, args.close_direct_ports),
            labels=args.naming.labels,
            parent=self,
        )
        ipv4, ipv6 = self._primary_ip("ipv4"), self._primary_ip("ipv6")
        self.ssh_key_ids = [key.id for key in ssh_keys]
        self.deploy_public_key = deploy_public_key
        self.deploy_private_key = pulumi.Output.secret(deploy_key.private_key_openssh)
        previous_private_key: pulumi.Output[str] | None = (
            pulumi.Output.secret(previous_key.private_key_openssh) if previous_key else None
        )
        self.logins = Logins(
            args.server.admin_user,
            [key.public_key for key in args.admin_ssh_keys],
            self.deploy_public_key,
            previous_key.public_key_openssh.apply(str.strip) if previous_key else None,
        )
        self.spec = ServerSpec(
            name=prefix,
            server_type=args.server.type,
            location=args.server.location,
            image=args.server.image,
            backups=args.server.backups,
            labels=dict(args.naming.labels),
            protect=args.protection.protect,
            delete_protection=args.protection.delete_protection,
        )
        managed = managed_server(
            f"{name}-server",
            self.spec,
            parent=self,
            ssh_key_ids=self.ssh_key_ids,
            firewall=firewall,
            logins=self.logins,
            private_key=self.deploy_private_key,
            previous_private_key=previous_private_key,
            step_prefix=name,
            address=ipv4.ip_address,
            public_nets=[
                hcloud.ServerPublicNetArgs(
                    ipv4_enabled=True, ipv4=ipv4.id.apply(int), ipv6_enabled=True, ipv6=ipv6.id.apply(int)
                )
            ],
            earlier_steps=EARLIER_STEPS,
            # Coolify manages its own host over SSH from its containers (host.docker.internal).
            trusted_sources=[DOCKER_ADDRESS_POOL],
        )

        self.server_id = managed.server.id
        self.access = managed.access
        self.host_key = managed.host_key
        self.hardened = managed.hardened
        self.ipv4_address = ipv4.ip_address
        self.ipv6_network = ipv6.ip_network
        # A v6 primary IP is a /64; the server answers on its first address.
        self.ipv6_address = ipv6.ip_network.apply(lambda network: str(ipaddress.ip_network(network)[1]))
        self.addresses = PublicAddresses(self.ipv4_address, self.ipv6_address)
        self.ssh_command = pulumi.Output.concat(f"ssh {args.server.admin_user}@", self.ipv4_address)
        self.register_outputs(
            {
                "serverId": self.server_id,
                "ipv4Address": self.ipv4_address,
                "ipv6Address": self.ipv6_address,
                "sshCommand": self.ssh_command,
                "hostKey": self.host_key,
            }
        )

    def _deploy_key(self, rotation: int) -> tls.PrivateKey:
        """The deploy key after `rotation` rotations; the first keeps the name it was deployed with."""
        name = f"{self._name}-deploy-key" + (f"-{rotation}" if rotation else "")
        return tls.PrivateKey(name, algorithm="ED25519", opts=pulumi.ResourceOptions(parent=self))

    def _ssh_key(
        self, owner: str, public_key: pulumi.Input[str], *, delete_before_replace: bool = False
    ) -> hcloud.SshKey:
        return hcloud.SshKey(
            f"{self._name}-ssh-key-{owner}",
            name=f"{self._args.naming.prefix}-{owner}",
            public_key=pulumi.Output.from_input(public_key).apply(str.strip),
            labels=dict(self._args.naming.labels),
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=delete_before_replace or None),
        )

    def _primary_ip(self, ip_type: str) -> hcloud.PrimaryIp:
        return hcloud.PrimaryIp(
            f"{self._name}-{ip_type}",
            name=f"{self._args.naming.prefix}-{ip_type}",
            type=ip_type,
            # Assigned through the server's public_nets; assignee_type alone draws a warning on every run
            # (hetznercloud/terraform-provider-hcloud@v1.68.0:internal/primaryip/resource.go:165-184).
            location=self._args.server.location,
            # The address outlives the server: a replaced server gets the same address back.
            auto_delete=False,
            delete_protection=self._args.protection.delete_protection,
            labels=dict(self._args.naming.labels),
            opts=pulumi.ResourceOptions(parent=self, protect=self._args.protection.protect),
        )
